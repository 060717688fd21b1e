namespace Chainlab.Contracts.Vm;

/// <summary>
/// Lua 5.4's <c>string</c> library for contracts (without dump, pack, unpack and packsize), on byte strings, with
/// every unit of work charged as it happens:
/// <list type="bullet">
/// <item>bytes copied, scanned or produced cost 1 gas per <see cref="Gas.BytesPerGas"/> (16), on top of the call
/// (<see cref="Gas.LibraryCall"/>) and of the memory of each new string (<see cref="Machine.NewString"/>);</item>
/// <item>pattern matching costs 1 gas per matcher step (<see cref="LuaMatcher"/>) and 1 gas per pattern byte compiled;</item>
/// <item>anything large is sized first, overflow-checked, and reserved (<see cref="Machine.Reserve"/>) before it is
/// built, so an impossible request stops at once with out-of-memory.</item>
/// </list>
/// The work counted in <see cref="Machine.Work"/> is at most 16 units per unit of gas charged for it.
/// Character classes, upper and lower are the C locale's (ASCII).
/// </summary>
public static partial class StringLib
{
    private const long BytesPerGas = (long)Gas.BytesPerGas;

    public static LuaTable Create()
    {
        var t = new LuaTable(null);
        void Add(string name, Func<Machine, Value[], Value[]> body) => t.Put(name, Value.Func(new Builtin(name, body)));
        Add("byte", Byte);
        Add("char", Char);
        Add("find", (m, a) => FindAux(m, a, find: true));
        Add("format", StringFormat.Run);
        Add("gmatch", GMatch);
        Add("gsub", GSub);
        Add("len", Len);
        Add("lower", Lower);
        Add("match", (m, a) => FindAux(m, a, find: false));
        Add("rep", Rep);
        Add("reverse", Reverse);
        Add("sub", Sub);
        Add("upper", Upper);
        t.ReadOnly = true;
        return t;
    }

    // ---------------------------------------------------------------- helpers

    private static readonly Value EmptyString = Value.Str(LuaString.Empty);

    /// <summary>Checks that <paramref name="bytes"/> more would fit in memory (and in one .NET array) before building them.</summary>
    internal static void Reserve(Machine m, long bytes)
    {
        // No array can be that large: report it as the memory limit it certainly exceeds.
        if (bytes > Array.MaxLength) m.Reserve(-1);
        m.Reserve(bytes);
    }

    /// <summary>A new string copied from part of <paramref name="src"/>, the copy and the memory charged.</summary>
    internal static Value Slice(Machine m, byte[] src, int start, int length)
    {
        if (length == 0) return EmptyString;
        if (start == 0 && length == src.Length) return Value.Str(new LuaString(src));
        m.Spend(length, BytesPerGas);
        return Value.Str(m.NewString(src.AsSpan(start, length).ToArray()));
    }

    /// <summary>Lua's posrelatI: a start position (negative counts from the end) clamped to at least 1.</summary>
    private static long StartPos(long pos, long len) =>
        pos > 0 ? pos : pos == 0 ? 1 : pos < -len ? 1 : len + pos + 1;

    /// <summary>Lua's getendpos: an end position (negative counts from the end) clamped to [0, len].</summary>
    private static long EndPos(long pos, long len) =>
        pos > len ? len : pos >= 0 ? pos : pos < -len ? 0 : len + pos + 1;

    // ---------------------------------------------------------------- simple functions

    private static Value[] Len(Machine m, Value[] a) => [Value.Int(Args.String(m, a, 0, "len").Length)];

    private static Value[] Sub(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "sub");
        long l = s.Length;
        var start = StartPos(Args.Int(m, a, 1, "sub"), l);
        var end = EndPos(Args.OptInt(m, a, 2, "sub", -1), l);
        if (start > end) return [EmptyString];
        if (start == 1 && end == l) return [Value.Str(s)];
        return [Slice(m, s.Bytes, (int)(start - 1), (int)(end - start + 1))];
    }

    private static Value[] Byte(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "byte");
        long l = s.Length;
        var pi = Args.OptInt(m, a, 1, "byte", 1);
        var posi = StartPos(pi, l);
        var pose = EndPos(Args.OptInt(m, a, 2, "byte", pi), l);
        if (posi > pose) return Value.None;
        if (pose - posi >= Machine.MaxValues) throw m.Error("string slice too long");
        var n = (int)(pose - posi + 1);
        // Each value given back is 16 bytes of output.
        m.Spend(16L * n, BytesPerGas);
        var r = new Value[n];
        var bytes = s.Bytes;
        for (var i = 0; i < n; i++) r[i] = Value.Int(bytes[posi - 1 + i]);
        return r;
    }

    private static Value[] Char(Machine m, Value[] a)
    {
        var n = a.Length;
        if (n == 0) return [EmptyString];
        m.Spend(n, BytesPerGas);
        var r = new byte[n];
        for (var i = 0; i < n; i++)
        {
            var c = Args.Int(m, a, i, "char");
            if ((ulong)c > 255) throw Args.Bad(m, i, "char", "value out of range");
            r[i] = (byte)c;
        }
        return [m.Str(r)];
    }

    private static Value[] Rep(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "rep");
        var n = Args.Int(m, a, 1, "rep");
        var sep = Args.OptString(m, a, 2, "rep") ?? LuaString.Empty;
        long l = s.Length, ls = sep.Length;
        // Nothing to repeat: the result is "" whatever n is, at the cost of the call alone.
        if (n <= 0 || l + ls == 0) return [EmptyString];
        if (l + ls > long.MaxValue / n) throw m.Error("resulting string too large");
        var total = n * l + (n - 1) * ls;
        Reserve(m, total);
        m.Spend(total, BytesPerGas);
        var r = new byte[total];
        // Write one period (s, then sep), then double the written prefix until the result is full.
        var unit = l + ls;
        var first = (int)Math.Min(unit, total);
        var sl = (int)Math.Min(l, first);
        s.Span[..sl].CopyTo(r);
        if (first > sl) sep.Span[..(first - sl)].CopyTo(r.AsSpan(sl));
        long filled = first;
        while (filled < total)
        {
            var c = (int)Math.Min(filled, total - filled);
            r.AsSpan(0, c).CopyTo(r.AsSpan((int)filled));
            filled += c;
        }
        return [m.Str(r)];
    }

    private static Value[] Reverse(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "reverse");
        if (s.Length == 0) return [EmptyString];
        m.Spend(s.Length, BytesPerGas);
        var r = s.Span.ToArray();
        Array.Reverse(r);
        return [m.Str(r)];
    }

    private static Value[] Upper(Machine m, Value[] a) => MapCase(m, Args.String(m, a, 0, "upper"), upper: true);
    private static Value[] Lower(Machine m, Value[] a) => MapCase(m, Args.String(m, a, 0, "lower"), upper: false);

    private static Value[] MapCase(Machine m, LuaString s, bool upper)
    {
        if (s.Length == 0) return [EmptyString];
        m.Spend(s.Length, BytesPerGas);
        var r = s.Span.ToArray();
        if (upper) { for (var i = 0; i < r.Length; i++) if (CLocale.IsLower(r[i])) r[i] -= 32; }
        else { for (var i = 0; i < r.Length; i++) if (CLocale.IsUpper(r[i])) r[i] += 32; }
        return [m.Str(r)];
    }
}
