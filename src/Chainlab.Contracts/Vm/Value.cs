using System.Runtime.CompilerServices;

namespace Chainlab.Contracts.Vm;

/// <summary>The type of a Lua value as contracts see it (no userdata, no threads).</summary>
public enum LuaType : byte { Nil, Boolean, Number, String, Table, Function }

/// <summary>
/// A Lua value in 16 bytes: a reference that tells the type (null for nil, a tag object for integers, floats and
/// booleans, else the string, table or function itself) and 64 bits of payload (the integer, the float's bits,
/// 0/1 for booleans). Nothing in it depends on an address or a hash seed.
/// </summary>
public readonly struct Value : IEquatable<Value>
{
    internal sealed class Tag(string name) { public override string ToString() => name; }
    internal static readonly Tag IntTag = new("integer"), FloatTag = new("float"), BoolTag = new("boolean");

    public readonly object? O;
    public readonly long N;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Value(object? o, long n) { O = o; N = n; }

    public static readonly Value Nil = default;
    public static readonly Value True = new(BoolTag, 1), False = new(BoolTag, 0);
    public static readonly Value[] None = [];

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Value Int(long v) => new(IntTag, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Value Float(double v) => new(FloatTag, BitConverter.DoubleToInt64Bits(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Value Bool(bool b) => b ? True : False;
    public static Value Str(LuaString s) => new(s, 0);
    public static Value Table(LuaTable t) => new(t, 0);
    public static Value Func(LuaFunction f) => new(f, 0);

    public bool IsNil { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => O is null; }
    public bool IsInt { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ReferenceEquals(O, IntTag); }
    public bool IsFloat { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ReferenceEquals(O, FloatTag); }
    public bool IsNumber => ReferenceEquals(O, IntTag) || ReferenceEquals(O, FloatTag);
    public bool IsBool => ReferenceEquals(O, BoolTag);
    public bool IsString => O is LuaString;
    public bool IsTable => O is LuaTable;
    public bool IsFunction => O is LuaFunction;
    /// <summary>Everything but nil and false is true.</summary>
    public bool IsTruthy { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => O is not null && (!ReferenceEquals(O, BoolTag) || N != 0); }
    public bool IsFalsy => !IsTruthy;

    public long AsInt => N;
    public double AsFloat => BitConverter.Int64BitsToDouble(N);
    public bool AsBool => N != 0;
    public LuaString AsString => (LuaString)O!;
    public LuaTable AsTable => (LuaTable)O!;
    public LuaFunction AsFunction => (LuaFunction)O!;
    /// <summary>A number as a double (integers converted); only for values that are numbers.</summary>
    public double ToDouble => IsInt ? N : AsFloat;

    public LuaType Type => O switch
    {
        null => LuaType.Nil,
        LuaString => LuaType.String,
        LuaTable => LuaType.Table,
        LuaFunction => LuaType.Function,
        _ when ReferenceEquals(O, BoolTag) => LuaType.Boolean,
        _ => LuaType.Number,
    };

    public string TypeName => Type switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => "boolean",
        LuaType.Number => "number",
        LuaType.String => "string",
        LuaType.Table => "table",
        _ => "function",
    };

    /// <summary>Raw equality (Lua's rawequal): numbers by value across integer and float, strings by content, the rest by identity.</summary>
    public static bool RawEquals(in Value a, in Value b)
    {
        if (ReferenceEquals(a.O, b.O)) return ReferenceEquals(a.O, FloatTag) ? a.AsFloat == b.AsFloat : a.N == b.N;
        if (a.O is LuaString x && b.O is LuaString y) return x.Equals(y);
        if (ReferenceEquals(a.O, IntTag) && ReferenceEquals(b.O, FloatTag)) return (double)a.N == b.AsFloat && Numbers.FloatFitsInt(b.AsFloat, out var i) && i == a.N;
        if (ReferenceEquals(a.O, FloatTag) && ReferenceEquals(b.O, IntTag)) return RawEquals(b, a);
        return false;
    }

    /// <summary>Key equality: same type and payload (float keys with an integer value are stored as integers first).</summary>
    public bool Equals(Value other)
    {
        if (ReferenceEquals(O, other.O)) return N == other.N;
        return O is LuaString x && other.O is LuaString y && x.Equals(y);
    }

    public override bool Equals(object? obj) => obj is Value v && Equals(v);

    /// <summary>A hash for table keys: strings by content (fixed function, no seed), numbers by bits, objects by their creation number.</summary>
    public override int GetHashCode() => O switch
    {
        null => 0,
        LuaString s => s.Hash,
        LuaTable t => t.Id,
        LuaFunction f => f.Id,
        _ => Mix(N, ReferenceEquals(O, FloatTag)),
    };

    // Numbers are mixed with a per-process seed (splitmix64's finaliser): nobody can build integer keys that share
    // buckets. Like the string hash, it never reaches a result.
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    private static int Mix(long n, bool isFloat)
    {
        var z = (ulong)n ^ Seed ^ (isFloat ? 0x9e3779b97f4a7c15UL : 0);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        z ^= z >> 31;
        return (int)z ^ (int)(z >> 32);
    }

    public override string ToString() => O switch
    {
        null => "nil",
        LuaString s => s.ToString(),
        LuaTable => "table",
        LuaFunction => "function",
        _ when ReferenceEquals(O, BoolTag) => N != 0 ? "true" : "false",
        _ when ReferenceEquals(O, IntTag) => N.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Numbers.FloatToText(AsFloat),
    };
}
