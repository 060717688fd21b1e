namespace Chainlab.Contracts.Vm;

internal enum Signal { Normal, Break, Return, Goto }

/// <summary>
/// A statement. <see cref="Cost"/> is 1 plus the operations of its expressions (calls, operators, indexing,
/// constructors, closures), fixed at compile time and charged before it runs: every instruction is paid for
/// whichever branch a short-circuit takes. Loops charge each further iteration of their test and jump.
/// </summary>
internal abstract class Stat
{
    public int Line;
    public int Cost = 1;
    public abstract Signal Exec(Frame f);
}

internal sealed class Block(Stat[] stats, Dictionary<string, int>? labels) : Stat
{
    public readonly Stat[] Stats = stats;
    public readonly Dictionary<string, int>? Labels = labels;

    public override Signal Exec(Frame f)
    {
        var m = f.M;
        var stats = Stats;
        for (var i = 0; i < stats.Length; i++)
        {
            var s = stats[i];
            m.Line = s.Line;
            m.Instructions += s.Cost;
            if ((m.GasLeft -= s.Cost) < 0) m.OutOfGas();
            var sig = s.Exec(f);
            if (sig == Signal.Normal) continue;
            if (sig == Signal.Goto && Labels is not null && Labels.TryGetValue(f.GotoLabel!, out var at)) { i = at - 1; continue; }
            return sig;
        }
        return Signal.Normal;
    }
}

internal sealed class ExprStat(CallBase call) : Stat
{
    public override Signal Exec(Frame f)
    {
        call.Invoke(f);
        return Signal.Normal;
    }
}

internal sealed class LocalStat(LocalInfo[] targets, Expr[] exprs) : Stat
{
    public override Signal Exec(Frame f)
    {
        if (targets.Length == 1 && exprs.Length == 1)
        {
            Declare(f, targets[0], exprs[0].Eval(f));
            return Signal.Normal;
        }
        var values = Evaluate(f, exprs, targets.Length);
        for (var i = 0; i < targets.Length; i++) Declare(f, targets[i], values[i]);
        return Signal.Normal;
    }

    public static void Declare(Frame f, LocalInfo l, in Value v)
    {
        if (l.Captured)
        {
            f.M.Allocate(Cell.Bytes);
            f.Slots[l.Slot] = new Value(new Cell(v), 0);
        }
        else f.Slots[l.Slot] = v;
    }

    /// <summary>Exactly <paramref name="want"/> values from an expression list, the last expanded or padded with nil.</summary>
    public static Value[] Evaluate(Frame f, Expr[] exprs, int want)
    {
        var values = new Value[Math.Max(want, exprs.Length)];
        for (var i = 0; i < exprs.Length; i++)
        {
            if (i == exprs.Length - 1 && exprs[i].IsMulti && i < want)
            {
                var rest = exprs[i].EvalMulti(f);
                for (var j = 0; j < rest.Length && i + j < want; j++) values[i + j] = rest[j];
            }
            else values[i] = exprs[i].Eval(f);
        }
        return values;
    }
}

/// <summary>local function f: the local exists (as nil) while the closure is made, so the body can call itself.</summary>
internal sealed class LocalFunctionStat(LocalInfo target, FunctionExpr fn) : Stat
{
    public override Signal Exec(Frame f)
    {
        LocalStat.Declare(f, target, Value.Nil);
        var v = fn.Eval(f);
        if (target.Captured) ((Cell)f.Slots[target.Slot].O!).V = v;
        else f.Slots[target.Slot] = v;
        return Signal.Normal;
    }
}

internal sealed class SetLocalStat(LocalExpr target, Expr value) : Stat
{
    public override Signal Exec(Frame f)
    {
        target.Set(f, value.Eval(f));
        return Signal.Normal;
    }
}

/// <summary>One target, one value: t[k] = v, t.name = v, global = v, upvalue = v (no arrays allocated).</summary>
internal sealed class SetOneStat(Expr target, Expr value) : Stat
{
    public override Signal Exec(Frame f)
    {
        switch (target)
        {
            case IndexExpr ix:
            {
                var o = ix.Obj.Eval(f);
                var k = ix.Key.Eval(f);
                var v = value.Eval(f);
                if (o.O is LuaTable t) t.Set(f.M, k, v);
                else Ops.SetIndex(f.M, o, k, v, ix.Obj);
                break;
            }
            case FieldExpr fx:
            {
                var o = fx.Obj.Eval(f);
                var v = value.Eval(f);
                Ops.SetIndex(f.M, o, Value.Str(fx.Name), v, fx.Obj);
                break;
            }
            case LocalExpr l: l.Set(f, value.Eval(f)); break;
            case UpvalExpr u: u.Set(f, value.Eval(f)); break;
            case GlobalExpr g: g.Set(f, value.Eval(f)); break;
        }
        return Signal.Normal;
    }
}

internal sealed class AssignStat(Expr[] targets, Expr[] exprs) : Stat
{
    public override Signal Exec(Frame f)
    {
        // Table and key of indexed targets first, left to right; then the values; then the stores.
        var objs = new Value[targets.Length];
        var keys = new Value[targets.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            switch (targets[i])
            {
                case IndexExpr ix: objs[i] = ix.Obj.Eval(f); keys[i] = ix.Key.Eval(f); break;
                case FieldExpr fx: objs[i] = fx.Obj.Eval(f); keys[i] = Value.Str(fx.Name); break;
            }
        }
        var values = targets.Length == 1 && exprs.Length == 1 ? [exprs[0].Eval(f)] : LocalStat.Evaluate(f, exprs, targets.Length);
        for (var i = 0; i < targets.Length; i++)
        {
            var v = values[i];
            switch (targets[i])
            {
                case LocalExpr l: l.Set(f, v); break;
                case UpvalExpr u: u.Set(f, v); break;
                case GlobalExpr g: g.Set(f, v); break;
                case IndexExpr ix: ix.Set(f, objs[i], keys[i], v); break;
                case FieldExpr fx: Ops.SetIndex(f.M, objs[i], keys[i], v, fx.Obj); break;
            }
        }
        return Signal.Normal;
    }
}

internal sealed class DoStat(Block body) : Stat
{
    public override Signal Exec(Frame f) => body.Exec(f);
}

internal sealed class WhileStat(Expr cond, int condCost, Block body) : Stat
{
    public override Signal Exec(Frame f)
    {
        var m = f.M;
        while (cond.Eval(f).IsTruthy)
        {
            var sig = body.Exec(f);
            if (sig == Signal.Break) break;
            if (sig != Signal.Normal) return sig;
            m.Instructions += condCost;
            if ((m.GasLeft -= condCost) < 0) m.OutOfGas();
        }
        return Signal.Normal;
    }
}

internal sealed class RepeatStat(Block body, Expr cond, int condCost) : Stat
{
    public override Signal Exec(Frame f)
    {
        var m = f.M;
        while (true)
        {
            var sig = body.Exec(f);
            if (sig == Signal.Break) break;
            if (sig != Signal.Normal) return sig;
            if (cond.Eval(f).IsTruthy) break;
            m.Instructions += condCost;
            if ((m.GasLeft -= condCost) < 0) m.OutOfGas();
        }
        return Signal.Normal;
    }
}

internal sealed class IfStat(Expr[] conds, Block[] blocks, Block? otherwise) : Stat
{
    public override Signal Exec(Frame f)
    {
        for (var i = 0; i < conds.Length; i++)
            if (conds[i].Eval(f).IsTruthy) return blocks[i].Exec(f);
        return otherwise?.Exec(f) ?? Signal.Normal;
    }
}

internal sealed class NumForStat(LocalInfo v, Expr start, Expr limit, Expr? step, Block body) : Stat
{
    public override Signal Exec(Frame f)
    {
        var m = f.M;
        var a = start.Eval(f);
        var b = limit.Eval(f);
        var c = step?.Eval(f) ?? Value.Int(1);
        if (!a.IsNumber) a = Coerce.ToNumber(m, a) ?? throw m.Error("'for' initial value must be a number");
        if (!b.IsNumber) b = Coerce.ToNumber(m, b) ?? throw m.Error("'for' limit must be a number");
        if (!c.IsNumber) c = Coerce.ToNumber(m, c) ?? throw m.Error("'for' step must be a number");
        if (a.IsInt && c.IsInt)
        {
            long i = a.N, s = c.N;
            if (s == 0) throw m.Error("'for' step is zero");
            long lim;
            if (b.IsInt) lim = b.N;
            else
            {
                var d = b.AsFloat;
                if (double.IsNaN(d)) return Signal.Normal;
                if (s > 0) { var fl = Math.Floor(d); if (fl >= 9.2233720368547758e18) lim = long.MaxValue; else if (fl < -9.2233720368547758e18) return Signal.Normal; else lim = (long)fl; }
                else { var ce = Math.Ceiling(d); if (ce < -9.2233720368547758e18) lim = long.MinValue; else if (ce >= 9.2233720368547758e18) return Signal.Normal; else lim = (long)ce; }
            }
            if (s > 0 ? i > lim : i < lim) return Signal.Normal;
            // Iterations left after this one, computed without overflow.
            var count = s > 0 ? ((ulong)lim - (ulong)i) / (ulong)s : ((ulong)i - (ulong)lim) / ((ulong)(-(s + 1)) + 1UL);
            var slot = v.Slot;
            var captured = v.Captured;
            while (true)
            {
                if (captured) LocalStat.Declare(f, v, Value.Int(i));
                else f.Slots[slot] = Value.Int(i);
                var sig = body.Exec(f);
                if (sig == Signal.Break) break;
                if (sig != Signal.Normal) return sig;
                if (count-- == 0) break;
                i = unchecked(i + s);
                m.Instructions++;
                if (--m.GasLeft < 0) m.OutOfGas();
            }
            return Signal.Normal;
        }
        double x = a.ToDouble, lim2 = b.ToDouble, st = c.ToDouble;
        if (st == 0) throw m.Error("'for' step is zero");
        while (st > 0 ? x <= lim2 : x >= lim2)
        {
            LocalStat.Declare(f, v, Value.Float(x));
            var sig = body.Exec(f);
            if (sig == Signal.Break) break;
            if (sig != Signal.Normal) return sig;
            x += st;
            m.Instructions++;
            if (--m.GasLeft < 0) m.OutOfGas();
        }
        return Signal.Normal;
    }
}

internal sealed class GenForStat(LocalInfo[] vars, Expr[] exprs, Block body) : Stat
{
    public override Signal Exec(Frame f)
    {
        var m = f.M;
        var init = LocalStat.Evaluate(f, exprs, 3);
        var fn = init[0].O as LuaFunction ?? throw m.Error($"attempt to call a {init[0].TypeName} value (for iterator 'for iterator')");
        var state = init[1];
        var control = init[2];
        while (true)
        {
            var r = fn.Call(m, [state, control]);
            var first = r.Length > 0 ? r[0] : Value.Nil;
            if (first.IsNil) break;
            control = first;
            for (var i = 0; i < vars.Length; i++) LocalStat.Declare(f, vars[i], i < r.Length ? r[i] : Value.Nil);
            var sig = body.Exec(f);
            if (sig == Signal.Break) break;
            if (sig != Signal.Normal) return sig;
            m.Instructions++;
            if (--m.GasLeft < 0) m.OutOfGas();
        }
        return Signal.Normal;
    }
}

internal sealed class ReturnStat(Expr[] exprs) : Stat
{
    public override Signal Exec(Frame f)
    {
        if (exprs.Length == 0) f.Ret = Value.None;
        else if (exprs.Length == 1)
        {
            if (exprs[0].IsMulti) f.Ret = exprs[0].EvalMulti(f);
            else { f.Ret1 = exprs[0].Eval(f); f.Ret = null; }
        }
        else f.Ret = CallBase.Evaluate(f, exprs, 0, default);
        return Signal.Return;
    }
}

internal sealed class BreakStat : Stat
{
    public override Signal Exec(Frame f) => Signal.Break;
}

internal sealed class GotoStat(string label) : Stat
{
    public override Signal Exec(Frame f)
    {
        f.GotoLabel = label;
        return Signal.Goto;
    }
}

internal sealed class NopStat : Stat
{
    public override Signal Exec(Frame f) => Signal.Normal;
}
