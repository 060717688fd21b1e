namespace Chainlab.Contracts.Vm;

/// <summary>Argument checks for library functions, with Lua's messages ("bad argument #1 to 'rep' (number expected, got nil)").</summary>
public static class Args
{
    public static Value At(Value[] args, int i) => i < args.Length ? args[i] : Value.Nil;

    public static LuaError Bad(Machine m, int i, string fn, string why) => m.Error($"bad argument #{i + 1} to '{fn}' ({why})");

    public static LuaError Expected(Machine m, Value[] args, int i, string fn, string type) =>
        Bad(m, i, fn, $"{type} expected, got {(i < args.Length ? args[i].TypeName : "no value")}");

    public static long Int(Machine m, Value[] args, int i, string fn)
    {
        var v = At(args, i);
        if (v.IsInt) return v.N;
        if (v.IsFloat)
        {
            if (Numbers.FloatFitsInt(v.AsFloat, out var k)) return k;
            throw Bad(m, i, fn, "number has no integer representation");
        }
        if (v.IsString && Coerce.ToNumber(m, v) is { } n)
        {
            if (Numbers.ToInteger(n, out var k)) return k;
            throw Bad(m, i, fn, "number has no integer representation");
        }
        throw Expected(m, args, i, fn, "number");
    }

    public static long OptInt(Machine m, Value[] args, int i, string fn, long fallback) =>
        At(args, i).IsNil ? fallback : Int(m, args, i, fn);

    public static Value Number(Machine m, Value[] args, int i, string fn)
    {
        var v = At(args, i);
        if (v.IsNumber) return v;
        if (v.IsString && Coerce.ToNumber(m, v) is { } n) return n;
        throw Expected(m, args, i, fn, "number");
    }

    /// <summary>A string argument; numbers are converted to their text (charged), as in Lua.</summary>
    public static LuaString String(Machine m, Value[] args, int i, string fn)
    {
        var v = At(args, i);
        if (v.IsString) return v.AsString;
        if (v.IsNumber) return Coerce.ToLuaString(m, v);
        throw Expected(m, args, i, fn, "string");
    }

    public static LuaString? OptString(Machine m, Value[] args, int i, string fn) =>
        At(args, i).IsNil ? null : String(m, args, i, fn);

    public static LuaTable Table(Machine m, Value[] args, int i, string fn)
    {
        var v = At(args, i);
        return v.IsTable ? v.AsTable : throw Expected(m, args, i, fn, "table");
    }

    public static LuaFunction Function(Machine m, Value[] args, int i, string fn)
    {
        var v = At(args, i);
        return v.IsFunction ? v.AsFunction : throw Expected(m, args, i, fn, "function");
    }

    public static Value Any(Machine m, Value[] args, int i, string fn) =>
        i < args.Length ? args[i] : throw Bad(m, i, fn, "value expected");

    public static Value[] One(Value v) => [v];
}

/// <summary>Lua's automatic conversions between strings and numbers, charged per byte.</summary>
public static class Coerce
{
    /// <summary>A number, or a string that reads as one (converted, charged); null otherwise.</summary>
    public static Value? ToNumber(Machine m, in Value v)
    {
        if (v.IsNumber) return v;
        if (!v.IsString) return null;
        // Reading a numeral is several passes (trim, scan, then .NET's exact conversion): 1 gas per 4 bytes.
        var s = v.AsString;
        m.Spend(s.Length, 4);
        return Numbers.Parse(s.Span);
    }

    /// <summary>The text of a number (for "..", string arguments and tostring), charged as a new string.</summary>
    public static LuaString ToLuaString(Machine m, in Value v)
    {
        if (v.IsString) return v.AsString;
        return m.NewString(Text(m, v));
    }

    /// <summary>The text bytes of a number, charged (a float's shortest exact digits are dear to find), not yet a string.</summary>
    public static byte[] Text(Machine m, in Value v)
    {
        if (v.IsFloat) m.Charge(Gas.FloatText);
        return System.Text.Encoding.ASCII.GetBytes(v.ToString());
    }
}
