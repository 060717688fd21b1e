using System.Runtime.CompilerServices;

namespace Chainlab.Contracts.Vm;

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
