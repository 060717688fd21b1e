namespace Chainlab.Contracts.Vm;

/// <summary>
/// Lua 5.4's <c>utf8</c> library: char, charpattern, codes, codepoint, len and offset, decoding as strictly as Lua
/// (no overlong forms; without <c>lax</c> no surrogates and nothing above U+10FFFF; with it up to 0x7FFFFFFF in
/// Lua's six-byte form). Bytes scanned cost 1 gas per 16, charged before the scan when its length is known and in
/// slices of <see cref="Slice"/> bytes as it goes otherwise; values produced cost 1 gas per 4.
/// The work counted in <see cref="Machine.Work"/> is at most 16 units per unit of gas charged for it.
/// </summary>
public static class Utf8Lib
{
    private const long BytesPerGas = (long)Gas.BytesPerGas;
    private const uint MaxUnicode = 0x10FFFF, MaxUtf = 0x7FFFFFFF;
    /// <summary>Bytes scanned between two charges when the length of a scan is not known before it.</summary>
    private const int Slice = 1024;

    /// <summary>A new read-only table with the library (build it once per process; it is shared).</summary>
    public static LuaTable Create()
    {
        var t = new LuaTable(null);
        void Add(string name, Func<Machine, Value[], Value[]> body) => t.Put(name, Value.Func(new Builtin(name, body)));
        Add("char", Char);
        Add("codepoint", Codepoint);
        Add("codes", Codes);
        Add("len", Len);
        Add("offset", Offset);
        t.Put("charpattern", LibraryHelpers.Constant("[\0-\x7F\xC2-\xFD][\x80-\xBF]*"u8.ToArray()));
        t.ReadOnly = true;
        return t;
    }

    private static bool IsCont(byte c) => (c & 0xC0) == 0x80;

    /// <summary>The byte at <paramref name="i"/>, or 0 past the end (C strings end in a NUL, which Lua's decoder relies on).</summary>
    private static byte At(byte[] s, long i) => (ulong)i < (ulong)s.Length ? s[i] : (byte)0;

    private static bool IsContAt(byte[] s, long i) => IsCont(At(s, i));

    /// <summary>Lua's u_posrelat: a position, negative ones counted back from the end (too far back gives 0).</summary>
    private static long PosRelative(long pos, long len) => pos >= 0 ? pos : 0UL - (ulong)pos > (ulong)len ? 0 : len + pos + 1;

    /// <summary>
    /// Decodes the sequence at <paramref name="i"/> as Lua's utf8_decode does: the index after it, or -1 when it is
    /// not valid (a continuation byte missing, an overlong form, more than 0x7FFFFFFF, or when
    /// <paramref name="strict"/> a surrogate or more than U+10FFFF). Reads at most 7 bytes.
    /// </summary>
    private static long Decode(byte[] s, long i, bool strict, out uint code)
    {
        ReadOnlySpan<uint> limits = [~0u, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];
        uint c = At(s, i);
        uint res = 0;
        code = 0;
        if (c < 0x80) res = c;
        else
        {
            var count = 0;
            for (; (c & 0x40) != 0; c <<= 1)
            {
                uint cc = At(s, i + ++count);
                if (!IsCont((byte)cc)) return -1;
                res = (res << 6) | (cc & 0x3F);
            }
            if (count > 5) return -1;
            res |= (c & 0x7F) << (count * 5);
            if (res > MaxUtf || res < limits[count]) return -1;
            i += count;
        }
        if (strict && (res > MaxUnicode || (res >= 0xD800 && res <= 0xDFFF))) return -1;
        code = res;
        return i + 1;
    }

    // ---------------------------------------------------------------- char

    private static Value[] Char(Machine m, Value[] a)
    {
        LibraryHelpers.Pay(m, a.Length, 4);
        var bytes = new byte[a.Length * 6];
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var code = (ulong)Args.Int(m, a, i, "char");
            if (code > MaxUtf) throw Args.Bad(m, i, "char", "value out of range");
            n += Encode((uint)code, bytes.AsSpan(n));
        }
        return [Value.Str(m.NewString(bytes.AsSpan(0, n).ToArray()))];
    }

    /// <summary>Lua's luaO_utf8esc: up to six bytes for values up to 0x7FFFFFFF.</summary>
    private static int Encode(uint x, Span<byte> into)
    {
        if (x < 0x80) { into[0] = (byte)x; return 1; }
        Span<byte> tmp = stackalloc byte[6];
        var n = 0;
        uint firstMax = 0x3F; // the most the first byte can hold
        do
        {
            tmp[n++] = (byte)(0x80 | (x & 0x3F));
            x >>= 6;
            firstMax >>= 1;
        } while (x > firstMax);
        tmp[n++] = (byte)((~firstMax << 1) | x);
        for (var k = 0; k < n; k++) into[k] = tmp[n - 1 - k];
        return n;
    }

    // ---------------------------------------------------------------- codepoint, len

    private static Value[] Codepoint(Machine m, Value[] a)
    {
        var str = Args.String(m, a, 0, "codepoint");
        var s = str.Bytes;
        long len = s.Length;
        var posi = PosRelative(Args.OptInt(m, a, 1, "codepoint", 1), len);
        var pose = PosRelative(Args.OptInt(m, a, 2, "codepoint", posi), len);
        var lax = Args.At(a, 3).IsTruthy;
        if (posi < 1) throw Args.Bad(m, 1, "codepoint", "out of bounds");
        if (pose > len) throw Args.Bad(m, 2, "codepoint", "out of bounds");
        if (posi > pose) return Value.None;
        // No more than MaxValues results, so no more than that many sequences (of at most 6 bytes) are read.
        var span = Math.Min(pose - posi + 1, 6L * (Machine.MaxValues + 1));
        LibraryHelpers.Pay(m, span, BytesPerGas);
        var results = new List<Value>();
        for (var i = posi - 1; i < pose;)
        {
            i = Decode(s, i, !lax, out var code);
            if (i < 0) throw m.Error("invalid UTF-8 code");
            if (results.Count == Machine.MaxValues) throw m.Error("string slice too long");
            results.Add(Value.Int(code));
        }
        LibraryHelpers.Pay(m, results.Count, 4);
        return [.. results];
    }

    private static Value[] Len(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "len").Bytes;
        long len = s.Length;
        var posi = PosRelative(Args.OptInt(m, a, 1, "len", 1), len);
        var posj = PosRelative(Args.OptInt(m, a, 2, "len", -1), len);
        var lax = Args.At(a, 3).IsTruthy;
        if (!(1 <= posi && --posi <= len)) throw Args.Bad(m, 1, "len", "initial position out of bounds");
        if (!(--posj < len)) throw Args.Bad(m, 2, "len", "final position out of bounds");
        if (posi <= posj) LibraryHelpers.Pay(m, posj - posi + 1, BytesPerGas);
        long n = 0;
        while (posi <= posj)
        {
            var next = Decode(s, posi, !lax, out _);
            if (next < 0) return [Value.Nil, Value.Int(posi + 1)];
            posi = next;
            n++;
        }
        return [Value.Int(n)];
    }

    // ---------------------------------------------------------------- offset

    /// <summary>Counts bytes scanned and charges them every <see cref="Slice"/> bytes, so a scan of unknown length is paid as it goes.</summary>
    private struct Scan(Machine m)
    {
        private int _pending;
        public void Step()
        {
            if (++_pending < Slice) return;
            m.Spend(_pending, BytesPerGas);
            _pending = 0;
        }
        public readonly void Done() { if (_pending > 0) m.Spend(_pending, BytesPerGas); }
    }

    private static Value[] Offset(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "offset").Bytes;
        long len = s.Length;
        var n = Args.Int(m, a, 1, "offset");
        var posi = n >= 0 ? 1 : len + 1;
        posi = PosRelative(Args.OptInt(m, a, 2, "offset", posi), len);
        if (!(1 <= posi && --posi <= len)) throw Args.Bad(m, 2, "offset", "position out of bounds");
        var scan = new Scan(m);
        if (n == 0)
        {
            // The start of the character that holds byte posi.
            while (posi > 0 && IsContAt(s, posi)) { posi--; scan.Step(); }
        }
        else
        {
            if (IsContAt(s, posi)) throw m.Error("initial position is a continuation byte");
            if (n < 0)
            {
                while (n < 0 && posi > 0)
                {
                    do { posi--; scan.Step(); } while (posi > 0 && IsContAt(s, posi));
                    n++;
                }
            }
            else
            {
                n--; // the first character is where we are
                while (n > 0 && posi < len)
                {
                    do { posi++; scan.Step(); } while (IsContAt(s, posi));
                    n--;
                }
            }
        }
        scan.Done();
        return [n == 0 ? Value.Int(posi + 1) : Value.Nil];
    }

    // ---------------------------------------------------------------- codes

    private static readonly Builtin StrictStep = new("for iterator", (m, a) => CodesStep(m, a, strict: true));
    private static readonly Builtin LaxStep = new("for iterator", (m, a) => CodesStep(m, a, strict: false));

    private static Value[] Codes(Machine m, Value[] a)
    {
        var lax = Args.At(a, 1).IsTruthy;
        var str = Args.String(m, a, 0, "codes");
        if (IsContAt(str.Bytes, 0)) throw Args.Bad(m, 0, "codes", "invalid UTF-8 code");
        return [Value.Func(lax ? LaxStep : StrictStep), Value.Str(str), Value.Int(0)];
    }

    /// <summary>One step of <c>for p, c in utf8.codes(s)</c>: from the byte after the control value, skips continuation bytes to the next character and decodes it.</summary>
    private static Value[] CodesStep(Machine m, Value[] a, bool strict)
    {
        var s = Args.String(m, a, 0, "for iterator").Bytes;
        var control = Args.At(a, 1);
        // Lua's lua_tointeger: a value that is not an integer (or a float or string with one) counts as 0.
        var i = Coerce.ToNumber(m, control) is { } n && Numbers.ToInteger(n, out var k) ? k : 0;
        var pos = (ulong)i;
        var len = (ulong)s.Length;
        if (pos < len)
        {
            var scan = new Scan(m);
            while (IsContAt(s, (long)pos)) { pos++; scan.Step(); }
            scan.Done();
        }
        if (pos >= len) return Value.None; // also when the control value was negative
        var next = Decode(s, (long)pos, strict, out var code);
        if (next < 0 || IsContAt(s, next)) throw m.Error("invalid UTF-8 code");
        return [Value.Int((long)pos + 1), Value.Int(code)];
    }
}
