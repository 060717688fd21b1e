namespace Chainlab.Contracts.Vm;

/// <summary>
/// Lua 5.4's <c>table</c> library for contracts: concat, insert, remove, move, pack, unpack and sort. Tables have no
/// metatables, so every access is raw. Every unit of work is charged before it is done:
/// <list type="bullet">
/// <item>elements read, written or shifted cost 1 gas per 4 (<c>Spend(count, 4)</c>), charged up front from the count
/// the arguments give, so a move over a range of 2^40 indices runs out of gas before it touches one;</item>
/// <item>concat also charges the bytes of its result (1 gas per 16) and reserves them before building it;</item>
/// <item>sort charges n·⌈log2 n⌉ comparisons at 1 gas each (a bound on what its merge sort can do), plus the
/// bytes of long strings it compares; a comparator's own Lua code is metered by the interpreter.</item>
/// </list>
/// The work counted in <see cref="Machine.Work"/> is at most 16 units per unit of gas charged for it.
/// </summary>
public static class TableLib
{
    private const long PerElement = 4;
    private const long BytesPerGas = (long)Gas.BytesPerGas;

    /// <summary>A new read-only table with the library's functions (build it once per process; it is shared).</summary>
    public static LuaTable Create()
    {
        var t = new LuaTable(null);
        void Add(string name, Func<Machine, Value[], Value[]> body) => t.Put(name, Value.Func(new Builtin(name, body)));
        Add("concat", Concat);
        Add("insert", Insert);
        Add("move", Move);
        Add("pack", Pack);
        Add("remove", Remove);
        Add("sort", Sort);
        Add("unpack", Unpack);
        t.ReadOnly = true;
        return t;
    }

    // ---------------------------------------------------------------- concat

    private static Value[] Concat(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "concat");
        var sep = Args.OptString(m, a, 1, "concat") ?? LuaString.Empty;
        var i = Args.OptInt(m, a, 2, "concat", 1);
        var j = Args.At(a, 3).IsNil ? t.Length : Args.Int(m, a, 3, "concat");
        if (i > j) return [Value.Str(LuaString.Empty)];

        // Reading stops at the first element that is not a string or a number, so no more than the entries the
        // table holds, plus one, are ever read, however wide the range.
        var reads = (long)Math.Min((ulong)j - (ulong)i, (ulong)t.Length + (ulong)t.HashCount) + 1;
        LibraryHelpers.Pay(m, reads, PerElement);

        var parts = new byte[reads][];
        long total = 0;
        for (long k = 0; k < reads; k++)
        {
            var index = i + k;
            var v = t.Get(index);
            if (v.IsString) parts[k] = v.AsString.Bytes;
            else if (v.IsNumber) parts[k] = Coerce.Text(m, v);
            else throw m.Error(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"invalid value ({v.TypeName}) at index {index} in table for 'concat'"));
            total += parts[k].Length;
        }
        // Here reads is the whole range: a shorter count means some element was missing, which raised above.
        total += (long)sep.Length * (reads - 1);
        if (total == 0) return [Value.Str(LuaString.Empty)];
        if (total > Array.MaxLength) m.Reserve(-1);
        m.Reserve(total + 24);
        LibraryHelpers.Pay(m, total, BytesPerGas);

        var result = new byte[total];
        var at = 0;
        for (var k = 0; k < parts.Length; k++)
        {
            if (k > 0 && sep.Length > 0) { sep.Bytes.CopyTo(result, at); at += sep.Length; }
            parts[k].CopyTo(result, at);
            at += parts[k].Length;
        }
        return [Value.Str(m.NewString(result))];
    }

    // ---------------------------------------------------------------- insert, remove

    private static Value[] Insert(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "insert");
        var e = (long)t.Length + 1; // the first empty position
        long pos;
        switch (a.Length)
        {
            case 2:
                pos = e;
                break;
            case 3:
                pos = Args.Int(m, a, 1, "insert");
                // pos must be in [1, e]
                if ((ulong)pos - 1 >= (ulong)e) throw Args.Bad(m, 1, "insert", "position out of bounds");
                LibraryHelpers.Pay(m, e - pos, PerElement);
                for (var k = e; k > pos; k--) t.SetInt(m, k, t.Get(k - 1));
                break;
            default:
                throw m.Error("wrong number of arguments to 'insert'");
        }
        t.SetInt(m, pos, a[^1]);
        return Value.None;
    }

    private static Value[] Remove(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "remove");
        long size = t.Length;
        var pos = Args.OptInt(m, a, 1, "remove", size);
        // A given position must be in [1, size + 1].
        if (pos != size && (ulong)pos - 1 > (ulong)size) throw Args.Bad(m, 1, "remove", "position out of bounds");
        var result = t.Get(pos);
        if (pos < size) LibraryHelpers.Pay(m, size - pos, PerElement);
        for (; pos < size; pos++) t.SetInt(m, pos, t.Get(pos + 1));
        t.SetInt(m, pos, Value.Nil);
        return [result];
    }

    // ---------------------------------------------------------------- move

    private static Value[] Move(Machine m, Value[] a)
    {
        var f = Args.Int(m, a, 1, "move");
        var e = Args.Int(m, a, 2, "move");
        var to = Args.Int(m, a, 3, "move");
        var src = Args.Table(m, a, 0, "move");
        var dstIndex = Args.At(a, 4).IsNil ? 0 : 4;
        var dst = Args.Table(m, a, dstIndex, "move");
        if (e >= f)
        {
            if (!(f > 0 || e < long.MaxValue + f)) throw Args.Bad(m, 2, "move", "too many elements to move");
            var n = e - f + 1;
            if (to > long.MaxValue - n + 1) throw Args.Bad(m, 3, "move", "destination wrap around");
            LibraryHelpers.Pay(m, n, PerElement);
            if (to > e || to <= f || !ReferenceEquals(src, dst))
            {
                for (long k = 0; k < n; k++) dst.SetInt(m, to + k, src.Get(f + k));
            }
            else
            {
                for (var k = n - 1; k >= 0; k--) dst.SetInt(m, to + k, src.Get(f + k));
            }
        }
        return [Value.Table(dst)];
    }

    // ---------------------------------------------------------------- pack, unpack

    private static readonly Value NKey = LibraryHelpers.Constant("n");

    private static Value[] Pack(Machine m, Value[] a)
    {
        LibraryHelpers.Pay(m, a.Length, PerElement);
        var t = m.NewTable(a.Length, 1);
        for (var k = 0; k < a.Length; k++) t.SetInt(m, k + 1, a[k]);
        t.Set(m, NKey, Value.Int(a.Length));
        return [Value.Table(t)];
    }

    private static Value[] Unpack(Machine m, Value[] a)
    {
        // In Lua's order: the bounds first (an empty range never looks at the table), then the table.
        var i = Args.OptInt(m, a, 1, "unpack", 1);
        var e = Args.At(a, 2).IsNil ? Args.Table(m, a, 0, "unpack").Length : Args.Int(m, a, 2, "unpack");
        if (i > e) return Value.None;
        var t = Args.Table(m, a, 0, "unpack");
        var span = (ulong)e - (ulong)i; // the count minus one, without overflow
        if (span >= Machine.MaxValues) throw m.Error("too many results to unpack");
        var n = (int)span + 1;
        LibraryHelpers.Pay(m, n, PerElement);
        var r = new Value[n];
        for (var k = 0; k < n; k++) r[k] = t.Get(i + k);
        return r;
    }

    // ---------------------------------------------------------------- sort

    private static Value[] Sort(Machine m, Value[] a)
    {
        var t = Args.Table(m, a, 0, "sort");
        long n = t.Length;
        if (n <= 1) return Value.None;
        if (n >= int.MaxValue) throw Args.Bad(m, 0, "sort", "array too big");
        var cmpArg = Args.At(a, 1);
        if (!cmpArg.IsNil && !cmpArg.IsFunction) throw Args.Expected(m, a, 1, "sort", "function");
        var cmp = cmpArg.IsNil ? null : cmpArg.AsFunction;

        var log = 0;
        while ((1L << log) < n) log++;
        // Bottom-up merge sort: ⌈log2 n⌉ passes of at most n - 1 comparisons and n moves each.
        LibraryHelpers.Pay(m, n * log, 1);
        LibraryHelpers.Pay(m, 2 * n, PerElement);

        var count = (int)n;
        // The copy and the merge buffer are held while comparators (Lua code, maybe sorting too) run.
        var held = 2L * count * LuaTable.SlotBytes;
        m.Allocate(held);
        var buf = new Value[count];
        for (var k = 0; k < count; k++) buf[k] = t.Get(k + 1);
        var sorted = MergeSort(m, buf, cmp);
        // Written back only when sorting finished: an error in a comparison leaves the table as it was.
        for (var k = 0; k < count; k++) t.SetInt(m, k + 1, sorted[k]);
        m.Release(held);
        return Value.None;
    }

    /// <summary>
    /// A stable bottom-up merge sort. It takes an element from the right run only when it is less than the one from
    /// the left run, so it never depends on the comparison being consistent: whatever a comparator answers, it does
    /// at most ⌈log2 n⌉ passes of at most n - 1 comparisons and ends with a permutation of the input.
    /// </summary>
    private static Value[] MergeSort(Machine m, Value[] items, LuaFunction? cmp)
    {
        var n = items.Length;
        var src = items;
        var dst = new Value[n];
        for (long width = 1; width < n; width *= 2)
        {
            for (long start = 0; start < n; start += 2 * width)
            {
                var lo = (int)start;
                var mid = (int)Math.Min(start + width, n);
                var hi = (int)Math.Min(start + 2 * width, n);
                int x = lo, y = mid, k = lo;
                while (x < mid && y < hi)
                {
                    if (Less(m, cmp, src[y], src[x])) dst[k++] = src[y++];
                    else dst[k++] = src[x++];
                }
                while (x < mid) dst[k++] = src[x++];
                while (y < hi) dst[k++] = src[y++];
            }
            (src, dst) = (dst, src);
        }
        return src;
    }

    private static bool Less(Machine m, LuaFunction? cmp, in Value a, in Value b)
    {
        if (cmp is null) return LessThan(m, a, b);
        var r = cmp.Call(m, [a, b]);
        return r.Length > 0 && r[0].IsTruthy;
    }

    /// <summary>Lua's <c>a &lt; b</c> without metamethods: numbers by value (integers and floats exactly), strings bytewise.</summary>
    private static bool LessThan(Machine m, in Value a, in Value b)
    {
        if (a.IsInt && b.IsInt) return a.N < b.N;
        if (a.IsNumber && b.IsNumber)
        {
            if (a.IsFloat && b.IsFloat) return a.AsFloat < b.AsFloat;
            return a.IsInt ? Numbers.IntLessThanFloat(a.N, b.AsFloat) : Numbers.FloatLessThanInt(a.AsFloat, b.N);
        }
        if (a.IsString && b.IsString)
        {
            var x = a.AsString;
            var y = b.AsString;
            var common = Math.Min(x.Length, y.Length);
            if (common > 32) m.Spend(common, BytesPerGas);
            return x.CompareTo(y) < 0;
        }
        var ta = a.TypeName;
        var tb = b.TypeName;
        throw m.Error(ta == tb ? $"attempt to compare two {ta} values" : $"attempt to compare {ta} with {tb}");
    }
}
