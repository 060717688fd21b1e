namespace Chainlab.Contracts.Vm;

/// <summary>
/// The integer-only <c>math</c> library contracts get: abs, max, min, maxinteger, mininteger, tointeger, type, ult,
/// plus add, sub, mul and div, which raise on overflow instead of wrapping around. There is no floating-point
/// function (floor, sqrt, huge, pi…) and no random. abs, max, min, add, sub, mul and div take integers only (not
/// floats with an integral value, not strings), with the messages of the old sandbox ("add: a must be an integer",
/// "overflow in math.add", "division by zero"). Each call costs <see cref="Gas.LibraryCall"/>; max and min also 1 gas
/// per 4 arguments, tointeger of a string 1 gas per 16 bytes.
/// </summary>
public static class MathLib
{
    /// <summary>A new read-only table with the library (build it once per process; it is shared).</summary>
    public static LuaTable Create()
    {
        var t = new LuaTable(null);
        void Add(string name, Func<Machine, Value[], Value[]> body) => t.Put(name, Value.Func(new Builtin(name, body)));
        Add("abs", Abs);
        Add("add", AddChecked);
        Add("div", Div);
        Add("max", (m, a) => Extreme(m, a, "max", max: true));
        Add("min", (m, a) => Extreme(m, a, "min", max: false));
        Add("mul", Mul);
        Add("sub", Sub);
        Add("tointeger", ToInteger);
        Add("type", Type);
        Add("ult", Ult);
        t.Put("maxinteger", Value.Int(long.MaxValue));
        t.Put("mininteger", Value.Int(long.MinValue));
        t.ReadOnly = true;
        return t;
    }

    private static readonly Value IntegerName = LibraryHelpers.Constant("integer"), FloatName = LibraryHelpers.Constant("float");

    /// <summary>An argument that must be an integer (the subtype, as math.type says), else "<paramref name="what"/> must be an integer".</summary>
    private static long Integer(Machine m, Value[] a, int i, string what)
    {
        var v = Args.At(a, i);
        return v.IsInt ? v.N : throw m.Error(what + " must be an integer");
    }

    private static Value[] Abs(Machine m, Value[] a)
    {
        var x = Integer(m, a, 0, "abs: argument");
        if (x == long.MinValue) throw m.Error("overflow in math.abs");
        return [Value.Int(x < 0 ? -x : x)];
    }

    private static Value[] Extreme(Machine m, Value[] a, string fn, bool max)
    {
        m.Spend(a.Length, 4);
        var what = fn + ": argument";
        var best = Integer(m, a, 0, what);
        for (var i = 1; i < a.Length; i++)
        {
            var x = Integer(m, a, i, what);
            if (max ? x > best : x < best) best = x;
        }
        return [Value.Int(best)];
    }

    private static Value[] AddChecked(Machine m, Value[] a)
    {
        var x = Integer(m, a, 0, "add: a");
        var y = Integer(m, a, 1, "add: b");
        var r = unchecked(x + y);
        if ((y > 0 && r < x) || (y < 0 && r > x)) throw m.Error("overflow in math.add");
        return [Value.Int(r)];
    }

    private static Value[] Sub(Machine m, Value[] a)
    {
        var x = Integer(m, a, 0, "sub: a");
        var y = Integer(m, a, 1, "sub: b");
        var r = unchecked(x - y);
        if ((y < 0 && r < x) || (y > 0 && r > x)) throw m.Error("overflow in math.sub");
        return [Value.Int(r)];
    }

    private static Value[] Mul(Machine m, Value[] a)
    {
        var x = Integer(m, a, 0, "mul: a");
        var y = Integer(m, a, 1, "mul: b");
        var high = Math.BigMul(x, y, out var low);
        // The product fits in 64 bits exactly when the high half is the sign extension of the low half.
        if (high != low >> 63) throw m.Error("overflow in math.mul");
        return [Value.Int(low)];
    }

    private static Value[] Div(Machine m, Value[] a)
    {
        var x = Integer(m, a, 0, "div: a");
        var y = Integer(m, a, 1, "div: b");
        if (y == 0) throw m.Error("division by zero");
        if (x == long.MinValue && y == -1) throw m.Error("overflow in math.div");
        return [Value.Int(Numbers.IntFloorDiv(x, y))];
    }

    private static Value[] ToInteger(Machine m, Value[] a)
    {
        var v = Args.Any(m, a, 0, "tointeger");
        // As Lua 5.4.9: numbers with an integral value and strings that read as one (" 0x10 ", "3.0").
        if (Coerce.ToNumber(m, v) is { } n && Numbers.ToInteger(n, out var i)) return [Value.Int(i)];
        return [Value.Nil];
    }

    private static Value[] Type(Machine m, Value[] a)
    {
        var v = Args.Any(m, a, 0, "type");
        return [v.IsInt ? IntegerName : v.IsFloat ? FloatName : Value.Nil];
    }

    private static Value[] Ult(Machine m, Value[] a)
    {
        var x = Args.Int(m, a, 0, "ult");
        var y = Args.Int(m, a, 1, "ult");
        return [Value.Bool((ulong)x < (ulong)y)];
    }
}
