using Chainlab.Contracts.Vm;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>
/// The table, math, utf8 and basic libraries called directly: results and messages as reference Lua 5.4 (5.4.9, the
/// Lua the old sandbox ran) gives them, and the worst cases a red team would try. Each worst case must finish or stop
/// with <see cref="LuaStop"/>, and the work it did must have been paid for: <c>Machine.Work &lt;= 64 * GasUsed</c>
/// (the libraries keep 16 units of work per gas at most; 64 leaves room for the call and memory charges).
/// </summary>
public sealed class LibraryTests
{
    private static readonly LuaTable TableLibrary = TableLib.Create();
    private static readonly LuaTable MathLibrary = MathLib.Create();
    private static readonly LuaTable Utf8Library = Utf8Lib.Create();
    private static readonly LuaTable Globals = NewGlobals();

    private static LuaTable NewGlobals()
    {
        var g = new LuaTable(null);
        BaseLib.Register(g);
        g.ReadOnly = true;
        return g;
    }

    private static Machine NewMachine(ulong gas = 10_000_000, long memory = 16 << 20) => new(gas, memory);

    /// <summary>A machine with room for building big inputs, so a test's own machine is charged only for the call.</summary>
    private static Machine Setup() => new(1UL << 40, 1L << 40);

    private static Value[] Call(Machine m, LuaTable lib, string fn, params Value[] args) =>
        lib.Get(LuaString.From(fn)).AsFunction.Call(m, args);

    private static Value[] Table(Machine m, string fn, params Value[] args) => Call(m, TableLibrary, fn, args);
    private static Value[] Math(Machine m, string fn, params Value[] args) => Call(m, MathLibrary, fn, args);
    private static Value[] Utf8(Machine m, string fn, params Value[] args) => Call(m, Utf8Library, fn, args);
    private static Value[] Base(Machine m, string fn, params Value[] args) => Call(m, Globals, fn, args);

    private static Value S(string s) => Value.Str(LuaString.From(s));
    private static Value B(params byte[] b) => Value.Str(new LuaString(b));
    private static Value I(long i) => Value.Int(i);
    private static Value F(double d) => Value.Float(d);
    private static Value T(LuaTable t) => Value.Table(t);
    private static readonly Value Nil = Value.Nil;

    /// <summary>A table holding these values at 1..n (nils leave holes).</summary>
    private static LuaTable List(params Value[] items)
    {
        var m = Setup();
        var t = m.NewTable();
        for (var i = 0; i < items.Length; i++) t.SetInt(m, i + 1, items[i]);
        return t;
    }

    private static LuaTable Range(int n, Func<int, Value> item)
    {
        var m = Setup();
        var t = m.NewTable(n);
        for (var i = 1; i <= n; i++) t.SetInt(m, i, item(i));
        return t;
    }

    /// <summary>Results as text: strings quoted, numbers as Lua prints them.</summary>
    private static string Show(Value[] r) => string.Join(", ", r.Select(v => v.IsString ? $"'{v}'" : v.ToString()));

    private static string Items(LuaTable t) => string.Join(",", Enumerable.Range(1, t.Length).Select(i => t.Get(i).ToString()));

    private static string Error(Func<Value[]> call) => Assert.Throws<LuaError>(() => call()).Value.ToString();

    /// <summary>Runs a worst case: it must end (normally, with a Lua error or with a stop) having paid for its work.</summary>
    private static Stop Worst(Machine m, Action run)
    {
        var stop = Stop.None;
        try { run(); }
        catch (LuaStop s) { stop = s.Reason; }
        catch (LuaError) { }
        Assert.True(m.Work <= 64 * (long)m.GasUsed, $"work {m.Work} for {m.GasUsed} gas");
        return stop;
    }

    // ================================================================== table.concat

    [Fact]
    public void Concat_joins_strings_and_numbers_as_Lua_prints_them()
    {
        var m = NewMachine();
        Assert.Equal("'132.03x31e+1003-0.0'", Show(Table(m, "concat", T(List(I(1), F(2.0), S("x"), F(1e100), F(-0.0))), I(3))));
        Assert.Equal("'2, 3'", Show(Table(m, "concat", T(List(I(1), I(2), I(3))), S(", "), I(2))));
        Assert.Equal("''", Show(Table(m, "concat", T(List(I(1), I(2), I(3))), S(", "), I(3), I(2))));
        Assert.Equal("''", Show(Table(m, "concat", T(List()), S("x"))));
        Assert.Equal("'a'", Show(Table(m, "concat", T(List(S("a"))), S("--"))));
    }

    [Fact]
    public void Concat_names_the_first_value_that_is_not_a_string_or_a_number()
    {
        var m = NewMachine();
        Assert.Equal("invalid value (table) at index 3 in table for 'concat'", Error(() => Table(m, "concat", T(List(I(1), I(2), T(List()))))));
        Assert.Equal("invalid value (nil) at index 1 in table for 'concat'", Error(() => Table(m, "concat", T(List()), S(""), I(1), I(3))));
        Assert.Equal("bad argument #2 to 'concat' (string expected, got table)", Error(() => Table(m, "concat", T(List(I(1))), T(List()))));
        Assert.Equal("bad argument #1 to 'concat' (table expected, got nil)", Error(() => Table(m, "concat", Nil)));
    }

    [Fact]
    public void Concat_over_a_range_far_beyond_the_table_reads_only_what_the_table_holds()
    {
        var m = NewMachine();
        var t = List(S("a"), S("b"));
        Worst(m, () => Assert.Contains("at index 3", Error(() => Table(m, "concat", T(t), S(""), I(1), I(long.MaxValue)))));
        Worst(m, () => Assert.Contains($"at index {long.MinValue}", Error(() => Table(m, "concat", T(t), S(""), I(long.MinValue), I(long.MaxValue)))));
        Assert.True(m.GasUsed < 1_000, m.GasUsed.ToString());
    }

    [Fact]
    public void Concat_of_a_100k_table_charges_every_element_and_byte()
    {
        var word = S(new string('w', 100));
        var t = Range(100_000, i => i % 2 == 0 ? word : I(i));
        var m = NewMachine();
        Value[] r = [];
        Assert.Equal(Stop.None, Worst(m, () => r = Table(m, "concat", T(t), S(","))));
        var length = r[0].AsString.Length;
        Assert.True(length > 5_000_000);
        // 1 gas per 4 elements, 1 per 16 bytes copied, and 1 per 16 bytes of the new string's memory.
        Assert.True(m.GasUsed >= 100_000 / 4 + 2 * (ulong)length / 16, m.GasUsed.ToString());
    }

    [Fact]
    public void Concat_whose_result_would_not_fit_in_memory_stops_before_building_it()
    {
        var big = S(new string('x', 1 << 20));
        var t = Range(64, _ => big);
        var m = NewMachine();
        Assert.Equal(Stop.OutOfMemory, Worst(m, () => Table(m, "concat", T(t))));
        Assert.Equal(0, m.Memory);
    }

    // ================================================================== table.insert, table.remove

    [Fact]
    public void Insert_appends_or_shifts_up_and_checks_its_position()
    {
        var m = NewMachine();
        var t = List(I(1), I(2), I(3));
        Table(m, "insert", T(t), I(4));
        Table(m, "insert", T(t), I(1), I(0));
        Table(m, "insert", T(t), I(6), I(5));
        Table(m, "insert", T(t), F(3.0), S("x"));
        Assert.Equal("0,1,x,2,3,4,5", Items(t));
        Assert.Equal("bad argument #2 to 'insert' (position out of bounds)", Error(() => Table(m, "insert", T(List(I(1), I(2))), I(5), I(1))));
        Assert.Equal("bad argument #2 to 'insert' (position out of bounds)", Error(() => Table(m, "insert", T(List()), I(0), I(1))));
        Assert.Equal("bad argument #2 to 'insert' (number has no integer representation)", Error(() => Table(m, "insert", T(List()), F(1.5), I(1))));
        Assert.Equal("wrong number of arguments to 'insert'", Error(() => Table(m, "insert", T(List(I(1), I(2))))));
        Assert.Equal("wrong number of arguments to 'insert'", Error(() => Table(m, "insert", T(List()), I(1), I(2), I(3))));
        Assert.Equal("bad argument #1 to 'insert' (table expected, got nil)", Error(() => Table(m, "insert", Nil, I(1))));
        Assert.Equal("attempt to modify a library table", Error(() => Table(m, "insert", T(MathLibrary), I(1))));
    }

    [Fact]
    public void Remove_shifts_down_and_returns_what_it_removed()
    {
        var m = NewMachine();
        var t = List(I(1), I(2), I(3));
        Assert.Equal("1", Show(Table(m, "remove", T(t), I(1))));
        Assert.Equal("2,3", Items(t));
        Assert.Equal("3", Show(Table(m, "remove", T(t))));
        Assert.Equal("nil", Show(Table(m, "remove", T(t), I(2))));
        Assert.Equal("2", Items(t));
        Assert.Equal("nil", Show(Table(m, "remove", T(List()))));
        Assert.Equal("nil", Show(Table(m, "remove", T(List()), I(0))));
        var zero = List();
        zero.Set(m, I(0), S("z"));
        Assert.Equal("'z'", Show(Table(m, "remove", T(zero), I(0))));
        Assert.True(zero.Get(0).IsNil);
        Assert.Equal("bad argument #2 to 'remove' (position out of bounds)", Error(() => Table(m, "remove", T(List()), I(5))));
        Assert.Equal("bad argument #2 to 'remove' (position out of bounds)", Error(() => Table(m, "remove", T(List(I(1))), I(-1))));
    }

    [Fact]
    public void Insert_and_remove_in_the_middle_of_a_100k_table_pay_for_every_element_shifted()
    {
        var t = Range(100_000, i => I(i));
        var m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => Table(m, "insert", T(t), I(50_000), S("mid"))));
        Assert.True(m.GasUsed >= 50_000 / 4, m.GasUsed.ToString());
        Assert.Equal(100_001, t.Length);
        Assert.Equal("'mid'", Show([t.Get(50_000)]));
        Assert.Equal("100000", t.Get(100_001).ToString());
        var before = m.GasUsed;
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal("'mid'", Show(Table(m, "remove", T(t), I(50_000))))));
        Assert.True(m.GasUsed - before >= 50_000 / 4);
        Assert.Equal(100_000, t.Length);
        Assert.Equal("50000", t.Get(50_000).ToString());

        // Front insertions until the gas runs out: each one is paid before it shifts.
        var poor = NewMachine(gas: 100_000);
        Assert.Equal(Stop.OutOfGas, Worst(poor, () => { while (true) Table(poor, "insert", T(t), I(1), I(0)); }));
    }

    // ================================================================== table.move

    [Fact]
    public void Move_copies_overlapping_ranges_in_the_safe_direction()
    {
        var m = NewMachine();
        var up = List(I(1), I(2), I(3), I(4), I(5));
        Table(m, "move", T(up), I(1), I(4), I(2));
        Assert.Equal("1,1,2,3,4", Items(up));
        var down = List(I(1), I(2), I(3), I(4), I(5));
        Table(m, "move", T(down), I(2), I(5), I(1));
        Assert.Equal("2,3,4,5,5", Items(down));
        var src = List(I(1), I(2), I(3));
        var dst = List();
        var r = Table(m, "move", T(src), I(1), I(3), I(3), T(dst));
        Assert.Same(dst, r[0].AsTable);
        Assert.Equal("1", dst.Get(3).ToString());
        Assert.Equal("3", dst.Get(5).ToString());
        Assert.Equal(0, dst.Length);
        Assert.Same(src, Table(m, "move", T(src), I(5), I(1), I(1))[0].AsTable);
        Assert.Same(src, Table(m, "move", T(src), I(1), I(3), I(1), Nil)[0].AsTable);
        // Integral floats are integers; e < f moves nothing.
        var f = List(S("a"), S("b"));
        Table(m, "move", T(f), F(1.0), F(2.0), F(3.0));
        Assert.Equal("a,b,a,b", Items(f));
    }

    [Fact]
    public void Move_checks_its_arguments_as_Lua_does()
    {
        var m = NewMachine();
        Assert.Equal("bad argument #4 to 'move' (destination wrap around)", Error(() => Table(m, "move", T(List()), I(1), I(long.MaxValue), I(2))));
        Assert.Equal("bad argument #3 to 'move' (too many elements to move)", Error(() => Table(m, "move", T(List()), I(-1), I(long.MaxValue), I(2))));
        Assert.Equal("bad argument #3 to 'move' (too many elements to move)", Error(() => Table(m, "move", T(List()), I(long.MinValue), I(-1), I(1))));
        Assert.Equal("bad argument #4 to 'move' (destination wrap around)", Error(() => Table(m, "move", T(List()), I(1), I(10), I(long.MaxValue))));
        Assert.Equal("bad argument #2 to 'move' (number has no integer representation)", Error(() => Table(m, "move", T(List()), F(1.5), I(10), I(1))));
        Assert.Equal("bad argument #3 to 'move' (number expected, got string)", Error(() => Table(m, "move", T(List()), I(1), S("x"), I(1))));
        Assert.Equal("bad argument #4 to 'move' (number expected, got no value)", Error(() => Table(m, "move", T(List()), I(1), I(2))));
        Assert.Equal("bad argument #1 to 'move' (table expected, got number)", Error(() => Table(m, "move", I(5), I(1), I(2), I(1))));
        Assert.Equal("bad argument #5 to 'move' (table expected, got number)", Error(() => Table(m, "move", T(List()), I(1), I(2), I(1), I(5))));
        Assert.Equal("bad argument #3 to 'move' (number has no integer representation)", Error(() => Table(m, "move", T(List()), I(1), F(double.PositiveInfinity), I(1))));
    }

    [Fact]
    public void Move_of_2_to_the_40_elements_runs_out_of_gas_before_it_touches_one()
    {
        var dst = List();
        foreach (var (f, e) in new[] { (F(1.0), F(1099511627776.0)), (I(1), I(1L << 40)), (I(long.MinValue + 1), I(-1)), (I(0), I(long.MaxValue - 1)) })
        {
            var m = NewMachine();
            Assert.Equal(Stop.OutOfGas, Worst(m, () => Table(m, "move", T(List()), f, e, I(1), T(dst))));
            Assert.Equal(0, dst.Length + dst.HashCount);
            Assert.True(m.Work < 1_000);
        }
    }

    [Fact]
    public void A_charge_larger_than_all_the_gas_left_stops_even_when_gas_is_handed_out_in_slices()
    {
        // View calls get their gas in slices (Machine.SetDeadline): the check must compare with all the gas left.
        var m = NewMachine();
        m.SetDeadline(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(Stop.OutOfGas, Worst(m, () => Table(m, "move", T(List()), I(1), I(1L << 40), I(1), T(List()))));
        Assert.Equal(0, m.Work);
        m = NewMachine();
        m.SetDeadline(TimeSpan.FromMinutes(5), CancellationToken.None);
        var src = Range(200_000, i => I(i));
        Assert.Equal(Stop.None, Worst(m, () => Table(m, "move", T(src), I(1), I(200_000), I(2))));
        Assert.Equal(200_001, src.Length);
    }

    [Fact]
    public void Move_of_a_million_elements_pays_one_gas_per_four()
    {
        var src = Range(1_000_000, i => I(i));
        var m = NewMachine(memory: 64 << 20);
        var dst = m.NewTable();
        Assert.Equal(Stop.None, Worst(m, () => Table(m, "move", T(src), I(1), I(1_000_000), I(1), T(dst))));
        Assert.Equal(1_000_000, dst.Length);
        Assert.True(m.GasUsed >= 250_000, m.GasUsed.ToString());
    }

    // ================================================================== table.pack, table.unpack

    [Fact]
    public void Pack_counts_its_values_in_n_and_unpack_gives_them_back()
    {
        var m = NewMachine();
        var p = Table(m, "pack", I(1), Nil, I(3))[0].AsTable;
        Assert.Equal("3", p.Get(LuaString.From("n")).ToString());
        Assert.Equal("1, nil, 3", Show(Table(m, "unpack", T(p), I(1), I(3))));
        Assert.Equal("0", Table(m, "pack")[0].AsTable.Get(LuaString.From("n")).ToString());
        Assert.Equal("2, 3", Show(Table(m, "unpack", T(List(I(1), I(2), I(3))), I(2))));
        Assert.Equal("nil, nil, 1", Show(Table(m, "unpack", T(List(I(1), I(2), I(3))), I(-1), I(1))));
        Assert.Empty(Table(m, "unpack", T(List()), I(1), I(0)));
        Assert.Empty(Table(m, "unpack", T(List())));
        Assert.Equal("bad argument #1 to 'unpack' (table expected, got nil)", Error(() => Table(m, "unpack", Nil, I(1), I(2))));
        Assert.Equal("bad argument #2 to 'unpack' (number expected, got string)", Error(() => Table(m, "unpack", Nil, S("x"))));
        // As in Lua, an empty range never looks at the table.
        Assert.Empty(Table(m, "unpack", Value.False, I(-1), I(-7)));
    }

    [Fact]
    public void Unpack_of_a_huge_range_refuses_before_reading_anything()
    {
        var m = NewMachine();
        Assert.Equal("too many results to unpack", Error(() => Table(m, "unpack", T(List()), I(1), I(10_000_000))));
        Assert.Equal("too many results to unpack", Error(() => Table(m, "unpack", T(List()), I(long.MinValue), I(long.MaxValue))));
        Assert.Equal("too many results to unpack", Error(() => Table(m, "unpack", T(List()), I(1), I(Machine.MaxValues + 1))));
        Assert.True(m.Work == 0 && m.GasUsed < 100, m.GasUsed.ToString());
        Value[] r = [];
        Assert.Equal(Stop.None, Worst(m, () => r = Table(m, "unpack", T(List()), I(long.MaxValue - Machine.MaxValues + 1), I(long.MaxValue))));
        Assert.Equal(Machine.MaxValues, r.Length);
    }

    // ================================================================== table.sort

    [Fact]
    public void Sort_orders_numbers_exactly_and_strings_bytewise()
    {
        var m = NewMachine();
        var n = List(I(3), F(1.5), I(2), I(-1), F(9007199254740993.0), I(9007199254740993), F(double.NegativeInfinity), I(long.MinValue));
        Table(m, "sort", T(n));
        Assert.Equal("-inf,-9223372036854775808,-1,1.5,2,3,9.007199254741e+15,9007199254740993", Items(n));
        var s = List(S("b"), S("a"), S("ab"), S(""), B(0xFF), B(0x00));
        Table(m, "sort", T(s));
        Assert.Equal(",\0,a,ab,b,\uFFFD", Items(s));
        var desc = List(I(5), I(3), I(1), I(4), I(2));
        Table(m, "sort", T(desc), Value.Func(new Builtin("gt", (_, a) => [Value.Bool(a[0].N > a[1].N)])));
        Assert.Equal("5,4,3,2,1", Items(desc));
    }

    [Fact]
    public void Sort_with_a_comparator_is_stable()
    {
        var m = NewMachine();
        var t = Range(1000, i => I(i));
        // Ordering by the last digit only: equal keys must keep their order.
        Table(m, "sort", T(t), Value.Func(new Builtin("lt", (_, a) => [Value.Bool(a[0].N % 10 < a[1].N % 10)])));
        var items = Enumerable.Range(1, 1000).Select(i => t.Get(i).N).ToList();
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i).OrderBy(i => i % 10).ToList(), items);
    }

    [Fact]
    public void Sort_reports_values_that_cannot_be_compared_and_leaves_the_table_as_it_was()
    {
        var m = NewMachine();
        var mixed = List(I(3), S("a"));
        Assert.Equal("attempt to compare string with number", Error(() => Table(m, "sort", T(mixed))));
        Assert.Equal("3,a", Items(mixed));
        Assert.Equal("attempt to compare two table values", Error(() => Table(m, "sort", T(List(T(List()), T(List()))))));
        var holey = List(I(1), I(2), I(3), I(0));
        holey.SetInt(m, 2, Nil);
        Assert.Equal(4, holey.Length);
        Assert.Equal("attempt to compare nil with number", Error(() => Table(m, "sort", T(holey))));
        Assert.Equal("bad argument #2 to 'sort' (function expected, got number)", Error(() => Table(m, "sort", T(List(I(1), I(2))), I(3))));
        Assert.Equal("bad argument #1 to 'sort' (table expected, got nil)", Error(() => Table(m, "sort", Nil)));
        // Like Lua, a table of one element is not looked at further.
        Assert.Empty(Table(m, "sort", T(List(I(1))), I(3)));
        var raising = Range(100, i => I(100 - i));
        var calls = 0;
        var boom = new Builtin("boom", (mm, a) => ++calls == 50 ? throw mm.Error("boom") : [Value.Bool(a[0].N < a[1].N)]);
        Assert.Equal("boom", Error(() => Table(m, "sort", T(raising), Value.Func(boom))));
        Assert.Equal(string.Join(",", Enumerable.Range(1, 100).Select(i => 100 - i)), Items(raising));
    }

    /// <summary>a &lt; b for inputs of one kind (integers, floats or strings).</summary>
    private static bool Before(Value a, Value b) =>
        a.IsInt ? a.N < b.N : a.IsFloat ? a.AsFloat < b.AsFloat : a.AsString.CompareTo(b.AsString) < 0;

    private static IEnumerable<(string Name, LuaTable Table)> BigInputs(int n)
    {
        var state = 12345UL;
        yield return ("sorted", Range(n, i => I(i)));
        yield return ("reversed", Range(n, i => I(n - i)));
        yield return ("random", Range(n, _ => I((long)((state = state * 6364136223846793005UL + 1442695040888963407UL) >> 33))));
        yield return ("equal", Range(n, _ => I(7)));
        yield return ("floats", Range(n, i => F(((i * 7919L) % n) / 3.0)));
        yield return ("strings", Range(n, i => S(((i * 7919L) % n).ToString("D6"))));
    }

    [Fact]
    public void Sort_of_100k_elements_pays_n_log_n_whatever_the_input_order()
    {
        const int n = 100_000;
        foreach (var (name, t) in BigInputs(n))
        {
            var m = NewMachine();
            Assert.Equal(Stop.None, Worst(m, () => Table(m, "sort", T(t))));
            Assert.True(m.GasUsed >= (ulong)n * 17, $"{name}: {m.GasUsed}");
            for (var i = 1; i < n; i++) Assert.False(Before(t.Get(i + 1), t.Get(i)), $"{name} at {i}");
        }
    }

    [Fact]
    public void Sort_with_an_inconsistent_comparator_ends_with_a_permutation_of_the_input()
    {
        const int n = 100_000;
        var always = new Builtin("always", (_, _) => [Value.True]);
        var never = new Builtin("never", (_, _) => [Value.False]);
        var nothing = new Builtin("nothing", (_, _) => Value.None);
        var state = 99UL;
        var coin = new Builtin("coin", (_, _) => [Value.Bool(((state = state * 6364136223846793005UL + 1) >> 63) == 0)]);
        foreach (var cmp in new[] { always, never, nothing, coin })
        {
            var t = Range(n, i => I(i));
            var m = NewMachine();
            Assert.Equal(Stop.None, Worst(m, () => Table(m, "sort", T(t), Value.Func(cmp))));
            Assert.Equal(n, t.Length);
            Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i), Enumerable.Range(1, n).Select(i => t.Get(i).N).Order());
            Assert.True(m.GasUsed >= (ulong)n * 17, m.GasUsed.ToString());
        }
    }

    [Fact]
    public void Sort_stops_out_of_gas_before_sorting_what_it_cannot_pay_for()
    {
        var t = Range(100_000, i => I(-i));
        var m = NewMachine(gas: 1_000_000);
        Assert.Equal(Stop.OutOfGas, Worst(m, () => Table(m, "sort", T(t))));
        Assert.Equal("-1", t.Get(1).ToString());
    }

    [Fact]
    public void Sort_pays_for_the_bytes_of_long_strings_it_compares()
    {
        var prefix = new string('p', 1 << 16);
        var t = Range(1000, i => S(prefix + (i * 7 % 1000).ToString("D3")));
        var m = NewMachine(gas: 100_000_000, memory: 1 << 30);
        Assert.Equal(Stop.None, Worst(m, () => Table(m, "sort", T(t))));
        // About n log n comparisons of 64 KiB each, at 16 bytes per gas.
        Assert.True(m.GasUsed > 1000UL * 5 * (1 << 16) / 16, m.GasUsed.ToString());
    }

    // ================================================================== math

    [Fact]
    public void Math_has_only_the_integer_functions_and_is_read_only()
    {
        foreach (var name in new[] { "abs", "add", "div", "max", "min", "mul", "sub", "tointeger", "type", "ult" })
            Assert.True(MathLibrary.Get(LuaString.From(name)).IsFunction, name);
        foreach (var name in new[] { "floor", "ceil", "sqrt", "random", "randomseed", "huge", "pi", "fmod", "exp", "log", "modf" })
            Assert.True(MathLibrary.Get(LuaString.From(name)).IsNil, name);
        Assert.Equal("9223372036854775807", MathLibrary.Get(LuaString.From("maxinteger")).ToString());
        Assert.Equal("-9223372036854775808", MathLibrary.Get(LuaString.From("mininteger")).ToString());
        var m = NewMachine();
        Assert.Equal("attempt to modify a library table", Error(() => { MathLibrary.Set(m, S("pi"), F(3.14)); return []; }));
    }

    [Fact]
    public void Checked_arithmetic_gives_exact_results_or_the_old_sandbox_messages()
    {
        var m = NewMachine();
        Assert.Equal("5", Show(Math(m, "add", I(2), I(3))));
        Assert.Equal("-1", Show(Math(m, "sub", I(2), I(3))));
        Assert.Equal("-6", Show(Math(m, "mul", I(2), I(-3))));
        Assert.Equal("-4", Show(Math(m, "div", I(-7), I(2))));
        Assert.Equal("-9223372036854775808", Show(Math(m, "mul", I(long.MinValue), I(1))));
        Assert.Equal("-9223372036854775808", Show(Math(m, "mul", I(1L << 62), I(-2))));
        Assert.Equal("0", Show(Math(m, "mul", I(0), I(long.MinValue))));
        Assert.Equal("9223372036854775807", Show(Math(m, "div", I(long.MaxValue), I(1))));
        Assert.Equal("overflow in math.add", Error(() => Math(m, "add", I(long.MaxValue), I(1))));
        Assert.Equal("overflow in math.add", Error(() => Math(m, "add", I(long.MinValue), I(-1))));
        Assert.Equal("overflow in math.sub", Error(() => Math(m, "sub", I(long.MinValue), I(1))));
        Assert.Equal("overflow in math.sub", Error(() => Math(m, "sub", I(0), I(long.MinValue))));
        Assert.Equal("overflow in math.mul", Error(() => Math(m, "mul", I(1L << 32), I(1L << 31))));
        Assert.Equal("overflow in math.mul", Error(() => Math(m, "mul", I(-1), I(long.MinValue))));
        Assert.Equal("overflow in math.mul", Error(() => Math(m, "mul", I(long.MinValue), I(-1))));
        Assert.Equal("overflow in math.mul", Error(() => Math(m, "mul", I(1L << 62), I(2))));
        Assert.Equal("division by zero", Error(() => Math(m, "div", I(1), I(0))));
        Assert.Equal("overflow in math.div", Error(() => Math(m, "div", I(long.MinValue), I(-1))));
        Assert.Equal("add: a must be an integer", Error(() => Math(m, "add", F(1.0), I(1))));
        Assert.Equal("add: b must be an integer", Error(() => Math(m, "add", I(1))));
        Assert.Equal("sub: a must be an integer", Error(() => Math(m, "sub", S("1"), I(1))));
        Assert.Equal("mul: b must be an integer", Error(() => Math(m, "mul", I(1), F(2.0))));
        Assert.Equal("div: a must be an integer", Error(() => Math(m, "div")));
    }

    [Fact]
    public void Abs_max_and_min_take_integers_only()
    {
        var m = NewMachine();
        Assert.Equal("5", Show(Math(m, "abs", I(-5))));
        Assert.Equal("9223372036854775807", Show(Math(m, "abs", I(long.MaxValue))));
        Assert.Equal("overflow in math.abs", Error(() => Math(m, "abs", I(long.MinValue))));
        Assert.Equal("abs: argument must be an integer", Error(() => Math(m, "abs", F(-1.0))));
        Assert.Equal("7", Show(Math(m, "max", I(3), I(7), I(-2))));
        Assert.Equal("-2", Show(Math(m, "min", I(3), I(7), I(-2))));
        Assert.Equal("4", Show(Math(m, "max", I(4))));
        Assert.Equal("max: argument must be an integer", Error(() => Math(m, "max")));
        Assert.Equal("min: argument must be an integer", Error(() => Math(m, "min", I(1), F(2.5))));
        Assert.Equal("max: argument must be an integer", Error(() => Math(m, "max", I(1), S("2"))));
    }

    [Fact]
    public void Type_tointeger_and_ult_behave_as_in_Lua_5_4()
    {
        var m = NewMachine();
        Assert.Equal("'integer'", Show(Math(m, "type", I(1))));
        Assert.Equal("'float'", Show(Math(m, "type", F(1))));
        Assert.Equal("nil", Show(Math(m, "type", S("1"))));
        Assert.Equal("nil", Show(Math(m, "type", Nil)));
        Assert.Equal("bad argument #1 to 'type' (value expected)", Error(() => Math(m, "type")));
        Assert.Equal("3", Show(Math(m, "tointeger", F(3.0))));
        Assert.Equal("nil", Show(Math(m, "tointeger", F(3.5))));
        Assert.Equal("nil", Show(Math(m, "tointeger", F(double.NaN))));
        Assert.Equal("nil", Show(Math(m, "tointeger", F(9.3e18))));
        Assert.Equal("8", Show(Math(m, "tointeger", S("8"))));
        Assert.Equal("16", Show(Math(m, "tointeger", S(" 0x10 "))));
        Assert.Equal("nil", Show(Math(m, "tointeger", S("x"))));
        Assert.Equal("nil", Show(Math(m, "tointeger", T(List()))));
        Assert.Equal("bad argument #1 to 'tointeger' (value expected)", Error(() => Math(m, "tointeger")));
        Assert.Equal("true", Show(Math(m, "ult", I(1), I(-1))));
        Assert.Equal("false", Show(Math(m, "ult", I(-1), I(1))));
        Assert.Equal("true", Show(Math(m, "ult", F(1.0), S("2"))));
        Assert.Equal("bad argument #1 to 'ult' (number has no integer representation)", Error(() => Math(m, "ult", F(1.5), I(2))));
        Assert.Equal("bad argument #2 to 'ult' (number expected, got no value)", Error(() => Math(m, "ult", I(1))));
    }

    [Fact]
    public void Max_of_the_most_arguments_a_call_can_take_is_paid_per_argument()
    {
        var m = NewMachine();
        var args = Enumerable.Range(0, Machine.MaxValues).Select(i => I(i)).ToArray();
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal("7999", Show(Math(m, "max", args)))));
        Assert.True(m.GasUsed >= Machine.MaxValues / 4);
    }

    [Fact]
    public void Tointeger_of_a_multi_megabyte_string_is_paid_per_byte()
    {
        var m = NewMachine();
        var s = S(new string(' ', 8 << 20) + "1");
        Assert.Equal(Stop.None, Worst(m, () => Math(m, "tointeger", s)));
        Assert.True(m.GasUsed >= (8 << 20) / 16);
    }

    // ================================================================== utf8

    [Fact]
    public void Char_encodes_code_points_up_to_0x7FFFFFFF_as_Lua_does()
    {
        var m = NewMachine();
        var r = Utf8(m, "char", I(72), I(0x7FFFFFFF), I(0x10FFFF), I(0x20AC), I(0x7FF), I(0))[0].AsString.Bytes;
        Assert.Equal(new byte[] { 72, 0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF, 0xE2, 0x82, 0xAC, 0xDF, 0xBF, 0 }, r);
        Assert.Equal("''", Show(Utf8(m, "char")));
        Assert.Equal("'A'", Show(Utf8(m, "char", S("65"))));
        Assert.Equal("bad argument #1 to 'char' (value out of range)", Error(() => Utf8(m, "char", I(-1))));
        Assert.Equal("bad argument #2 to 'char' (value out of range)", Error(() => Utf8(m, "char", I(1), I(0x80000000))));
        Assert.Equal("bad argument #1 to 'char' (number expected, got string)", Error(() => Utf8(m, "char", S("a"))));
        Assert.Equal("[\0-\x7F\xC2-\xFD][\x80-\xBF]*"u8.ToArray(), Utf8Library.Get(LuaString.From("charpattern")).AsString.Bytes);
    }

    [Fact]
    public void Codepoint_decodes_strictly_unless_lax()
    {
        var m = NewMachine();
        var euro = S("a\u20ACb");
        Assert.Equal("97, 8364, 98", Show(Utf8(m, "codepoint", euro, I(1), I(-1))));
        Assert.Equal("97", Show(Utf8(m, "codepoint", euro)));
        Assert.Equal("8364", Show(Utf8(m, "codepoint", euro, I(2))));
        Assert.Empty(Utf8(m, "codepoint", euro, I(3), I(2)));
        Assert.Equal("invalid UTF-8 code", Error(() => Utf8(m, "codepoint", euro, I(3))));
        Assert.Equal("invalid UTF-8 code", Error(() => Utf8(m, "codepoint", B(0xFF))));
        Assert.Equal("invalid UTF-8 code", Error(() => Utf8(m, "codepoint", B(0xED, 0xA0, 0x80))));
        Assert.Equal("55296", Show(Utf8(m, "codepoint", B(0xED, 0xA0, 0x80), I(1), I(1), Value.True)));
        Assert.Equal("invalid UTF-8 code", Error(() => Utf8(m, "codepoint", B(0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF))));
        Assert.Equal("2147483647", Show(Utf8(m, "codepoint", B(0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF), I(1), I(1), Value.True)));
        Assert.Equal("invalid UTF-8 code", Error(() => Utf8(m, "codepoint", B(0xC0, 0x80), I(1), I(1), Value.True)));
        Assert.Equal("bad argument #2 to 'codepoint' (out of bounds)", Error(() => Utf8(m, "codepoint", S("abc"), I(0))));
        Assert.Equal("bad argument #3 to 'codepoint' (out of bounds)", Error(() => Utf8(m, "codepoint", S("abc"), I(1), I(4))));
    }

    [Fact]
    public void Len_counts_characters_or_gives_fail_and_the_position_of_the_first_bad_byte()
    {
        var m = NewMachine();
        Assert.Equal("3", Show(Utf8(m, "len", S("a\u20ACb"))));
        Assert.Equal("0", Show(Utf8(m, "len", S(""))));
        Assert.Equal("0", Show(Utf8(m, "len", S("abc"), I(4))));
        Assert.Equal("1", Show(Utf8(m, "len", S("abc"), I(-1))));
        Assert.Equal("0", Show(Utf8(m, "len", S("abc"), I(3), I(2))));
        Assert.Equal("nil, 2", Show(Utf8(m, "len", B(0x61, 0xFF, 0x62))));
        Assert.Equal("nil, 1", Show(Utf8(m, "len", B(0xED, 0xA0, 0x80))));
        Assert.Equal("1", Show(Utf8(m, "len", B(0xED, 0xA0, 0x80), I(1), I(-1), Value.True)));
        Assert.Equal("nil, 1", Show(Utf8(m, "len", B(0xC0, 0x80))));
        Assert.Equal("1", Show(Utf8(m, "len", B(0xF8, 0x88, 0x80, 0x80, 0x80), I(1), I(-1), Value.True)));
        Assert.Equal("nil, 1", Show(Utf8(m, "len", B(0xFE, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80), I(1), I(-1), Value.True)));
        Assert.Equal("nil, 4", Show(Utf8(m, "len", S("a\u20AC"), I(-1))));
        Assert.Equal("nil, 1", Show(Utf8(m, "len", B(0xE2, 0x82))));
        Assert.Equal("bad argument #2 to 'len' (initial position out of bounds)", Error(() => Utf8(m, "len", S("abc"), I(5))));
        Assert.Equal("bad argument #2 to 'len' (initial position out of bounds)", Error(() => Utf8(m, "len", S("abc"), I(0))));
        Assert.Equal("bad argument #3 to 'len' (final position out of bounds)", Error(() => Utf8(m, "len", S("abc"), I(1), I(4))));
    }

    [Fact]
    public void Offset_finds_the_byte_where_the_nth_character_starts()
    {
        var m = NewMachine();
        var s = S("a\u20ACb");
        Assert.Equal("1", Show(Utf8(m, "offset", S("abc"), I(1))));
        Assert.Equal("5", Show(Utf8(m, "offset", s, I(-1))));
        Assert.Equal("5", Show(Utf8(m, "offset", s, I(3))));
        Assert.Equal("2", Show(Utf8(m, "offset", s, I(-2))));
        Assert.Equal("2", Show(Utf8(m, "offset", s, I(0), I(4))));
        Assert.Equal("1", Show(Utf8(m, "offset", S(""), I(1))));
        Assert.Equal("1", Show(Utf8(m, "offset", S(""), I(0))));
        Assert.Equal("4", Show(Utf8(m, "offset", S("abc"), I(0), I(4))));
        Assert.Equal("nil", Show(Utf8(m, "offset", S("abc"), I(5))));
        Assert.Equal("4", Show(Utf8(m, "offset", S("abc"), I(4))));
        Assert.Equal("nil", Show(Utf8(m, "offset", S("abc"), I(-4))));
        Assert.Equal("initial position is a continuation byte", Error(() => Utf8(m, "offset", S("a\u20AC"), I(1), I(3))));
        Assert.Equal("bad argument #3 to 'offset' (position out of bounds)", Error(() => Utf8(m, "offset", S("abc"), I(1), I(5))));
        Assert.Equal("bad argument #2 to 'offset' (number expected, got no value)", Error(() => Utf8(m, "offset", S("abc"))));
    }

    [Fact]
    public void Codes_iterates_positions_and_code_points_and_stops_at_invalid_bytes()
    {
        var m = NewMachine();
        var r = Utf8(m, "codes", S("a\u20ACb"));
        var step = r[0].AsFunction;
        Assert.Equal("0", r[2].ToString());
        var seen = new List<string>();
        var control = r[2];
        while (true)
        {
            var x = step.Call(m, [r[1], control]);
            if (x.Length == 0 || x[0].IsNil) break;
            seen.Add(Show(x));
            control = x[0];
        }
        Assert.Equal(["1, 97", "2, 8364", "5, 98"], seen);
        Assert.Equal("5, 98", Show(step.Call(m, [B(0x61, 0x80, 0x80, 0x80, 0x62), I(1)])));
        Assert.Equal("1, 97", Show(step.Call(m, [S("ab"), F(1.5)])));
        Assert.Empty(step.Call(m, [S("ab"), I(-1)]));
        Assert.Equal("invalid UTF-8 code", Error(() => step.Call(m, [B(0xFF), I(0)])));
        Assert.Equal("invalid UTF-8 code", Error(() => step.Call(m, [B(0xF4, 0x90, 0x80, 0x80), I(0)])));
        Assert.Equal("invalid UTF-8 code", Error(() => step.Call(m, [B(0x61, 0x80), I(0)])));
        Assert.Equal("bad argument #1 to 'for iterator' (string expected, got nil)", Error(() => step.Call(m, [Nil, I(1)])));
        var lax = Utf8(m, "codes", B(0xF4, 0x90, 0x80, 0x80), Value.True)[0].AsFunction;
        Assert.Equal("1, 1114112", Show(lax.Call(m, [B(0xF4, 0x90, 0x80, 0x80), I(0)])));
        Assert.Equal("bad argument #1 to 'codes' (invalid UTF-8 code)", Error(() => Utf8(m, "codes", B(0x80))));
    }

    [Fact]
    public void Utf8_functions_on_multi_megabyte_strings_pay_for_every_byte_they_scan()
    {
        var text = new LuaString(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("a\u20AC\U0001F600", 1 << 19))));
        var m = NewMachine();
        Value[] r = [];
        Assert.Equal(Stop.None, Worst(m, () => r = Utf8(m, "len", Value.Str(text))));
        Assert.Equal(3 << 19, r[0].N);
        Assert.True(m.GasUsed >= (ulong)text.Length / 16);

        // Too many results: refused after reading what MaxValues results take, not the whole string.
        m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal("string slice too long", Error(() => Utf8(m, "codepoint", Value.Str(text), I(1), I(-1))))));
        Assert.True(m.Work < 100_000, m.Work.ToString());
        m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => r = Utf8(m, "codepoint", Value.Str(text), I(1), I(8 * 1000))));
        Assert.Equal(3000, r.Length);

        m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => r = Utf8(m, "offset", Value.Str(text), I(3 << 19))));
        Assert.Equal(text.Length - 3, r[0].N);
        Assert.True(m.GasUsed >= (ulong)text.Length / 16);

        // Runs of continuation bytes are paid as they are scanned.
        var runs = new byte[8 << 20];
        Array.Fill(runs, (byte)0x80);
        runs[0] = (byte)'a';
        var s = B(runs);
        m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => r = Utf8(m, "offset", s, I(0), I(-1))));
        Assert.Equal("1", Show(r));
        Assert.True(m.GasUsed >= (ulong)runs.Length / 16);
        m = NewMachine();
        var step = Utf8(m, "codes", s)[0].AsFunction;
        Assert.Equal(Stop.None, Worst(m, () => Assert.Empty(step.Call(m, [s, I(1)]))));
        Assert.True(m.GasUsed >= (ulong)runs.Length / 16);
        m = NewMachine(gas: 10_000);
        Assert.Equal(Stop.OutOfGas, Worst(m, () => step.Call(m, [s, I(1)])));
        Assert.True(m.Work <= 20 * 10_000, m.Work.ToString());
        m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal("nil, 2", Show(Utf8(m, "len", s)))));
    }

    // ================================================================== basic functions

    [Fact]
    public void Assert_returns_its_arguments_or_raises_its_message()
    {
        var m = NewMachine();
        Assert.Equal("1, 'two', nil", Show(Base(m, "assert", I(1), S("two"), Nil)));
        Assert.Equal("assertion failed!", Error(() => Base(m, "assert", Value.False)));
        Assert.Equal("boom", Error(() => Base(m, "assert", Nil, S("boom"))));
        Assert.Equal("bad argument #1 to 'assert' (value expected)", Error(() => Base(m, "assert")));
        var t = T(List());
        var e = Assert.Throws<LuaError>(() => Base(m, "assert", Value.False, t));
        Assert.Same(t.AsTable, e.Value.AsTable);
        Assert.True(Assert.Throws<LuaError>(() => Base(m, "assert", Value.False, Nil)).Value.IsNil);
        Assert.Equal(42, Assert.Throws<LuaError>(() => Base(m, "assert", Value.False, I(42))).Value.N);
        // Inside a contract the message gets the position of the call, as Lua's assert does.
        m.Line = 7;
        Assert.Equal("contract:7: boom", Error(() => Base(m, "assert", Value.False, S("boom"))));
        Assert.Equal("contract:7: assertion failed!", Error(() => Base(m, "assert", Value.False)));
    }

    [Fact]
    public void Ipairs_walks_from_1_to_the_first_nil()
    {
        var m = NewMachine();
        var t = List(I(1), I(2), Nil, I(4));
        var r = Base(m, "ipairs", T(t));
        Assert.Equal("0", r[2].ToString());
        var seen = new List<string>();
        var control = r[2];
        while (true)
        {
            var x = r[0].AsFunction.Call(m, [r[1], control]);
            if (x[0].IsNil) break;
            seen.Add(Show(x));
            control = x[0];
        }
        Assert.Equal(["1, 1", "2, 2"], seen);
        Assert.Equal("bad argument #1 to 'ipairs' (table expected, got nil)", Error(() => Base(m, "ipairs", Nil)));
        Assert.Equal("bad argument #1 to 'ipairs' (table expected, got no value)", Error(() => Base(m, "ipairs")));
        Assert.Equal("bad argument #2 to 'for iterator' (number expected, got string)", Error(() => r[0].AsFunction.Call(m, [T(t), S("a")])));
    }

    [Fact]
    public void Pairs_visits_keys_in_the_defined_order_and_skips_keys_removed_during_the_loop()
    {
        var m = NewMachine();
        var t = m.NewTable();
        t.Set(m, S("b"), I(1));
        t.Set(m, Value.True, I(2));
        t.Set(m, I(2), I(3));
        t.Set(m, F(0.5), I(4));
        t.Set(m, S("a"), I(5));
        t.Set(m, I(1), I(6));
        t.Set(m, Value.False, I(7));
        t.Set(m, I(-3), I(8));
        var r = Base(m, "pairs", T(t));
        Assert.Same(t, r[1].AsTable);
        Assert.True(r[2].IsNil);
        var memory = m.Memory;
        var seen = new List<string>();
        while (true)
        {
            var x = r[0].AsFunction.Call(m, [r[1], Nil]);
            if (x[0].IsNil) break;
            seen.Add(Show(x));
            if (x[0].IsInt && x[0].N == -3) t.Set(m, S("a"), Nil); // removed before it is reached
        }
        Assert.Equal(["-3, 8", "1, 6", "2, 3", "0.5, 4", "'b', 1", "false, 7", "true, 2"], seen);
        // The snapshot is given back when the loop ends.
        Assert.True(m.Memory < memory, $"{m.Memory} {memory}");
        Assert.True(r[0].AsFunction.Call(m, [r[1], Nil])[0].IsNil);
        Assert.Equal("bad argument #1 to 'pairs' (table expected, got nil)", Error(() => Base(m, "pairs", Nil)));
        Assert.Equal("bad argument #1 to 'pairs' (table expected, got no value)", Error(() => Base(m, "pairs")));
        var bad = m.NewTable();
        bad.Set(m, T(List()), I(1));
        Assert.Equal("pairs: a table with table keys has no defined order", Error(() => Base(m, "pairs", T(bad))));
    }

    [Fact]
    public void Pairs_over_a_100k_key_table_is_paid_per_key()
    {
        var setup = Setup();
        var t = setup.NewTable();
        for (var i = 0; i < 100_000; i++) t.Set(setup, S("key" + (i * 7919 % 100_000)), I(i));
        var m = NewMachine();
        var count = 0;
        Assert.Equal(Stop.None, Worst(m, () =>
        {
            var r = Base(m, "pairs", T(t));
            while (!r[0].AsFunction.Call(m, [r[1], Nil])[0].IsNil) count++;
        }));
        Assert.Equal(100_000, count);
        // The snapshot (1 gas per key, plus sorting and the bytes of string keys, plus its memory) and 2 per step.
        Assert.True(m.GasUsed >= 100_000 * 4, m.GasUsed.ToString());
    }

    [Fact]
    public void Select_counts_or_drops_its_arguments()
    {
        var m = NewMachine();
        Assert.Equal("3", Show(Base(m, "select", S("#"), I(1), Nil, I(3))));
        Assert.Equal("2", Show(Base(m, "select", S("#foo"), I(1), I(2))));
        Assert.Equal("0", Show(Base(m, "select", S("#"))));
        Assert.Equal("'b', 'c'", Show(Base(m, "select", I(2), S("a"), S("b"), S("c"))));
        Assert.Equal("'c'", Show(Base(m, "select", I(-1), S("a"), S("b"), S("c"))));
        Assert.Equal("'a', 'b', 'c'", Show(Base(m, "select", F(-3.0), S("a"), S("b"), S("c"))));
        Assert.Empty(Base(m, "select", I(5), I(1), I(2)));
        Assert.Equal("bad argument #1 to 'select' (index out of range)", Error(() => Base(m, "select", I(0), I(1))));
        Assert.Equal("bad argument #1 to 'select' (index out of range)", Error(() => Base(m, "select", I(-4), I(1), I(2), I(3))));
        Assert.Equal("bad argument #1 to 'select' (index out of range)", Error(() => Base(m, "select", I(long.MinValue), I(1))));
        Assert.Equal("bad argument #1 to 'select' (number expected, got string)", Error(() => Base(m, "select", S("x"), I(1))));
        Assert.Equal("bad argument #1 to 'select' (number expected, got no value)", Error(() => Base(m, "select")));
    }

    [Fact]
    public void Select_over_the_most_arguments_a_call_can_take_is_paid_per_value()
    {
        var args = new Value[Machine.MaxValues];
        args[0] = S("#");
        for (var i = 1; i < args.Length; i++) args[i] = I(i);
        var m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal($"{Machine.MaxValues - 1}", Show(Base(m, "select", args)))));
        args[0] = I(1);
        Value[] r = [];
        Assert.Equal(Stop.None, Worst(m, () => r = Base(m, "select", args)));
        Assert.Equal(Machine.MaxValues - 1, r.Length);
        Assert.True(m.GasUsed >= Machine.MaxValues / 4);
        var poor = NewMachine(gas: 100_000);
        Assert.Equal(Stop.OutOfGas, Worst(poor, () => { while (true) Base(poor, "select", args); }));
    }

    [Fact]
    public void Tonumber_reads_numerals_and_integers_in_any_base_from_2_to_36()
    {
        var m = NewMachine();
        Assert.Equal("16", Show(Base(m, "tonumber", S("  10  "), I(16))));
        Assert.Equal("1295", Show(Base(m, "tonumber", S("zz"), I(36))));
        Assert.Equal("-255", Show(Base(m, "tonumber", S("-ff"), I(16))));
        Assert.Equal("-7", Show(Base(m, "tonumber", S(" -7 "), I(8))));
        Assert.Equal("30", Show(Base(m, "tonumber", S("1e"), I(16))));
        Assert.Equal("36", Show(Base(m, "tonumber", S("10"), F(36.0))));
        Assert.Equal("9223372036854775807", Show(Base(m, "tonumber", S("7fffffffffffffff"), I(16))));
        Assert.Equal("-9223372036854775808", Show(Base(m, "tonumber", S("8000000000000000"), I(16))));
        Assert.Equal("-1", Show(Base(m, "tonumber", S("ffffffffffffffffff"), I(16))));
        Assert.Equal("5076944270305263616", Show(Base(m, "tonumber", S("1" + new string('0', 30)), I(10))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S("1 0"), I(10))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S(""), I(10))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S("8"), I(8))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S("1\0"), I(10))));
        Assert.Equal("bad argument #1 to 'tonumber' (string expected, got number)", Error(() => Base(m, "tonumber", I(10), I(16))));
        Assert.Equal("bad argument #2 to 'tonumber' (base out of range)", Error(() => Base(m, "tonumber", S("10"), I(37))));
        Assert.Equal("bad argument #2 to 'tonumber' (base out of range)", Error(() => Base(m, "tonumber", S("10"), I(1))));
        Assert.Equal("bad argument #2 to 'tonumber' (number has no integer representation)", Error(() => Base(m, "tonumber", S("10"), F(2.5))));
        Assert.Equal("bad argument #2 to 'tonumber' (number expected, got string)", Error(() => Base(m, "tonumber", S("10"), S("x"))));

        Assert.Equal("16", Show(Base(m, "tonumber", S("0x10"))));
        Assert.Equal("10.0", Show(Base(m, "tonumber", S("1e1"))));
        Assert.Equal("16.0", Show(Base(m, "tonumber", S(" 0x1p4 "))));
        Assert.Equal("1.5", Show(Base(m, "tonumber", F(1.5))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S("  "))));
        Assert.Equal("nil", Show(Base(m, "tonumber", S("1\0"))));
        Assert.Equal("nil", Show(Base(m, "tonumber", Nil)));
        Assert.Equal("nil", Show(Base(m, "tonumber", T(List()))));
        Assert.Equal("10", Show(Base(m, "tonumber", S("10"), Nil)));
        Assert.Equal("bad argument #1 to 'tonumber' (value expected)", Error(() => Base(m, "tonumber")));
    }

    [Fact]
    public void Tonumber_of_a_10_megabyte_string_is_paid_per_byte_with_or_without_a_base()
    {
        var spaces = S(new string(' ', 10 << 20) + "1");
        var digits = S(new string('1', 10 << 20));
        foreach (var args in new[] { new[] { spaces }, new[] { digits }, new[] { spaces, I(10) }, new[] { digits, I(2) }, new[] { digits, I(36) } })
        {
            var m = NewMachine();
            Assert.Equal(Stop.None, Worst(m, () => Base(m, "tonumber", args)));
            Assert.True(m.GasUsed >= (10 << 20) / 16, m.GasUsed.ToString());
        }
        var poor = NewMachine(gas: 100_000);
        Assert.Equal(Stop.OutOfGas, Worst(poor, () => Base(poor, "tonumber", digits, I(2))));
        Assert.Equal(0, poor.Work);
    }

    [Fact]
    public void Tostring_and_type_never_show_an_address()
    {
        var m = NewMachine();
        Assert.Equal("'nil', 'true', 'false', '1.5', '-0.0', '1e+300', '9.2233720368548e+18', '-9223372036854775808'",
            string.Join(", ", new[] { Nil, Value.True, Value.False, F(1.5), F(-0.0), F(1e300), F(9223372036854775808.0), I(long.MinValue) }
                .Select(v => Show(Base(m, "tostring", v)))));
        Assert.Equal("'table'", Show(Base(m, "tostring", T(List()))));
        Assert.Equal("'function'", Show(Base(m, "tostring", Globals.Get(LuaString.From("type")))));
        var s = S("same");
        Assert.Same(s.AsString, Base(m, "tostring", s)[0].AsString);
        Assert.Equal("bad argument #1 to 'tostring' (value expected)", Error(() => Base(m, "tostring")));
        Assert.Equal("'nil', 'boolean', 'number', 'number', 'string', 'table', 'function'",
            string.Join(", ", new[] { Nil, Value.True, I(1), F(1), S(""), T(List()), Globals.Get(LuaString.From("type")) }.Select(v => Show(Base(m, "type", v)))));
        Assert.Equal("bad argument #1 to 'type' (value expected)", Error(() => Base(m, "type")));
        // Type names are shared constants: asking in a loop does not add up to memory.
        var memory = m.Memory;
        for (var i = 0; i < 1000; i++) Base(m, "type", I(i));
        Assert.Equal(memory, m.Memory);
    }

    [Fact]
    public void Raw_functions_work_on_tables_without_metatables()
    {
        var m = NewMachine();
        Assert.Equal("true, true, false, false", string.Join(", ", new[]
        {
            Base(m, "rawequal", I(1), F(1.0)), Base(m, "rawequal", S("a"), S("a")), Base(m, "rawequal", T(List()), T(List())), Base(m, "rawequal", I(1), S("1")),
        }.Select(Show)));
        Assert.Equal("bad argument #2 to 'rawequal' (value expected)", Error(() => Base(m, "rawequal", I(1))));
        Assert.Equal("2, 3", Show([Base(m, "rawlen", T(List(I(1), I(2))))[0], Base(m, "rawlen", S("abc"))[0]]));
        Assert.Equal("bad argument #1 to 'rawlen' (table or string expected, got number)", Error(() => Base(m, "rawlen", I(5))));
        Assert.Equal("bad argument #1 to 'rawlen' (table or string expected, got no value)", Error(() => Base(m, "rawlen")));
        var t = List(I(5));
        Assert.Equal("5", Show(Base(m, "rawget", T(t), F(1.0))));
        Assert.Equal("nil", Show(Base(m, "rawget", T(t), F(double.NaN))));
        Assert.Equal("bad argument #1 to 'rawget' (table expected, got number)", Error(() => Base(m, "rawget", I(1), I(1))));
        Assert.Equal("bad argument #2 to 'rawget' (value expected)", Error(() => Base(m, "rawget", T(t))));
        Assert.Same(t, Base(m, "rawset", T(t), S("k"), I(9))[0].AsTable);
        Assert.Equal("9", t.Get(LuaString.From("k")).ToString());
        Assert.Equal("table index is nil", Error(() => Base(m, "rawset", T(t), Nil, I(1))));
        Assert.Equal("table index is NaN", Error(() => Base(m, "rawset", T(t), F(double.NaN), I(1))));
        Assert.Equal("bad argument #3 to 'rawset' (value expected)", Error(() => Base(m, "rawset", T(t), I(1))));
        Assert.Equal("attempt to modify a library table", Error(() => Base(m, "rawset", T(TableLibrary), S("x"), I(1))));
        Assert.Equal("Lua 5.4", Globals.Get(LuaString.From("_VERSION")).ToString());
        foreach (var absent in new[] { "next", "load", "print", "getmetatable", "setmetatable", "pcall", "error", "dofile", "require" })
            Assert.True(Globals.Get(LuaString.From(absent)).IsNil, absent);
    }

    [Fact]
    public void Rawequal_pays_for_comparing_long_strings()
    {
        var a = new string('a', 8 << 20);
        var m = NewMachine();
        Assert.Equal(Stop.None, Worst(m, () => Assert.Equal("true", Show(Base(m, "rawequal", S(a), S(a))))));
        Assert.True(m.GasUsed >= (8 << 20) / 16);
    }
}
