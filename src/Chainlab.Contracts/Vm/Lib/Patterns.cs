
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
