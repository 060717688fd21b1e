namespace Chainlab.Contracts.Vm;

/// <summary>The string library's pattern functions: find, match, gmatch and gsub (the matcher is <see cref="LuaMatcher"/>).</summary>
public static partial class StringLib
{
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
