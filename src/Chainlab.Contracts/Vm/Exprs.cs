namespace Chainlab.Contracts.Vm;

/// <summary>
/// An expression of the tree the interpreter walks. Nodes are immutable after compilation and shared by every
/// frame; their cost is charged by the statement that contains them (see <see cref="Stat.Cost"/>).
/// </summary>
internal abstract class Expr
{
    public int Line;
    /// <summary>Nesting below and including this node (bounded by the compiler, so evaluation depth is too).</summary>
    public int Depth = 1;
    public abstract Value Eval(Frame f);
    /// <summary>All values (calls and "..." give several; everything else one).</summary>
    public virtual Value[] EvalMulti(Frame f) => [Eval(f)];
    public virtual bool IsMulti => false;
    public virtual string? Describe() => null;
}

internal sealed class ConstExpr(Value v) : Expr
{
    public readonly Value V = v;
    public override Value Eval(Frame f) => V;
}

internal sealed class VarargExpr : Expr
{
    public override Value Eval(Frame f) => f.Varargs.Length > 0 ? f.Varargs[0] : Value.Nil;
    public override Value[] EvalMulti(Frame f)
    {
        if (f.Varargs.Length > 1) f.M.Charge(f.Varargs.Length / 4);
        return f.Varargs.Length == 0 ? Value.None : (Value[])f.Varargs.Clone();
    }
    public override bool IsMulti => true;
}

/// <summary>What the compiler knows of a local: its slot and whether a closure captured it (then the slot holds a cell).</summary>
internal sealed class LocalInfo(string name, int slot)
{
    public readonly string Name = name;
    public readonly int Slot = slot;
    public bool Captured;
    public bool Const;
    public readonly List<LocalExpr> Uses = new();
}

internal sealed class LocalExpr(LocalInfo info) : Expr
{
    public readonly int Slot = info.Slot;
    public readonly LocalInfo Info = info;
    /// <summary>Copied from the local when its function is compiled to the end.</summary>
    public bool Captured;

    public override Value Eval(Frame f) => Captured ? ((Cell)f.Slots[Slot].O!).V : f.Slots[Slot];

    public void Set(Frame f, in Value v)
    {
        if (Captured) ((Cell)f.Slots[Slot].O!).V = v;
        else f.Slots[Slot] = v;
    }

    public override string Describe() => $"local '{Info.Name}'";
}

internal sealed class UpvalExpr(int index, string name) : Expr
{
    public readonly int Index = index;
    public override Value Eval(Frame f) => f.Closure.Up[Index].V;
    public void Set(Frame f, in Value v) => f.Closure.Up[Index].V = v;
    public override string Describe() => $"upvalue '{name}'";
}

internal sealed class GlobalExpr(LuaString name) : Expr
{
    public readonly LuaString Name = name;
    public override Value Eval(Frame f) => f.Closure.G.Get(Name);
    public void Set(Frame f, in Value v) => f.Closure.G.Own.Set(f.M, Value.Str(Name), v);
    public override string Describe() => $"global '{Name}'";
}

internal sealed class IndexExpr(Expr obj, Expr key) : Expr
{
    public readonly Expr Obj = obj, Key = key;
    public override Value Eval(Frame f)
    {
        var o = Obj.Eval(f);
        var k = Key.Eval(f);
        LuaTable.ChargeKey(f.M, k);
        if (o.O is LuaTable t) return t.Get(k);
        return Ops.Index(f.M, o, k, Obj);
    }
    public void Set(Frame f, in Value obj, in Value key, in Value v) => Ops.SetIndex(f.M, obj, key, v, Obj);
    public override string? Describe() => Key is ConstExpr { V.IsString: true } c ? $"field '{c.V.AsString}'" : null;
}

internal sealed class FieldExpr(Expr obj, LuaString name) : Expr
{
    public readonly Expr Obj = obj;
    public readonly LuaString Name = name;
    public override Value Eval(Frame f)
    {
        var o = Obj.Eval(f);
        if (o.O is LuaTable t) return t.Get(Name);
        return Ops.Index(f.M, o, Value.Str(Name), Obj);
    }
    public override string Describe() => $"field '{Name}'";
}

internal abstract class CallBase : Expr
{
    public Expr[] Args = [];
    public override bool IsMulti => true;
    public override Value Eval(Frame f)
    {
        var r = Invoke(f);
        return r.Length > 0 ? r[0] : Value.Nil;
    }
    public override Value[] EvalMulti(Frame f) => Invoke(f);
    public abstract Value[] Invoke(Frame f);

    /// <summary>Evaluates argument expressions (the last may give several values), with an optional first value (the method's self).</summary>
    public static Value[] Evaluate(Frame f, Expr[] exprs, int skip, in Value first)
    {
        var n = exprs.Length;
        if (n == 0) return skip == 0 ? Value.None : [first];
        var last = exprs[n - 1];
        if (!last.IsMulti)
        {
            var a = new Value[n + skip];
            if (skip == 1) a[0] = first;
            for (var i = 0; i < n; i++) a[i + skip] = exprs[i].Eval(f);
            return a;
        }
        var head = new Value[n - 1];
        for (var i = 0; i < n - 1; i++) head[i] = exprs[i].Eval(f);
        var tail = last.EvalMulti(f);
        if (tail.Length + n - 1 > Machine.MaxValues) throw f.M.Error("too many values (at most 8000)");
        f.M.Charge(tail.Length / 4);
        var all = new Value[n - 1 + tail.Length + skip];
        if (skip == 1) all[0] = first;
        head.CopyTo(all, skip);
        tail.CopyTo(all, skip + n - 1);
        return all;
    }
}

internal sealed class CallExpr(Expr fn) : CallBase
{
    public readonly Expr Fn = fn;

    public override Value[] Invoke(Frame f)
    {
        var v = Fn.Eval(f);
        if (v.O is LuaClosure c && Direct(c))
        {
            var r = c.Run(f.M, Slots(f, c), Value.None);
            return r.Ret ?? [r.Ret1];
        }
        var target = v.O as LuaFunction ?? Ops.CallTarget(f.M, v, Fn);
        return target.Call(f.M, Evaluate(f, Args, 0, default));
    }

    public override Value Eval(Frame f)
    {
        var v = Fn.Eval(f);
        if (v.O is LuaClosure c && Direct(c))
        {
            var r = c.Run(f.M, Slots(f, c), Value.None);
            return r.Ret is null ? r.Ret1 : r.Ret.Length > 0 ? r.Ret[0] : Value.Nil;
        }
        var target = v.O as LuaFunction ?? Ops.CallTarget(f.M, v, Fn);
        var results = target.Call(f.M, Evaluate(f, Args, 0, default));
        return results.Length > 0 ? results[0] : Value.Nil;
    }

    // A Lua function without varargs called with plain arguments: they are evaluated straight into its slots.
    private bool Direct(LuaClosure c) => !c.P.IsVararg && (Args.Length == 0 || !Args[^1].IsMulti);

    private Value[] Slots(Frame f, LuaClosure c)
    {
        var slots = new Value[c.P.Slots];
        var args = Args;
        var n = c.P.Params;
        for (var i = 0; i < args.Length; i++)
        {
            var v = args[i].Eval(f);
            if (i < n) slots[i] = v;
        }
        return slots;
    }
}

internal sealed class MethodCallExpr(Expr obj, LuaString name) : CallBase
{
    public readonly Expr Obj = obj;
    public readonly LuaString Name = name;
    public override Value[] Invoke(Frame f)
    {
        var o = Obj.Eval(f);
        var v = o.O is LuaTable t ? t.Get(Name) : Ops.Index(f.M, o, Value.Str(Name), Obj);
        var target = v.O as LuaFunction ?? throw f.M.Error($"attempt to call a {v.TypeName} value (method '{Name}')");
        var args = Evaluate(f, Args, 1, o);
        return target.Call(f.M, args);
    }
}

/// <summary>Parentheses: one value, even from a call.</summary>
internal sealed class ParenExpr(Expr inner) : Expr
{
    public readonly Expr Inner = inner;
    public override Value Eval(Frame f) => Inner.Eval(f);
    public override string? Describe() => Inner.Describe();
}

internal sealed class FunctionExpr(Proto proto) : Expr
{
    public readonly Proto P = proto;
    public override Value Eval(Frame f)
    {
        var ups = P.Upvalues;
        var cells = ups.Length == 0 ? [] : new Cell[ups.Length];
        for (var i = 0; i < ups.Length; i++)
            cells[i] = ups[i].FromLocal ? (Cell)f.Slots[ups[i].Index].O! : f.Closure.Up[ups[i].Index];
        f.M.Allocate(48 + 8L * ups.Length);
        return Value.Func(new LuaClosure(P, cells, f.Closure.G));
    }
}

internal sealed class AndExpr(Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        return x.IsTruthy ? b.Eval(f) : x;
    }
}

internal sealed class OrExpr(Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        return x.IsTruthy ? x : b.Eval(f);
    }
}

internal sealed class NotExpr(Expr a) : Expr
{
    public override Value Eval(Frame f) => Value.Bool(!a.Eval(f).IsTruthy);
}

internal sealed class NegExpr(Expr a) : Expr
{
    public override Value Eval(Frame f)
    {
        var v = a.Eval(f);
        return v.IsInt ? Value.Int(unchecked(-v.N)) : Ops.Negate(f.M, v, a);
    }
}

internal sealed class BNotExpr(Expr a) : Expr
{
    public override Value Eval(Frame f) => Ops.BNot(f.M, a.Eval(f), a);
}

internal sealed class LenExpr(Expr a) : Expr
{
    public override Value Eval(Frame f)
    {
        var v = a.Eval(f);
        if (v.O is LuaTable t) return Value.Int(t.Length);
        return Ops.Length(f.M, v, a);
    }
}

internal sealed class AddExpr(Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (x.IsInt && y.IsInt) return Value.Int(unchecked(x.N + y.N));
        return Ops.Arith(f.M, Op.Add, x, y, a, b);
    }
}

internal sealed class SubExpr(Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (x.IsInt && y.IsInt) return Value.Int(unchecked(x.N - y.N));
        return Ops.Arith(f.M, Op.Sub, x, y, a, b);
    }
}

internal sealed class MulExpr(Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (x.IsInt && y.IsInt) return Value.Int(unchecked(x.N * y.N));
        return Ops.Arith(f.M, Op.Mul, x, y, a, b);
    }
}

internal sealed class ArithExpr(int op, Expr a, Expr b) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (op == Op.Mod && x.IsInt && y.IsInt && y.N > 0) { var r = x.N % y.N; return Value.Int(r < 0 ? r + y.N : r); }
        return Ops.Arith(f.M, op, x, y, a, b);
    }
}

internal sealed class EqExpr(Expr a, Expr b, bool negate) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        var eq = x.IsInt && y.IsInt ? x.N == y.N : Ops.Equal(f.M, x, y);
        return Value.Bool(eq != negate);
    }
}

/// <summary>a &lt; b, or with swap b &lt; a (for &gt;).</summary>
internal sealed class LtExpr(Expr a, Expr b, bool swap) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (x.IsInt && y.IsInt) return Value.Bool(swap ? y.N < x.N : x.N < y.N);
        return Value.Bool(swap ? Ops.LessThan(f.M, y, x) : Ops.LessThan(f.M, x, y));
    }
}

internal sealed class LeExpr(Expr a, Expr b, bool swap) : Expr
{
    public override Value Eval(Frame f)
    {
        var x = a.Eval(f);
        var y = b.Eval(f);
        if (x.IsInt && y.IsInt) return Value.Bool(swap ? y.N <= x.N : x.N <= y.N);
        return Value.Bool(swap ? Ops.LessEqual(f.M, y, x) : Ops.LessEqual(f.M, x, y));
    }
}

internal sealed class ConcatExpr(Expr[] parts) : Expr
{
    public readonly Expr[] Parts = parts;
    public override Value Eval(Frame f)
    {
        var vals = new Value[Parts.Length];
        for (var i = 0; i < Parts.Length; i++) vals[i] = Parts[i].Eval(f);
        return Ops.Concat(f.M, vals, Parts);
    }
}

internal sealed class TableExpr(Expr[] items, (Expr Key, Expr Value)[] keyed) : Expr
{
    public override Value Eval(Frame f)
    {
        var m = f.M;
        var t = m.NewTable(items.Length, keyed.Length);
        // Entries in source order: Lua assigns constructor fields left to right.
        foreach (var (k, v) in keyed) t.Set(m, k.Eval(f), v.Eval(f));
        var n = items.Length;
        for (var i = 0; i < n; i++)
        {
            var e = items[i];
            if (i == n - 1 && e.IsMulti)
            {
                var rest = e.EvalMulti(f);
                m.Charge(rest.Length / 4);
                for (var j = 0; j < rest.Length; j++) t.SetInt(m, i + 1 + j, rest[j]);
            }
            else t.SetInt(m, i + 1, e.Eval(f));
        }
        return Value.Table(t);
    }
}
