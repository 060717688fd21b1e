namespace Chainlab.Contracts.Vm;

/// <summary>
/// The basic functions that need no interpreter: assert, ipairs, pairs, select, tonumber, tostring, type, rawequal,
/// rawlen, rawget, rawset and <c>_VERSION</c>. pcall, xpcall and error belong to the interpreter; next, load, print,
/// getmetatable and setmetatable are absent on purpose. Nothing here shows an address: tostring of a table is
/// "table", and pairs visits keys in a defined order (integers ascending, then floats, then strings bytewise, then
/// false, true), from a snapshot charged per key. Each call costs <see cref="Gas.LibraryCall"/>; text read costs 1
/// gas per 16 bytes, values copied 1 gas per 4.
/// </summary>
public static class BaseLib
{
    private const long BytesPerGas = (long)Gas.BytesPerGas;

    /// <summary>Adds the functions to <paramref name="globals"/> (before it is made read-only).</summary>
    public static void Register(LuaTable globals)
    {
        void Add(string name, Func<Machine, Value[], Value[]> body) => globals.Put(name, Value.Func(new Builtin(name, body)));
        Add("assert", Assert);
        Add("ipairs", Ipairs);
        Add("pairs", Pairs);
        Add("rawequal", RawEqual);
        Add("rawget", RawGet);
        Add("rawlen", RawLen);
        Add("rawset", RawSet);
        Add("select", Select);
        Add("tonumber", ToNumber);
        Add("tostring", ToString);
        Add("type", Type);
        globals.Put("_VERSION", LibraryHelpers.Constant("Lua 5.4"));
    }

    // Shared constant strings: no allocation, so type() and tostring() in a loop do not add up to memory.
    private static readonly Value NilName = LibraryHelpers.Constant("nil"), BooleanName = LibraryHelpers.Constant("boolean"),
        NumberName = LibraryHelpers.Constant("number"), StringName = LibraryHelpers.Constant("string"),
        TableName = LibraryHelpers.Constant("table"), FunctionName = LibraryHelpers.Constant("function"),
        TrueText = LibraryHelpers.Constant("true"), FalseText = LibraryHelpers.Constant("false");

    private static Value TypeName(in Value v) => v.Type switch
    {
        LuaType.Nil => NilName,
        LuaType.Boolean => BooleanName,
        LuaType.Number => NumberName,
        LuaType.String => StringName,
        LuaType.Table => TableName,
        _ => FunctionName,
    };

    // ---------------------------------------------------------------- assert, select

    private static Value[] Assert(Machine m, Value[] a)
    {
        if (a.Length > 0 && a[0].IsTruthy) return a;
        if (a.Length == 0) throw Args.Bad(m, 0, "assert", "value expected");
        // As Lua: the message (any value; "assertion failed!" when none is given) is raised like error(message),
        // so a string gets the position of the call in front.
        if (a.Length < 2) throw m.Error("assertion failed!");
        var message = a[1];
        if (message.IsString) throw new LuaError(m.Str([.. System.Text.Encoding.UTF8.GetBytes(m.Where(1)), .. message.AsString.Bytes]));
        throw new LuaError(message);
    }

    private static Value[] Select(Machine m, Value[] a)
    {
        var n = a.Length;
        if (n > 0 && a[0].IsString && a[0].AsString.Length > 0 && a[0].AsString.Bytes[0] == '#') return [Value.Int(n - 1)];
        var i = Args.Int(m, a, 0, "select");
        if (i < 0) i = n + i;
        else if (i > n) i = n;
        if (i < 1) throw Args.Bad(m, 0, "select", "index out of range");
        var count = n - (int)i;
        if (count == 0) return Value.None;
        LibraryHelpers.Pay(m, count, 4);
        return a[(int)i..];
    }

    // ---------------------------------------------------------------- ipairs, pairs

    private static readonly Builtin IpairsStep = new("for iterator", IpairsNext);

    private static Value[] Ipairs(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "ipairs");
        return [Value.Func(IpairsStep), Value.Table(t), Value.Int(0)];
    }

    private static Value[] IpairsNext(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "for iterator");
        var i = unchecked(Args.Int(m, a, 1, "for iterator") + 1);
        var v = t.Get(i);
        return v.IsNil ? [Value.Nil] : [Value.Int(i), v];
    }

    private static Value[] Pairs(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "pairs");
        var keys = t.SortedKeys(m, "pairs");
        var walk = new KeyWalk(m, t, keys);
        return [Value.Func(new Builtin("for iterator", walk.Next)), Value.Table(t), Value.Nil];
    }

    /// <summary>
    /// The state of one pairs loop: the keys as they were when it started, in order. It returns those whose value is
    /// still non-nil when reached (keys removed meanwhile are skipped, keys added are not visited). The snapshot
    /// counts as memory while the loop runs and is given back when it ends.
    /// </summary>
    private sealed class KeyWalk
    {
        private readonly Machine _m;
        private readonly LuaTable _t;
        private List<Value>? _keys;
        private readonly long _bytes;
        private int _next;

        public KeyWalk(Machine m, LuaTable t, List<Value> keys)
        {
            // The keys, plus the walk, its list and its iterator function (even for an empty table).
            _bytes = (long)keys.Count * LuaTable.SlotBytes + 200;
            m.Allocate(_bytes);
            (_m, _t, _keys) = (m, t, keys);
        }

        public Value[] Next(Machine m, Value[] a)
        {
            if (_keys is null) return [Value.Nil];
            while (_next < _keys.Count)
            {
                var k = _keys[_next++];
                var v = _t.Get(k);
                if (!v.IsNil) return [k, v];
            }
            _keys = null;
            _m.Release(_bytes);
            return [Value.Nil];
        }
    }

    // ---------------------------------------------------------------- tonumber, tostring, type

    private static Value[] ToNumber(Machine m, Value[] a)
    {
        if (Args.At(a, 1).IsNil)
        {
            var v = Args.Any(m, a, 0, "tonumber");
            return [Coerce.ToNumber(m, v) ?? Value.Nil];
        }
        var numberBase = Args.Int(m, a, 1, "tonumber");
        if (!Args.At(a, 0).IsString) throw Args.Expected(m, a, 0, "tonumber", "string");
        if (numberBase < 2 || numberBase > 36) throw Args.Bad(m, 1, "tonumber", "base out of range");
        var s = a[0].AsString.Bytes;
        LibraryHelpers.Pay(m, s.Length, BytesPerGas);
        return [ParseInBase(s, (int)numberBase) is { } n ? Value.Int(n) : Value.Nil];
    }

    /// <summary>Lua's l_str2int: spaces, an optional sign, alphanumeric digits below the base, spaces; wraps around like Lua's unsigned arithmetic.</summary>
    private static long? ParseInBase(byte[] s, int numberBase)
    {
        var i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        var neg = false;
        if (i < s.Length && s[i] == '-') { neg = true; i++; }
        else if (i < s.Length && s[i] == '+') i++;
        if (i >= s.Length || Digit(s[i]) < 0) return null;
        ulong n = 0;
        for (; i < s.Length && Digit(s[i]) >= 0; i++)
        {
            var d = Digit(s[i]);
            if (d >= numberBase) return null;
            n = unchecked(n * (ulong)numberBase + (ulong)d);
        }
        while (i < s.Length && IsSpace(s[i])) i++;
        if (i != s.Length) return null;
        return unchecked((long)(neg ? 0 - n : n));
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\f' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\v';

    /// <summary>The value of an ASCII letter or digit (a–z and A–Z are 10–35), or -1.</summary>
    private static int Digit(byte c) =>
        c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10 : -1;

    private static Value[] ToString(Machine m, Value[] a)
    {
        var v = Args.Any(m, a, 0, "tostring");
        return [v.Type switch
        {
            LuaType.String => v,
            LuaType.Number => Value.Str(Coerce.ToLuaString(m, v)),
            LuaType.Boolean => v.AsBool ? TrueText : FalseText,
            _ => TypeName(v), // nil, table, function: never an address
        }];
    }

    private static Value[] Type(Machine m, Value[] a) => [TypeName(Args.Any(m, a, 0, "type"))];

    // ---------------------------------------------------------------- raw access

    private static Value[] RawEqual(Machine m, Value[] a)
    {
        var x = Args.Any(m, a, 0, "rawequal");
        var y = Args.Any(m, a, 1, "rawequal");
        if (x.IsString && y.IsString && x.AsString.Length == y.AsString.Length && x.AsString.Length > 32 && !ReferenceEquals(x.O, y.O))
            LibraryHelpers.Pay(m, x.AsString.Length, BytesPerGas);
        return [Value.Bool(Value.RawEquals(x, y))];
    }

    private static Value[] RawLen(Machine m, Value[] a)
    {
        var v = Args.At(a, 0);
        if (v.IsTable) return [Value.Int(v.AsTable.Length)];
        if (v.IsString) return [Value.Int(v.AsString.Length)];
        throw Args.Expected(m, a, 0, "rawlen", "table or string");
    }

    private static Value[] RawGet(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "rawget");
        var k = Args.Any(m, a, 1, "rawget");
        LuaTable.ChargeKey(m, k);
        return [t.Get(k)];
    }

    private static Value[] RawSet(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "rawset");
        var k = Args.Any(m, a, 1, "rawset");
        var v = Args.Any(m, a, 2, "rawset");
        t.Set(m, k, v);
        return [Value.Table(t)];
    }
}
