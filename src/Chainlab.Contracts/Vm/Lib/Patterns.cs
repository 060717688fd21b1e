using System.Runtime.CompilerServices;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// A Lua pattern read once into a list of items, so that matching never rescans the pattern text: a set such as
/// <c>[%a_%-]</c> becomes a 256-bit map and each single-character test is O(1). The items follow the pattern
/// exactly as Lua's matcher walks it (the walk depends only on the pattern, never on the subject). Lua reports a
/// malformed pattern only when the matcher reaches the bad spot, so a bad spot becomes a <see cref="Op.Fail"/> item
/// that raises its message when reached; nothing after it is read.
/// Compiling costs one step (1 gas) per pattern byte.
/// </summary>
internal sealed class LuaPattern
{
    internal enum Op : byte
    {
        /// <summary>End of the pattern: the match succeeds here.</summary>
        End,
        /// <summary>'(' — opens a capture.</summary>
        Open,
        /// <summary>'()' — a position capture.</summary>
        OpenPosition,
        /// <summary>')' — closes the innermost open capture.</summary>
        Close,
        /// <summary>'$' as the last pattern character.</summary>
        EndAnchor,
        /// <summary>%bxy (A = x, B = y).</summary>
        Balance,
        /// <summary>%f[set].</summary>
        Frontier,
        /// <summary>%0-%9 (A = the digit).</summary>
        BackRef,
        /// <summary>One literal byte (A), with an optional suffix.</summary>
        Char,
        /// <summary>'.', with an optional suffix.</summary>
        Any,
        /// <summary>A class or a set (a bitmap), with an optional suffix.</summary>
        Set,
        /// <summary>A malformed spot: raises <see cref="LuaPattern.FailMessage"/> when reached.</summary>
        Fail,
    }

    internal struct Item
    {
        public Op Op;
        /// <summary>0, '*', '+', '-' or '?'.</summary>
        public byte Suffix;
        public byte A, B;
        /// <summary>The bitmap's index (its four words start at Set * 4) for <see cref="Op.Set"/> and <see cref="Op.Frontier"/>.</summary>
        public int Set;
    }

    /// <summary>Lua's limit on captures in one pattern.</summary>
    public const int MaxCaptures = 32;
    private const int ItemBytes = 8;

    public Item[] Items { get; }
    public ulong[] Sets { get; }
    public string? FailMessage { get; private set; }

    /// <summary>Bytes the compiled form holds (for memory accounting of values that keep it, such as gmatch iterators).</summary>
    public long Bytes => (long)Items.Length * ItemBytes + (long)Sets.Length * 8 + 64;

    private LuaPattern(Item[] items, ulong[] sets) { Items = items; Sets = sets; }

    private static readonly ulong[]?[] ClassMaps = BuildClassMaps();

    /// <summary>Reads the pattern bytes from <paramref name="start"/> (1 to skip a '^' anchor).</summary>
    public static LuaPattern Compile(Machine m, byte[] pat, int start)
    {
        var end = pat.Length;
        m.Spend(end, 1);
        StringLib.Reserve(m, (long)(end - start + 1) * ItemBytes);
        var items = new List<Item>(end - start + 1);
        var sets = new List<ulong>();
        string? fail = null;
        var p = start;
        while (p < end)
        {
            var c = pat[p];
            if (c == '(')
            {
                if (p + 1 < end && pat[p + 1] == ')') { items.Add(new Item { Op = Op.OpenPosition }); p += 2; }
                else { items.Add(new Item { Op = Op.Open }); p++; }
                continue;
            }
            if (c == ')') { items.Add(new Item { Op = Op.Close }); p++; continue; }
            if (c == '$' && p + 1 == end) { items.Add(new Item { Op = Op.EndAnchor }); p++; continue; }
            if (c == '%' && p + 1 < end)
            {
                var d = pat[p + 1];
                if (d == 'b')
                {
                    if (p + 2 >= end - 1) { fail = "malformed pattern (missing arguments to '%b')"; break; }
                    items.Add(new Item { Op = Op.Balance, A = pat[p + 2], B = pat[p + 3] });
                    p += 4;
                    continue;
                }
                if (d == 'f')
                {
                    p += 2;
                    if (p >= end || pat[p] != '[') { fail = "missing '[' after '%f' in pattern"; break; }
                    var fe = ClassEnd(pat, p, out fail);
                    if (fail is not null) break;
                    items.Add(new Item { Op = Op.Frontier, Set = AddSet(m, sets, pat, p, fe - 1) });
                    p = fe;
                    continue;
                }
                if (d >= '0' && d <= '9') { items.Add(new Item { Op = Op.BackRef, A = d }); p += 2; continue; }
            }
            // A single-character class with an optional repetition suffix.
            var ep = ClassEnd(pat, p, out fail);
            if (fail is not null) break;
            var item = c switch
            {
                (byte)'.' => new Item { Op = Op.Any },
                (byte)'[' => new Item { Op = Op.Set, Set = AddSet(m, sets, pat, p, ep - 1) },
                (byte)'%' when ClassMaps[pat[p + 1]] is { } map => new Item { Op = Op.Set, Set = AddMap(m, sets, map) },
                (byte)'%' => new Item { Op = Op.Char, A = pat[p + 1] },
                _ => new Item { Op = Op.Char, A = c },
            };
            if (ep < end && pat[ep] is (byte)'*' or (byte)'+' or (byte)'-' or (byte)'?') { item.Suffix = pat[ep]; p = ep + 1; }
            else p = ep;
            items.Add(item);
        }
        items.Add(new Item { Op = fail is null ? Op.End : Op.Fail });
        return new LuaPattern([.. items], [.. sets]) { FailMessage = fail };
    }

    /// <summary>Where the single-character class starting at <paramref name="p"/> ends (Lua's classEnd), or a malformed-pattern message.</summary>
    private static int ClassEnd(byte[] pat, int p, out string? fail)
    {
        fail = null;
        var end = pat.Length;
        var c = pat[p++];
        if (c == '%')
        {
            if (p >= end) fail = "malformed pattern (ends with '%')";
            return p + 1;
        }
        if (c != '[') return p;
        if (p < end && pat[p] == '^') p++;
        // The first character is part of the set even when it is ']'; look for the ']' that closes it.
        do
        {
            if (p >= end) { fail = "malformed pattern (missing ']')"; return p; }
            var x = pat[p++];
            if (x == '%' && p < end) p++;
        } while (p >= end || pat[p] != ']');
        return p + 1;
    }

    /// <summary>The bitmap of the set from '[' at <paramref name="p"/> to its ']' at <paramref name="close"/>.</summary>
    private static int AddSet(Machine m, List<ulong> sets, byte[] pat, int p, int close)
    {
        Span<ulong> map = stackalloc ulong[4];
        map.Clear();
        var negate = false;
        if (pat[p + 1] == '^') { negate = true; p++; }
        while (++p < close)
        {
            var c = pat[p];
            if (c == '%')
            {
                p++;
                if (ClassMaps[pat[p]] is { } cls) for (var w = 0; w < 4; w++) map[w] |= cls[w];
                else Set(map, pat[p]);
            }
            else if (pat[p + 1] == '-' && p + 2 < close)
            {
                p += 2;
                for (int x = c, hi = pat[p]; x <= hi; x++) Set(map, x);
            }
            else Set(map, c);
        }
        if (negate) for (var w = 0; w < 4; w++) map[w] = ~map[w];
        return AddMap(m, sets, map);
    }

    private static int AddMap(Machine m, List<ulong> sets, ReadOnlySpan<ulong> map)
    {
        if (sets.Count == sets.Capacity) StringLib.Reserve(m, (long)Math.Max(16, sets.Count * 2) * 8);
        var index = sets.Count / 4;
        foreach (var w in map) sets.Add(w);
        return index;
    }

    private static void Set(Span<ulong> map, int c) => map[c >> 6] |= 1UL << (c & 63);

    /// <summary>The C-locale classes: %a %c %d %g %l %p %s %u %w %x (and Lua 5.4's deprecated %z, the zero byte), their upper-case complements; null for other bytes.</summary>
    private static ulong[]?[] BuildClassMaps()
    {
        var maps = new ulong[]?[256];
        foreach (var letter in "acdglpsuwxz")
        {
            var map = new ulong[4];
            for (var c = 0; c < 256; c++)
                if (CLocale.InClass(letter, (byte)c)) map[c >> 6] |= 1UL << (c & 63);
            maps[letter] = map;
            maps[char.ToUpperInvariant(letter)] = [~map[0], ~map[1], ~map[2], ~map[3]];
        }
        return maps;
    }
}

/// <summary>The C locale's character classes (ASCII only; bytes 128-255 belong to none).</summary>
internal static class CLocale
{
    public static bool IsUpper(byte c) => c >= 'A' && c <= 'Z';
    public static bool IsLower(byte c) => c >= 'a' && c <= 'z';
    public static bool IsAlpha(byte c) => IsUpper(c) || IsLower(c);
    public static bool IsDigit(byte c) => c >= '0' && c <= '9';
    public static bool IsAlnum(byte c) => IsAlpha(c) || IsDigit(c);
    public static bool IsControl(byte c) => c < 32 || c == 127;
    public static bool IsGraph(byte c) => c > 32 && c < 127;
    public static bool IsPunct(byte c) => IsGraph(c) && !IsAlnum(c);
    public static bool IsSpace(byte c) => c == ' ' || (c >= 9 && c <= 13);
    public static bool IsHex(byte c) => IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

    public static bool InClass(char letter, byte c) => letter switch
    {
        'a' => IsAlpha(c),
        'c' => IsControl(c),
        'd' => IsDigit(c),
        'g' => IsGraph(c),
        'l' => IsLower(c),
        'p' => IsPunct(c),
        's' => IsSpace(c),
        'u' => IsUpper(c),
        'w' => IsAlnum(c),
        'x' => IsHex(c),
        'z' => c == 0,
        _ => false,
    };
}

/// <summary>
/// Lua's backtracking matcher over a compiled <see cref="LuaPattern"/>, metered: every step (a character tested, a
/// backtracking turn, an item entered, a subject byte scanned by %b) costs 1 gas, paid in blocks of 64 as the steps
/// happen; a back-reference compares its bytes at the string rate (16 bytes per gas). Recursion is Lua's (captures,
/// '?', and the retries of '*', '+' and '-'), bounded at 200 levels ("pattern too complex"), so the .NET stack
/// never holds more than 200 small frames.
/// </summary>
internal sealed class LuaMatcher(Machine m, LuaPattern pattern, byte[] subject)
{
    private const int Unfinished = -1, Position = -2;
    /// <summary>Lua's MAXCCALLS for the matcher.</summary>
    public const int MaxDepth = 200;
    private const int Block = 64;

    private readonly LuaPattern.Item[] _items = pattern.Items;
    private readonly ulong[] _sets = pattern.Sets;
    private readonly byte[] _s = subject;
    private readonly int[] _capInit = new int[LuaPattern.MaxCaptures];
    private readonly int[] _capLen = new int[LuaPattern.MaxCaptures];
    private int _depth;
    private int _steps;

    public Machine Machine => m;

    /// <summary>Captures made by the last successful match.</summary>
    public int Level { get; private set; }

    /// <summary>Matches the whole pattern at subject position <paramref name="s"/>; the end of the match, or -1.</summary>
    public int Run(int s)
    {
        Level = 0;
        _depth = MaxDepth;
        return Match(s, 0);
    }

    /// <summary>Pays for the steps not yet charged (call when a search ends).</summary>
    public void Flush()
    {
        if (_steps == 0) return;
        var n = _steps;
        _steps = 0;
        m.Work += n;
        m.Charge(n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Step()
    {
        if (++_steps >= Block) Flush();
    }

    private LuaError Fail(string message)
    {
        Flush();
        return m.Error(message);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool One(in LuaPattern.Item it, int s)
    {
        if ((uint)s >= (uint)_s.Length) return false;
        var c = _s[s];
        return it.Op switch
        {
            LuaPattern.Op.Char => c == it.A,
            LuaPattern.Op.Any => true,
            _ => ((_sets[it.Set * 4 + (c >> 6)] >> (c & 63)) & 1) != 0,
        };
    }

    private bool InSet(int set, int c) => ((_sets[set * 4 + (c >> 6)] >> (c & 63)) & 1) != 0;

    private int Match(int s, int pi)
    {
        if (_depth-- == 0) throw Fail("pattern too complex");
        while (true)
        {
            Step();
            ref readonly var it = ref _items[pi];
            switch (it.Op)
            {
                case LuaPattern.Op.End:
                    goto done;
                case LuaPattern.Op.Fail:
                    throw Fail(pattern.FailMessage!);
                case LuaPattern.Op.Open:
                    s = StartCapture(s, pi + 1, Unfinished);
                    goto done;
                case LuaPattern.Op.OpenPosition:
                    s = StartCapture(s, pi + 1, Position);
                    goto done;
                case LuaPattern.Op.Close:
                    s = EndCapture(s, pi + 1);
                    goto done;
                case LuaPattern.Op.EndAnchor:
                    if (s != _s.Length) s = -1;
                    goto done;
                case LuaPattern.Op.Balance:
                    s = Balance(s, it.A, it.B);
                    if (s == -1) goto done;
                    pi++;
                    continue;
                case LuaPattern.Op.Frontier:
                {
                    var prev = s == 0 ? 0 : _s[s - 1];
                    var cur = s < _s.Length ? _s[s] : 0;
                    if (!InSet(it.Set, prev) && InSet(it.Set, cur)) { pi++; continue; }
                    s = -1;
                    goto done;
                }
                case LuaPattern.Op.BackRef:
                    s = BackRef(s, it.A);
                    if (s == -1) goto done;
                    pi++;
                    continue;
            }
            // A single-character item with its suffix.
            if (!One(it, s))
            {
                if (it.Suffix is (byte)'*' or (byte)'?' or (byte)'-') { pi++; continue; }
                s = -1;
                goto done;
            }
            switch (it.Suffix)
            {
                case (byte)'?':
                {
                    var r = Match(s + 1, pi + 1);
                    if (r != -1) { s = r; goto done; }
                    pi++;
                    continue;
                }
                case (byte)'+':
                    s = MaxExpand(s + 1, pi);
                    goto done;
                case (byte)'*':
                    s = MaxExpand(s, pi);
                    goto done;
                case (byte)'-':
                    s = MinExpand(s, pi);
                    goto done;
                default:
                    s++;
                    pi++;
                    continue;
            }
        }
        done:
        _depth++;
        return s;
    }

    /// <summary>Longest run first: count the repetitions, then give them back one at a time.</summary>
    private int MaxExpand(int s, int pi)
    {
        ref readonly var it = ref _items[pi];
        var i = 0;
        while (One(it, s + i)) { i++; Step(); }
        for (; i >= 0; i--)
        {
            Step();
            var r = Match(s + i, pi + 1);
            if (r != -1) return r;
        }
        return -1;
    }

    /// <summary>Shortest run first: try the rest, else take one more repetition.</summary>
    private int MinExpand(int s, int pi)
    {
        ref readonly var it = ref _items[pi];
        while (true)
        {
            Step();
            var r = Match(s, pi + 1);
            if (r != -1) return r;
            if (One(it, s)) s++;
            else return -1;
        }
    }

    private int StartCapture(int s, int pi, int what)
    {
        var level = Level;
        if (level >= LuaPattern.MaxCaptures) throw Fail("too many captures");
        _capInit[level] = s;
        _capLen[level] = what;
        Level = level + 1;
        var r = Match(s, pi);
        if (r == -1) Level--;
        return r;
    }

    private int EndCapture(int s, int pi)
    {
        var l = Level - 1;
        while (l >= 0 && _capLen[l] != Unfinished) l--;
        if (l < 0) throw Fail("invalid pattern capture");
        _capLen[l] = s - _capInit[l];
        var r = Match(s, pi);
        if (r == -1) _capLen[l] = Unfinished;
        return r;
    }

    private int Balance(int s, byte open, byte close)
    {
        if (s >= _s.Length || _s[s] != open) return -1;
        var depth = 1;
        while (++s < _s.Length)
        {
            Step();
            var c = _s[s];
            if (c == close) { if (--depth == 0) return s + 1; }
            else if (c == open) depth++;
        }
        return -1;
    }

    private int BackRef(int s, byte digit)
    {
        var l = digit - '1';
        if (l < 0 || l >= Level || _capLen[l] == Unfinished) throw Fail($"invalid capture index %{l + 1}");
        var len = _capLen[l];
        if (len == Position || _s.Length - s < len) return -1;
        if (len > 0)
        {
            Flush();
            m.Spend(len, (long)Gas.BytesPerGas);
        }
        return _s.AsSpan(_capInit[l], len).SequenceEqual(_s.AsSpan(s, len)) ? s + len : -1;
    }

    /// <summary>Capture <paramref name="i"/> of the match [<paramref name="s"/>, <paramref name="e"/>) as a value (the whole match when the pattern has no captures).</summary>
    public Value Capture(int i, int s, int e)
    {
        if (i >= Level)
        {
            if (i != 0) throw Fail($"invalid capture index %{i + 1}");
            return StringLib.Slice(m, _s, s, e - s);
        }
        var len = _capLen[i];
        if (len == Unfinished) throw Fail("unfinished capture");
        if (len == Position) return Value.Int(_capInit[i] + 1L);
        return StringLib.Slice(m, _s, _capInit[i], len);
    }

    /// <summary>Capture <paramref name="i"/> as bytes to copy (false for a position capture, given as <paramref name="position"/>).</summary>
    public bool CaptureSpan(int i, int s, int e, out int start, out int length, out long position)
    {
        position = 0;
        if (i >= Level)
        {
            if (i != 0) throw Fail($"invalid capture index %{i + 1}");
            start = s;
            length = e - s;
            return true;
        }
        var len = _capLen[i];
        if (len == Unfinished) throw Fail("unfinished capture");
        start = _capInit[i];
        length = len;
        if (len == Position) { position = start + 1L; length = 0; return false; }
        return true;
    }

    /// <summary>All captures of the match (the whole match when there are none; nothing for find without captures).</summary>
    public Value[] Captures(int s, int e, bool wholeIfNone, int extra = 0, Value first = default, Value second = default)
    {
        Flush();
        var n = Level == 0 && wholeIfNone ? 1 : Level;
        var r = new Value[extra + n];
        if (extra > 0) { r[0] = first; r[1] = second; }
        for (var i = 0; i < n; i++) r[extra + i] = Capture(i, s, e);
        return r;
    }
}
