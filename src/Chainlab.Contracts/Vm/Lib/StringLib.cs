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
public static class StringLib
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

    // ---------------------------------------------------------------- find, match, gmatch, gsub

    private static bool NoSpecials(ReadOnlySpan<byte> p) => p.IndexOfAny("^$*+?.([%-"u8) < 0;

    private static Value[] FindAux(Machine m, Value[] a, bool find)
    {
        var fn = find ? "find" : "match";
        var s = Args.String(m, a, 0, fn);
        var p = Args.String(m, a, 1, fn);
        long ls = s.Length;
        var init = StartPos(Args.OptInt(m, a, 2, fn, 1), ls) - 1;
        if (init > ls) return [Value.Nil];
        if (find && (Args.At(a, 3).IsTruthy || NoSpecialsCharged(m, p)))
        {
            var at = PlainFind(m, s.Bytes, (int)init, p.Bytes);
            return at < 0 ? [Value.Nil] : [Value.Int(at + 1L), Value.Int((long)at + p.Length)];
        }
        var anchor = p.Length > 0 && p.Bytes[0] == '^';
        var pattern = LuaPattern.Compile(m, p.Bytes, anchor ? 1 : 0);
        var mt = new LuaMatcher(m, pattern, s.Bytes);
        var s1 = (int)init;
        do
        {
            var e = mt.Run(s1);
            if (e != -1)
                return find ? mt.Captures(s1, e, wholeIfNone: false, extra: 2, Value.Int(s1 + 1L), Value.Int(e)) : mt.Captures(s1, e, wholeIfNone: true);
        } while (s1++ < ls && !anchor);
        mt.Flush();
        return [Value.Nil];
    }

    private static bool NoSpecialsCharged(Machine m, LuaString p)
    {
        m.Spend(p.Length, BytesPerGas);
        return NoSpecials(p.Span);
    }

    /// <summary>
    /// The first occurrence of <paramref name="needle"/> in <paramref name="hay"/> at or after <paramref name="from"/>,
    /// or -1; linear in the worst case (Knuth–Morris–Pratt, with a vectorised skip to the next candidate first byte),
    /// charged at 16 units per gas: one unit per needle byte preprocessed, per subject byte passed and per fallback
    /// of the automaton (at most one per subject byte).
    /// </summary>
    internal static int PlainFind(Machine m, byte[] hay, int from, byte[] needle)
    {
        var nl = needle.Length;
        if (nl == 0) return from;
        if (nl > hay.Length - from) return -1;
        if (nl == 1)
        {
            var k = hay.AsSpan(from).IndexOf(needle[0]);
            m.Spend(k < 0 ? hay.Length - from : k + 1, BytesPerGas);
            return k < 0 ? -1 : from + k;
        }
        // The failure function: fail[i] is the length of the longest proper border of needle[0..i].
        Reserve(m, 4L * nl);
        m.Spend(2L * nl, BytesPerGas);
        var fail = new int[nl];
        for (int i = 1, q = 0; i < nl; i++)
        {
            while (q > 0 && needle[i] != needle[q]) q = fail[q - 1];
            if (needle[i] == needle[q]) q++;
            fail[i] = q;
        }
        const int Chunk = 4096;
        long pending = 0;
        var matched = 0;
        var first = needle[0];
        var n = hay.Length;
        for (var i = from; i < n; i++)
        {
            if (matched == 0)
            {
                // Jump to the next place the needle could start.
                var k = hay.AsSpan(i, n - i - nl + 1 > 0 ? n - i - nl + 1 : 0).IndexOf(first);
                if (k < 0) { pending += n - i; break; }
                pending += k;
                i += k;
            }
            var c = hay[i];
            while (matched > 0 && needle[matched] != c) { matched = fail[matched - 1]; pending++; }
            if (needle[matched] == c) matched++;
            pending++;
            if (pending >= Chunk) { m.Spend(pending, BytesPerGas); pending = 0; }
            if (matched == nl)
            {
                m.Spend(pending, BytesPerGas);
                return i - nl + 1;
            }
        }
        m.Spend(pending, BytesPerGas);
        return -1;
    }

    /// <summary>What an iterator keeps besides its pattern: its closure, its matcher and the matcher's capture arrays.</summary>
    private const long IteratorBytes = 400;

    private static Value[] GMatch(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "gmatch");
        var p = Args.String(m, a, 1, "gmatch");
        long ls = s.Length;
        var init = StartPos(Args.OptInt(m, a, 2, "gmatch", 1), ls) - 1;
        if (init > ls) init = ls + 1;
        // A '^' is an ordinary character here: an anchor would stop the iteration.
        var pattern = LuaPattern.Compile(m, p.Bytes, 0);
        // The iterator keeps the compiled pattern for as long as the contract keeps the iterator.
        m.Allocate(pattern.Bytes + 64 + IteratorBytes);
        var src = (int)init;
        var last = -1;
        var bytes = s.Bytes;
        LuaMatcher? mt = null;
        return [Value.Func(new Builtin("gmatch", (mm, _) =>
        {
            if (mt is null || mt.Machine != mm) mt = new LuaMatcher(mm, pattern, bytes);
            for (var at = src; at <= bytes.Length; at++)
            {
                var e = mt.Run(at);
                if (e != -1 && e != last)
                {
                    src = last = e;
                    return mt.Captures(at, e, wholeIfNone: true);
                }
            }
            mt.Flush();
            return Value.None;
        }))];
    }

    private static Value[] GSub(Machine m, Value[] a)
    {
        var s = Args.String(m, a, 0, "gsub");
        var p = Args.String(m, a, 1, "gsub");
        var repl = Args.At(a, 2);
        var src = s.Bytes;
        long ls = src.Length;
        var maxN = Args.OptInt(m, a, 3, "gsub", ls + 1);
        if (!(repl.IsNumber || repl.IsString || repl.IsTable || repl.IsFunction))
            throw Args.Expected(m, a, 2, "gsub", "string/function/table");
        Replacement? template = repl.IsNumber || repl.IsString ? Replacement.Parse(m, Coerce.ToLuaString(m, repl).Bytes) : null;
        var anchor = p.Length > 0 && p.Bytes[0] == '^';
        var pattern = LuaPattern.Compile(m, p.Bytes, anchor ? 1 : 0);
        var mt = new LuaMatcher(m, pattern, src);
        var b = new LuaBuffer(m);
        var at = 0;
        var last = -1;
        long n = 0;
        var changed = false;
        while (n < maxN)
        {
            var e = mt.Run(at);
            if (e != -1 && e != last)
            {
                n++;
                changed |= template is not null ? template.Apply(mt, b, src, at, e) : AddValue(m, mt, b, src, at, e, repl);
                at = last = e;
            }
            else if (at < ls) b.Add(src[at++]);
            else break;
            if (anchor) break;
        }
        mt.Flush();
        if (!changed)
        {
            b.Pay();
            return [Value.Str(s), Value.Int(n)];
        }
        b.Add(src.AsSpan(at));
        return [Value.Str(b.ToLuaString()), Value.Int(n)];
    }

    /// <summary>A table or function replacement for one match; false when the match is kept as it was.</summary>
    private static bool AddValue(Machine m, LuaMatcher mt, LuaBuffer b, byte[] src, int s, int e, Value repl)
    {
        Value v;
        if (repl.IsFunction)
        {
            var caps = mt.Captures(s, e, wholeIfNone: true);
            b.Pay();
            var r = repl.AsFunction.Call(m, caps);
            v = r.Length > 0 ? r[0] : Value.Nil;
        }
        else
        {
            mt.Flush();
            v = repl.AsTable.Get(mt.Capture(0, s, e));
        }
        if (v.IsFalsy)
        {
            b.Add(src.AsSpan(s, e - s));
            return false;
        }
        if (v.IsString) b.Add(v.AsString.Span);
        else if (v.IsNumber) b.Add(Coerce.Text(m, v));
        else throw m.Error($"invalid replacement value (a {v.TypeName})");
        return true;
    }

    /// <summary>A gsub replacement string read once into literal runs and capture references (%0-%9, %%).</summary>
    private sealed class Replacement
    {
        // Each part is a literal run [Start, Start + Length) of the template, or a capture reference (Capture >= 0),
        // or the invalid '%' that ends the template (Capture == -2): Lua raises it when a match reaches it.
        private readonly List<(int Start, int Length, int Capture)> _parts = [];
        private byte[] _text = [];

        public static Replacement Parse(Machine m, byte[] text)
        {
            m.Spend(text.Length, BytesPerGas);
            var r = new Replacement { _text = text };
            var i = 0;
            while (i < text.Length)
            {
                var k = text.AsSpan(i).IndexOf((byte)'%');
                if (k < 0) { r._parts.Add((i, text.Length - i, -1)); break; }
                if (k > 0) r._parts.Add((i, k, -1));
                i += k + 1;
                var c = i < text.Length ? text[i] : 0;
                if (c == '%') r._parts.Add((i, 1, -1));
                else if (CLocale.IsDigit((byte)c)) r._parts.Add((0, 0, c - '0'));
                else { r._parts.Add((0, 0, -2)); break; }
                i++;
            }
            return r;
        }

        /// <summary>Adds the replacement of one match: the template is read again for each match (as in Lua), and each of its parts costs one gas more.</summary>
        public bool Apply(LuaMatcher mt, LuaBuffer b, byte[] src, int s, int e)
        {
            b.Work(_text.Length + 16L * _parts.Count);
            foreach (var (start, length, capture) in _parts)
            {
                if (capture == -1) b.Add(_text.AsSpan(start, length));
                else if (capture == -2) { b.Pay(); mt.Flush(); throw b.Machine.Error("invalid use of '%' in replacement string"); }
                else if (capture == 0) b.Add(src.AsSpan(s, e - s));
                else if (mt.CaptureSpan(capture - 1, s, e, out var cs, out var cl, out var position)) b.Add(src.AsSpan(cs, cl));
                else b.Add(System.Text.Encoding.ASCII.GetBytes(position.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            return true;
        }
    }
}
