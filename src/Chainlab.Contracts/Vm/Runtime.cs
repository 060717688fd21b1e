using System.Runtime.CompilerServices;

namespace Chainlab.Contracts.Vm;

/// <summary>A local variable that a closure captured: the frame and the closures share it.</summary>
internal sealed class Cell(Value v)
{
    /// <summary>What a cell costs in memory when a local is captured.</summary>
    public const long Bytes = 32;
    public Value V = v;
}

/// <summary>Where a closure's upvalue comes from when it is created: a local of the enclosing function (its slot) or one of its upvalues.</summary>
internal readonly record struct UpvalueSource(bool FromLocal, int Index, string Name);

/// <summary>A compiled function: immutable, shared by every closure of it and every frame in the process.</summary>
internal sealed class Proto
{
    public required string Name;
    public required int Line;
    public int Params;
    public bool IsVararg;
    public bool[] ParamCaptured = [];
    public int Slots;
    public Block Body = null!;
    public UpvalueSource[] Upvalues = [];
    /// <summary>Stack units a call of this function reserves: 1 + its deepest nesting of statements and expressions.</summary>
    public int StackCost = 1;
}

/// <summary>One activation of a Lua function.</summary>
internal sealed class Frame(Machine m, LuaClosure closure, Value[] slots, Value[] varargs)
{
    public readonly Machine M = m;
    public readonly LuaClosure Closure = closure;
    public readonly Value[] Slots = slots;
    public readonly Value[] Varargs = varargs;
    /// <summary>The results; null when the function returned exactly one value, which is then in <see cref="Ret1"/>.</summary>
    public Value[]? Ret = Value.None;
    public Value Ret1;
    public string? GotoLabel;
}

/// <summary>The globals a frame's closures see: the contract's own table first, then the read-only libraries.</summary>
internal sealed class Globals(LuaTable own, LuaTable library)
{
    public readonly LuaTable Own = own;
    public readonly LuaTable Library = library;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Value Get(LuaString name)
    {
        var v = Own.Get(name);
        return v.IsNil ? Library.Get(name) : v;
    }
}

/// <summary>A Lua function value: a prototype, its captured cells and the globals it was created under.</summary>
internal sealed class LuaClosure(Proto proto, Cell[] upvalues, Globals globals) : LuaFunction
{
    public readonly Proto P = proto;
    public readonly Cell[] Up = upvalues;
    public readonly Globals G = globals;
    public override string Name => P.Name;

    public override Value[] Call(Machine m, Value[] args)
    {
        var p = P;
        var slots = new Value[p.Slots];
        var n = Math.Min(args.Length, p.Params);
        for (var i = 0; i < n; i++) slots[i] = args[i];
        var varargs = p.IsVararg && args.Length > p.Params ? args[p.Params..] : Value.None;
        var f = Run(m, slots, varargs);
        return f.Ret ?? [f.Ret1];
    }

    /// <summary>Runs with the parameters already in a fresh slots array (the caller evaluated its arguments straight into it).</summary>
    public Frame Run(Machine m, Value[] slots, Value[] varargs)
    {
        var p = P;
        m.Enter(p.StackCost);
        for (var i = 0; i < p.ParamCaptured.Length; i++)
            if (p.ParamCaptured[i])
            {
                m.Allocate(Cell.Bytes);
                slots[i] = new Value(new Cell(slots[i]), 0);
            }
        var f = new Frame(m, this, slots, varargs);
        if (p.Body.Exec(f) != Signal.Return) f.Ret = Value.None;
        m.Leave(p.StackCost);
        return f;
    }
}

/// <summary>The operations of the language on values: arithmetic, comparison, concatenation, indexing, calls, with Lua's messages.</summary>
internal static class Ops
{
    public static LuaTable StringLibrary = null!;

    public static LuaError ArithError(Machine m, in Value a, in Value b, Expr? ea, Expr? eb, string what)
    {
        var (bad, e) = (Coerce.ToNumber(m, a) is null) ? (a, ea) : (b, eb);
        if (what == "bitwise operation" && bad.IsNumber) return m.Error("number has no integer representation");
        return m.Error($"attempt to perform {(what == "arithmetic" ? "arithmetic" : what)} on a {bad.TypeName} value{Describe(e)}");
    }

    public static string Describe(Expr? e) => e?.Describe() is { } d ? $" ({d})" : "";

    public static Value Arith(Machine m, int op, Value a, Value b, Expr? ea = null, Expr? eb = null)
    {
        if (!a.IsNumber || !b.IsNumber)
        {
            var x = a.IsNumber ? a : Coerce.ToNumber(m, a);
            var y = b.IsNumber ? b : Coerce.ToNumber(m, b);
            if (x is null || y is null) throw ArithError(m, a, b, ea, eb, op >= Op.BAnd ? "bitwise operation" : "arithmetic");
            a = x.Value; b = y.Value;
        }
        if (op >= Op.BAnd)
        {
            if (!Numbers.ToInteger(a, out var i) || !Numbers.ToInteger(b, out var j)) throw m.Error("number has no integer representation");
            return Value.Int(op switch
            {
                Op.BAnd => i & j,
                Op.BOr => i | j,
                Op.BXor => i ^ j,
                Op.Shl => ShiftLeft(i, j),
                _ => ShiftLeft(i, j == long.MinValue ? long.MaxValue : -j),
            });
        }
        if (a.IsInt && b.IsInt)
        {
            long i = a.N, j = b.N;
            switch (op)
            {
                case Op.Add: return Value.Int(unchecked(i + j));
                case Op.Sub: return Value.Int(unchecked(i - j));
                case Op.Mul: return Value.Int(unchecked(i * j));
                case Op.IDiv:
                    if (j == 0) throw m.Error("attempt to perform 'n//0'");
                    return Value.Int(Numbers.IntFloorDiv(i, j));
                case Op.Mod:
                    if (j == 0) throw m.Error("attempt to perform 'n%%0'");
                    return Value.Int(Numbers.IntMod(i, j));
            }
        }
        double x1 = a.ToDouble, y1 = b.ToDouble;
        switch (op)
        {
            case Op.Add: return Value.Float(x1 + y1);
            case Op.Sub: return Value.Float(x1 - y1);
            case Op.Mul: return Value.Float(x1 * y1);
            case Op.Div: return Value.Float(x1 / y1);
            case Op.IDiv: return Value.Float(Math.Floor(x1 / y1));
            case Op.Mod:
                if (double.IsInfinity(y1) && double.IsFinite(x1)) return Value.Float((x1 >= 0) == (y1 > 0) ? x1 : y1);
                return Value.Float(Numbers.FloatMod(x1, y1));
            case Op.Pow:
                if (!Numbers.TryPow(x1, y1, out var r)) throw m.Error("only integer exponents are available in contracts (x ^ y with y a whole number)");
                return Value.Float(r);
        }
        throw new InvalidOperationException("unknown operator");
    }

    private static long ShiftLeft(long x, long n)
    {
        if (n <= -64 || n >= 64) return 0;
        return n >= 0 ? (long)((ulong)x << (int)n) : (long)((ulong)x >> (int)-n);
    }

    public static bool LessThan(Machine m, in Value a, in Value b)
    {
        if (a.IsInt && b.IsInt) return a.N < b.N;
        if (a.IsNumber && b.IsNumber)
        {
            if (a.IsFloat && b.IsFloat) return a.AsFloat < b.AsFloat;
            return a.IsInt ? Numbers.IntLessThanFloat(a.N, b.AsFloat) : Numbers.FloatLessThanInt(a.AsFloat, b.N);
        }
        if (a.IsString && b.IsString) { ChargeCompare(m, a.AsString, b.AsString); return a.AsString.CompareTo(b.AsString) < 0; }
        throw CompareError(m, a, b);
    }

    public static bool LessEqual(Machine m, in Value a, in Value b)
    {
        if (a.IsInt && b.IsInt) return a.N <= b.N;
        if (a.IsNumber && b.IsNumber)
        {
            if (a.IsFloat && b.IsFloat) return a.AsFloat <= b.AsFloat;
            return a.IsInt ? Numbers.IntLessOrEqualFloat(a.N, b.AsFloat) : Numbers.FloatLessOrEqualInt(a.AsFloat, b.N);
        }
        if (a.IsString && b.IsString) { ChargeCompare(m, a.AsString, b.AsString); return a.AsString.CompareTo(b.AsString) <= 0; }
        throw CompareError(m, a, b);
    }

    private static void ChargeCompare(Machine m, LuaString a, LuaString b)
    {
        var n = Math.Min(a.Length, b.Length);
        if (n > 32) m.Spend(n, (long)Gas.BytesPerGas);
    }

    public static bool Equal(Machine m, in Value a, in Value b)
    {
        if (a.O is LuaString x && b.O is LuaString y && x.Length == y.Length && x.Length > 32 && !ReferenceEquals(x, y)) m.Spend(x.Length, (long)Gas.BytesPerGas);
        return Value.RawEquals(a, b);
    }

    private static LuaError CompareError(Machine m, in Value a, in Value b) =>
        a.TypeName == b.TypeName ? m.Error($"attempt to compare two {a.TypeName} values") : m.Error($"attempt to compare {a.TypeName} with {b.TypeName}");

    public static Value Index(Machine m, in Value obj, in Value key, Expr? e)
    {
        if (obj.O is LuaTable t) return t.Get(key);
        if (obj.O is LuaString) return key.IsString ? StringLibrary.Get(key.AsString) : Value.Nil;
        throw m.Error($"attempt to index a {obj.TypeName} value{Describe(e)}");
    }

    public static void SetIndex(Machine m, in Value obj, in Value key, in Value value, Expr? e)
    {
        if (obj.O is LuaTable t) { t.Set(m, key, value); return; }
        throw m.Error($"attempt to index a {obj.TypeName} value{Describe(e)}");
    }

    public static Value Length(Machine m, in Value v, Expr? e)
    {
        if (v.O is LuaString s) return Value.Int(s.Length);
        if (v.O is LuaTable t) return Value.Int(t.Length);
        throw m.Error($"attempt to get length of a {v.TypeName} value{Describe(e)}");
    }

    public static Value Negate(Machine m, in Value v, Expr? e)
    {
        if (v.IsInt) return Value.Int(unchecked(-v.N));
        if (v.IsFloat) return Value.Float(-v.AsFloat);
        if (Coerce.ToNumber(m, v) is { } n) return Negate(m, n, e);
        throw m.Error($"attempt to perform arithmetic on a {v.TypeName} value{Describe(e)}");
    }

    public static Value BNot(Machine m, in Value v, Expr? e)
    {
        var n = v.IsNumber ? v : Coerce.ToNumber(m, v);
        if (n is null) throw m.Error($"attempt to perform bitwise operation on a {v.TypeName} value{Describe(e)}");
        if (!Numbers.ToInteger(n.Value, out var i)) throw m.Error("number has no integer representation");
        return Value.Int(~i);
    }

    /// <summary>Joins strings and numbers into one new string (charged once for its bytes).</summary>
    public static Value Concat(Machine m, Value[] parts, Expr[] exprs)
    {
        long total = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            if (p.IsNumber) parts[i] = p = Value.Str(Coerce.ToLuaString(m, p));
            else if (!p.IsString) throw m.Error($"attempt to concatenate a {p.TypeName} value{Describe(exprs[i])}");
            total += p.AsString.Length;
        }
        m.Reserve(total + 24);
        var bytes = new byte[total];
        var at = 0;
        foreach (var p in parts)
        {
            var s = p.AsString.Bytes;
            s.CopyTo(bytes, at);
            at += s.Length;
        }
        m.Work += total;
        return Value.Str(m.NewString(bytes));
    }

    public static LuaFunction CallTarget(Machine m, in Value f, Expr? e)
    {
        if (f.O is LuaFunction fn) return fn;
        throw m.Error($"attempt to call a {f.TypeName} value{Describe(e)}");
    }
}

internal static class Op
{
    public const int Add = 0, Sub = 1, Mul = 2, Div = 3, Mod = 4, Pow = 5, IDiv = 6, BAnd = 7, BOr = 8, BXor = 9, Shl = 10, Shr = 11;
}
