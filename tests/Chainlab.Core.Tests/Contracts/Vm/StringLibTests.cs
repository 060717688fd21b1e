using System.Diagnostics;
using Chainlab.Contracts;
using Chainlab.Contracts.Vm;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>
/// The string library called directly: results as reference Lua 5.4 gives them, Lua's error messages, and the worst
/// cases a red team would try, each of which must finish or stop (LuaStop) with its work paid for as it happened.
/// </summary>
public sealed class StringLibTests
{
    private static readonly LuaTable Lib = StringLib.Create();

    private static Machine NewMachine(ulong gas = 10_000_000, long memory = 16 << 20) => new(gas, memory);

    private static Value Fn(string name) => Lib.Get(LuaString.From(name));

    private static Value[] Call(Machine m, string fn, params Value[] args) => Fn(fn).AsFunction.Call(m, args);

    private static Value V(object? o) => o switch
    {
        null => Value.Nil,
        string s => Value.Str(LuaString.From(s)),
        byte[] b => Value.Str(new LuaString(b)),
        int i => Value.Int(i),
        long l => Value.Int(l),
        double d => Value.Float(d),
        bool b => Value.Bool(b),
        LuaTable t => Value.Table(t),
        LuaFunction f => Value.Func(f),
        Value v => v,
        _ => throw new ArgumentException(o.GetType().Name),
    };

    private static Value[] Call(string fn, params object?[] args)
    {
        var m = NewMachine();
        return Call(m, fn, [.. args.Select(V)]);
    }

    /// <summary>Results as text: strings quoted, numbers as Lua prints them, nil as nil.</summary>
    private static string Show(Value[] r) => string.Join(", ", r.Select(v => v.IsString ? $"'{v}'" : v.ToString()));

    private static string Run(string fn, params object?[] args) => Show(Call(fn, args));

    private static string Error(string fn, params object?[] args)
    {
        var e = Assert.Throws<LuaError>(() => Call(fn, args));
        return e.Value.ToString();
    }

    private static string Rep(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    // ------------------------------------------------------------------ len, sub, byte, char, upper, lower, reverse, rep

    [Fact]
    public void Len_counts_bytes_not_characters()
    {
        Assert.Equal("5", Run("len", "hello"));
        Assert.Equal("2", Run("len", "é"));
        Assert.Equal("0", Run("len", ""));
        Assert.Equal("3", Run("len", 123));
    }

    [Theory]
    [InlineData(2L, null, "'ello'")]
    [InlineData(-3L, -2L, "'ll'")]
    [InlineData(0L, null, "'hello'")]
    [InlineData(long.MinValue, long.MaxValue, "'hello'")]
    [InlineData(3L, 2L, "''")]
    [InlineData(10L, 20L, "''")]
    [InlineData(-100L, 2L, "'he'")]
    [InlineData(2L, -100L, "''")]
    [InlineData(5L, 5L, "'o'")]
    public void Sub_follows_lua_index_rules(long i, long? j, string expected) =>
        Assert.Equal(expected, Run("sub", "hello", i, j));

    [Fact]
    public void Sub_of_the_whole_string_returns_it_without_copying()
    {
        var s = LuaString.From("hello");
        var m = NewMachine();
        var r = Call(m, "sub", Value.Str(s), Value.Int(1));
        Assert.Same(s, r[0].AsString);
        Assert.Equal(0, m.Work);
    }

    [Fact]
    public void Byte_returns_the_codes_of_a_range()
    {
        Assert.Equal("104", Run("byte", "hello"));
        Assert.Equal("111", Run("byte", "hello", -1));
        Assert.Equal("101, 108, 108", Run("byte", "hello", 2, 4));
        Assert.Equal("104, 101, 108, 108, 111", Run("byte", "hello", -10, 10));
        Assert.Equal("", Run("byte", "hello", 10));
        Assert.Equal("", Run("byte", "", 1));
        Assert.Equal("255", Run("byte", new byte[] { 255 }));
    }

    [Fact]
    public void Char_builds_a_string_from_codes_and_rejects_values_out_of_range()
    {
        Assert.Equal("'Hi'", Run("char", 72, 105));
        Assert.Equal("''", Run("char"));
        Assert.Equal("'A'", Run("char", "65"));
        Assert.Equal("bad argument #2 to 'char' (value out of range)", Error("char", 65, 256));
        Assert.Equal("bad argument #1 to 'char' (value out of range)", Error("char", -1));
        Assert.Equal("bad argument #1 to 'char' (number has no integer representation)", Error("char", 65.5));
        Assert.Equal(new byte[] { 0, 255 }, Call("char", 0, 255)[0].AsString.Bytes);
        Assert.Equal(new byte[] { 255, 0 }, Call("format", "%c%c", -1, 256)[0].AsString.Bytes);
    }

    [Fact]
    public void Upper_and_lower_change_ascii_letters_only()
    {
        Assert.Equal([(byte)'A', (byte)'B', (byte)'1', 0xe9, (byte)'Z'], Call("upper", new byte[] { (byte)'a', (byte)'b', (byte)'1', 0xe9, (byte)'z' })[0].AsString.Bytes);
        Assert.Equal([(byte)'a', 0xc9, (byte)'z', (byte)'['], Call("lower", new byte[] { (byte)'A', 0xc9, (byte)'Z', (byte)'[' })[0].AsString.Bytes);
        Assert.Equal("'olleh'", Run("reverse", "hello"));
        Assert.Equal("''", Run("reverse", ""));
    }

    [Theory]
    [InlineData("ab", 3L, null, "'ababab'")]
    [InlineData("ab", 3L, ",", "'ab,ab,ab'")]
    [InlineData("ab", 1L, ",", "'ab'")]
    [InlineData("", 3L, ",", "',,'")]
    [InlineData("x", 0L, ",", "''")]
    [InlineData("x", -5L, null, "''")]
    public void Rep_repeats_with_an_optional_separator(string s, long n, string? sep, string expected) =>
        Assert.Equal(expected, Run("rep", s, n, sep));

    [Fact]
    public void Rep_checks_its_arguments()
    {
        Assert.Equal("bad argument #2 to 'rep' (number expected, got no value)", Error("rep", "x"));
        Assert.Equal("bad argument #2 to 'rep' (number has no integer representation)", Error("rep", "x", 2.5));
        Assert.Equal("bad argument #1 to 'rep' (string expected, got nil)", Error("rep", null, 2));
        Assert.Equal("resulting string too large", Error("rep", "xx", long.MaxValue / 2 + 1));
        Assert.Equal("'xxx'", Run("rep", "x", 3.0));
    }

    // ------------------------------------------------------------------ find, match

    [Theory]
    [InlineData("hello", "l+", null, null, "3, 4")]
    [InlineData("hello", "l", null, null, "3, 3")]
    [InlineData("hello", "xyz", null, null, "nil")]
    [InlineData("hello", "", null, null, "1, 0")]
    [InlineData("hello", "", 6L, null, "6, 5")]
    [InlineData("hello", "", 7L, null, "nil")]
    [InlineData("hello", "l", -2L, null, "4, 4")]
    [InlineData("hello", "(l)(l)", null, null, "3, 4, 'l', 'l'")]
    [InlineData("hello", "()ll()", null, null, "3, 4, 3, 5")]
    [InlineData("a.b", ".", null, true, "2, 2")]
    [InlineData("a+b", "+", 1L, true, "2, 2")]
    [InlineData("a.b", ".", null, null, "1, 1")]
    [InlineData("hello", "^h", null, null, "1, 1")]
    [InlineData("hello", "^e", null, null, "nil")]
    [InlineData("hello", "o$", null, null, "5, 5")]
    [InlineData("a$b", "$b", null, null, "2, 3")]
    [InlineData("hello world", "o w", null, null, "5, 7")]
    [InlineData("x^y", "^", null, true, "2, 2")]
    public void Find_gives_the_positions_and_captures_lua_gives(string s, string p, long? init, bool? plain, string expected) =>
        Assert.Equal(expected, Run("find", s, p, init, plain));

    [Theory]
    [InlineData("key = value", "(%w+)%s*=%s*(%w+)", null, "'key', 'value'")]
    [InlineData("THE (quick) fox", "%((%a+)%)", null, "'quick'")]
    [InlineData("f(a(b)c)d", "%b()", null, "'(a(b)c)'")]
    [InlineData("THE (quick) fox", "%f[%a]%a+", 5L, "'quick'")]
    [InlineData("abcabc", "(abc)%1", null, "'abc'")]
    [InlineData("  trim  ", "^%s*(.-)%s*$", null, "'trim'")]
    [InlineData("2024-01-15", "(%d+)-(%d+)-(%d+)", null, "'2024', '01', '15'")]
    [InlineData("hello", ".-", null, "''")]
    [InlineData("hello", "l*", 3L, "'ll'")]
    [InlineData("[]", "[]]", null, "']'")]
    [InlineData("a-b", "[a-]+", null, "'a-'")]
    [InlineData("a^b", "[%^]", null, "'^'")]
    [InlineData("hello", "()", 3L, "3")]
    [InlineData("hello", "()", 10L, "nil")]
    [InlineData("hello", "o()", -1L, "6")]
    [InlineData("x = 0x1F;", "0[xX](%x+)", null, "'1F'")]
    [InlineData("one two", "%S+$", null, "'two'")]
    [InlineData("THE END", "%u+", 2L, "'HE'")]
    [InlineData("a,b;;c", "[^,;]+", 4L, "'c'")]
    [InlineData("don't", "[%w']+", null, "'don't'")]
    [InlineData("x\0y", "%z", null, "'\0'")]
    [InlineData("hello", "(h)(e)(l)(l)(o)", null, "'h', 'e', 'l', 'l', 'o'")]
    [InlineData("[[x]]", "%[(%b[])%]", null, "'[x]'")]
    [InlineData("'quoted' text", "%b''", null, "''quoted''")]
    [InlineData("the cat", "%f[%w]%w+$", null, "'cat'")]
    [InlineData("ab12", "%a+()%d+", null, "3")]
    public void Match_gives_the_captures_lua_gives(string s, string p, long? init, string expected) =>
        Assert.Equal(expected, Run("match", s, p, init));

    [Fact]
    public void Character_classes_are_the_c_locale_ascii_classes()
    {
        var all = new byte[256];
        for (var i = 0; i < 256; i++) all[i] = (byte)i;
        var expected = new Dictionary<string, long>
        {
            ["%a"] = 52, ["%c"] = 33, ["%d"] = 10, ["%g"] = 94, ["%l"] = 26, ["%p"] = 32, ["%s"] = 6,
            ["%u"] = 26, ["%w"] = 62, ["%x"] = 22, ["%z"] = 1, ["%A"] = 204, ["[%a%d]"] = 62, ["[^%a]"] = 204, ["."] = 256,
        };
        foreach (var (cls, count) in expected)
        {
            var r = Call("gsub", all, cls, "");
            Assert.True(count == r[1].AsInt, $"{cls}: {r[1].AsInt}");
        }
        // No byte above 127 is in any class.
        var high = all[128..];
        foreach (var cls in new[] { "%a", "%c", "%d", "%g", "%l", "%p", "%s", "%u", "%w", "%x" })
            Assert.Equal("nil", Run("find", high, cls));
    }

    // ------------------------------------------------------------------ gmatch

    private static List<string> Iterate(Machine m, params object?[] args)
    {
        var it = Call(m, "gmatch", [.. args.Select(V)])[0].AsFunction;
        var all = new List<string>();
        while (true)
        {
            var r = it.Call(m, []);
            if (r.Length == 0 || r[0].IsNil) return all;
            all.Add(Show(r));
        }
    }

    [Fact]
    public void Gmatch_iterates_over_the_matches_as_lua_does()
    {
        var m = NewMachine();
        Assert.Equal(["'hello'", "'world'", "'from'", "'lua'"], Iterate(m, "hello world from lua", "%a+"));
        Assert.Equal(["'k1', 'v1'", "'k2', 'v2'"], Iterate(m, "k1=v1, k2=v2", "(%w+)=(%w+)"));
        Assert.Equal(["''", "''", "''", "''"], Iterate(m, "abc", ""));
        Assert.Equal(["1", "2", "3", "4"], Iterate(m, "abc", "()"));
        Assert.Equal(["''", "'aaa'", "''"], Iterate(m, "baaac", "a*"));
        Assert.Equal(["'l'"], Iterate(m, "hello", "l", 4));
        Assert.Equal(["'l'", "'o'"], Iterate(m, "hello", ".", -2));
        Assert.Empty(Iterate(m, "hello", ".", 10));
    }

    [Fact]
    public void Gmatch_treats_a_caret_as_an_ordinary_character()
    {
        var m = NewMachine();
        Assert.Empty(Iterate(m, "hello", "^h"));
        Assert.Equal(["'^h'", "'^h'"], Iterate(m, "^h^h", "^h"));
    }

    // ------------------------------------------------------------------ gsub

    [Theory]
    [InlineData("hello world", "o", "0", null, "'hell0 w0rld', 2")]
    [InlineData("hello world", "(%w+)", "<%1>", null, "'<hello> <world>', 2")]
    [InlineData("abc", "%w", "%0%0", null, "'aabbcc', 3")]
    [InlineData("hello world", "%w+", "%0 %0", 1L, "'hello hello world', 1")]
    [InlineData("abc", "", "-", null, "'-a-b-c-', 4")]
    [InlineData("abc", "b*", "-", null, "'-a-c-', 3")]
    [InlineData("hello", "", "x", 2L, "'xhxello', 2")]
    [InlineData("hello", "l", "L", 0L, "'hello', 0")]
    [InlineData("hello", "l", "L", -1L, "'hello', 0")]
    [InlineData("hello", "^h", "H", null, "'Hello', 1")]
    [InlineData("hello", "^l", "H", null, "'hello', 0")]
    [InlineData("hello", "l", "%1", null, "'hello', 2")]
    [InlineData("hello", "l", "%%", null, "'he%%o', 2")]
    [InlineData("hello", "()l", "%1", null, "'he34o', 2")]
    [InlineData("hello", "(l)(l)", "%2%1", null, "'hello', 1")]
    [InlineData("hello", "x", "50%", null, "'hello', 0")]
    [InlineData("hello world", "(o)", "[%0|%1]", null, "'hell[o|o] w[o|o]rld', 2")]
    public void Gsub_with_a_string_replacement_matches_lua(string s, string p, string repl, long? n, string expected) =>
        Assert.Equal(expected, Run("gsub", s, p, repl, n));

    [Fact]
    public void Gsub_with_a_number_replacement_uses_its_text() =>
        Assert.Equal("'he55o', 2", Run("gsub", "hello", "l", 5));

    [Fact]
    public void Gsub_with_a_table_replaces_by_the_first_capture_and_keeps_misses()
    {
        var m = NewMachine();
        var t = m.NewTable();
        t.Set(m, V("name"), V("Lua"));
        t.Set(m, V("version"), V(54));
        t.Set(m, V("off"), Value.False);
        var r = Call(m, "gsub", V("$name $version $off $other"), V("%$(%w+)"), Value.Table(t));
        Assert.Equal("'Lua 54 $off $other', 4", Show(r));
    }

    [Fact]
    public void Gsub_with_a_function_calls_it_with_the_captures_and_keeps_the_match_on_false_or_nil()
    {
        var m = NewMachine();
        var seen = new List<string>();
        var fn = new Builtin("f", (_, a) =>
        {
            seen.Add(Show(a));
            var w = a[0].AsString.ToString();
            return w == "keep" ? [Value.Nil] : w == "no" ? [Value.False] : w == "none" ? Value.None : [V(w.ToUpperInvariant())];
        });
        var r = Call(m, "gsub", V("one keep no none two"), V("%a+"), Value.Func(fn));
        Assert.Equal("'ONE keep no none TWO', 5", Show(r));
        Assert.Equal(["'one'", "'keep'", "'no'", "'none'", "'two'"], seen);

        var pairs = new Builtin("g", (_, a) => [V(a[1].AsString + "=" + a[0].AsString)]);
        Assert.Equal("'a=1, b=2', 2", Show(Call(m, "gsub", V("1=a, 2=b"), V("(%w)=(%w)"), Value.Func(pairs))));
    }

    [Fact]
    public void Gsub_rejects_a_replacement_value_that_is_not_a_string_or_number()
    {
        var m = NewMachine();
        var fn = new Builtin("f", (mm, _) => [Value.Table(mm.NewTable())]);
        var e = Assert.Throws<LuaError>(() => Call(m, "gsub", V("abc"), V("b"), Value.Func(fn)));
        Assert.Equal("invalid replacement value (a table)", e.Value.ToString());
        Assert.Equal("bad argument #3 to 'gsub' (string/function/table expected, got boolean)", Error("gsub", "abc", "b", true));
        Assert.Equal("bad argument #3 to 'gsub' (string/function/table expected, got no value)", Error("gsub", "abc", "b"));
    }

    // ------------------------------------------------------------------ format

    [Theory]
    [InlineData("%5.2f|%-5d|%x|%g|%g", " 3.14|42   |ff|1e+20|0.1", 3.14159, 42L, 255L, 1e20, 0.1)]
    [InlineData("%.3f", "2.001", 2.0005)]
    [InlineData("%.0f %.0f %.0f %.2f", "0 2 2 0.12", 0.5, 1.5, 2.5, 0.125)]
    [InlineData("%#x %#o %#X %#.0o %.0d|", "0xff 010 0XFF 0 |", 255L, 8L, 255L, 0L, 0L)]
    [InlineData("%x %X %o", "ffffffffffffffff FFFFFFFFFFFFFFFF 1000000000000000000000", -1L, -1L, long.MinValue)]
    [InlineData("%u", "18446744073709551615", -1L)]
    [InlineData("%d %i", "-9223372036854775808 42", long.MinValue, 42L)]
    [InlineData("%+.3d|% 05d|%-05d|%05d", "+007| 0007|7    |-0007", 7L, 7L, 7L, -7L)]
    [InlineData("%5s|%-5s|%.1s|%s", "    1|2.5  |t|nil", 1L, 2.5, true, null)]
    [InlineData("%c%c%c", "ABC", 65L, 322L, 67L)]
    [InlineData("%5c|%-5c|", "    A|B    |", 65L, 66L)]
    [InlineData("%g %g %g %g %g", "100000 1e+06 0.0001 1e-05 1.23457e+08", 100000.0, 1000000.0, 1e-4, 1e-5, 123456789.0)]
    [InlineData("%#g %#.1g %#.3e %#.0e %#.0f", "1.00000 5. 2.000e+00 3.e+00 4.", 1.0, 5.0, 2.0, 3.0, 4.0)]
    [InlineData("%e|%+e|% e|%E", "0.000000e+00|+1.000000e+00| 1.000000e+00|1.500000E-10", 0.0, 1.0, 1.0, 1.5e-10)]
    [InlineData("%010.3f|%-10.3f|%+.2e", "-00003.142|2.500     |+1.23e+04", -3.14159, 2.5, 12345.678)]
    [InlineData("%f|%5.1f|%-6e|%06g|%F", "inf| -inf|inf   |   nan|INF", double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NaN, double.PositiveInfinity)]
    [InlineData("%+f % f", "+nan  nan", double.NaN, double.NaN)]
    [InlineData("%a %A %.0a %.1a %#a", "0x1p+0 0X1.FFP+7 0x2p+0 0x2.0p+0 0x1.p+0", 1.0, 255.5, 1.5, 1.96875, 1.0)]
    [InlineData("%a|%a|%a|%.3a", "0x0.0000000000001p-1022|0x0p+0|-0x0p+0|0x0.012p-1022", 5e-324, 0.0, -0.0, 1e-310)]
    [InlineData("%s %s %d", "10 1.0 3", 10L, 1.0, 3.0)]
    [InlineData("%d", "10", "10")]
    [InlineData("100%% %s", "100% x", "x")]
    [InlineData("%.99f", "1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", 1.0)]
    [InlineData("%.20f", "0.10000000000000000555", 0.1)]
    [InlineData("%.14g", "3.1415926535898", 3.14159265358979)]
    [InlineData("%5.3s|", "  abc|", "abcdef")]
    public void Format_prints_as_lua_and_c_do(string format, string expected, params object?[] args) =>
        Assert.Equal($"'{expected}'", Run("format", [format, .. args]));

    [Fact]
    public void Format_copies_strings_of_100_bytes_or_more_whole_when_there_is_no_precision()
    {
        var s = new string('q', 150);
        Assert.Equal($"'{s}'", Run("format", "%5s", s));
        Assert.Equal($"'{s[..3]}'", Run("format", "%.3s", s));
        Assert.Equal("'ab" + new string(' ', 97) + "'", Run("format", "%-99s", "ab"));
    }

    [Theory]
    [InlineData("string.format: %p and %q are not available in contracts", "%q", "x")]
    [InlineData("string.format: %p and %q are not available in contracts", "%p", "x")]
    [InlineData("string.format: %p and %q are not available in contracts", "%10.3q", "x")]
    [InlineData("bad argument #2 to 'format' (no value)", "%d")]
    [InlineData("bad argument #3 to 'format' (no value)", "%d %s", 1L)]
    [InlineData("bad argument #2 to 'format' (no value)", "%")]
    [InlineData("invalid conversion '%' to 'format'", "%", 1L)]
    [InlineData("invalid conversion '%10' to 'format'", "%10", 1L)]
    [InlineData("invalid conversion '%y' to 'format'", "%y", 1L)]
    [InlineData("invalid conversion '%l' to 'format'", "%ld", 1L)]
    [InlineData("invalid format (too long)", "%123456789012345678901234d", 1L)]
    [InlineData("invalid conversion specification: '%100d'", "%100d", 1L)]
    [InlineData("invalid conversion specification: '%.100f'", "%.100f", 1.0)]
    [InlineData("invalid conversion specification: '%#d'", "%#d", 1L)]
    [InlineData("invalid conversion specification: '%+x'", "%+x", 1L)]
    [InlineData("invalid conversion specification: '%.3c'", "%.3c", 65L)]
    [InlineData("invalid conversion specification: '%05s'", "%05s", "x")]
    [InlineData("invalid conversion specification: '%0100d'", "%0100d", 1L)]
    [InlineData("bad argument #2 to 'format' (number has no integer representation)", "%d", 3.5)]
    [InlineData("bad argument #2 to 'format' (number expected, got string)", "%d", "x")]
    [InlineData("bad argument #2 to 'format' (number expected, got boolean)", "%f", true)]
    [InlineData("bad argument #2 to 'format' (string contains zeros)", "%5s", "a\0b")]
    public void Format_errors_are_luas(string expected, string format, params object?[] args) =>
        Assert.Equal(expected, Error("format", [format, .. args]));

    [Fact]
    public void Format_of_a_string_with_zeros_and_no_modifiers_copies_it() =>
        Assert.Equal("'a\0b'", Run("format", "%s", "a\0b"));

    // ------------------------------------------------------------------ errors

    [Theory]
    [InlineData("malformed pattern (ends with '%')", "match", "x", "%")]
    [InlineData("malformed pattern (missing ']')", "match", "x", "[a")]
    [InlineData("malformed pattern (missing ']')", "find", "x", "x[^]")]
    [InlineData("malformed pattern (missing arguments to '%b')", "match", "x", "%bx")]
    [InlineData("missing '[' after '%f' in pattern", "match", "x", "%fa")]
    [InlineData("missing '[' after '%f' in pattern", "match", "x", "%f")]
    [InlineData("unfinished capture", "match", "x", "(x")]
    [InlineData("invalid pattern capture", "match", "x", "x)")]
    [InlineData("invalid capture index %1", "match", "x", "%1")]
    [InlineData("invalid capture index %0", "match", "x", "%0")]
    [InlineData("invalid capture index %2", "match", "xx", "(x)%2")]
    [InlineData("invalid capture index %2", "gsub", "hello", "l", "%2")]
    [InlineData("invalid capture index %3", "gsub", "hello", "(l)(l)", "%3")]
    [InlineData("invalid use of '%' in replacement string", "gsub", "hello", "l", "50%")]
    [InlineData("invalid use of '%' in replacement string", "gsub", "hello", "l", "%a")]
    [InlineData("bad argument #2 to 'find' (string expected, got nil)", "find", "abc", null)]
    [InlineData("bad argument #3 to 'find' (number has no integer representation)", "find", "abc", "b", 1.5)]
    [InlineData("bad argument #1 to 'upper' (string expected, got no value)", "upper")]
    [InlineData("bad argument #4 to 'gsub' (number has no integer representation)", "gsub", "x", "x", "y", 1.5)]
    [InlineData("bad argument #2 to 'sub' (number expected, got no value)", "sub", "hello")]
    public void Errors_carry_luas_messages(string expected, string fn, params object?[] args) =>
        Assert.Equal(expected, Error(fn, args));

    [Fact]
    public void A_malformed_spot_is_reported_only_when_the_matcher_reaches_it_as_in_lua()
    {
        Assert.Equal("nil", Run("find", "abc", "x["));
        Assert.Equal("'abc', 0", Run("gsub", "abc", "x", "%"));
        Assert.Equal("malformed pattern (missing ']')", Error("find", "xbc", "x["));
    }

    [Fact]
    public void More_than_32_captures_is_an_error()
    {
        Assert.Equal(32, Call("match", "hello", Rep("(h?)", 32)).Length);
        Assert.Equal("too many captures", Error("match", "hello", Rep("(h?)", 33)));
    }

    [Fact]
    public void Library_table_is_read_only_and_has_no_dump_or_pack()
    {
        Assert.True(Lib.ReadOnly);
        foreach (var name in new[] { "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep", "reverse", "sub", "upper" })
            Assert.True(Fn(name).IsFunction, name);
        foreach (var name in new[] { "dump", "pack", "unpack", "packsize" })
            Assert.True(Fn(name).IsNil, name);
    }

    // ------------------------------------------------------------------ worst cases
    //
    // Each call must finish or stop with LuaStop, and its work must have been paid as it went:
    // Machine.Work <= 64 * GasUsed. The library keeps a tighter bound, 16 units of work per gas (bytes cost 1 gas per
    // 16, matcher steps 1 gas each), so the assertion has a margin of 4.

    private static (Machine M, bool Stopped, TimeSpan Time) Worst(Action<Machine> body, ulong gas = 10_000_000, long memory = 16 << 20)
    {
        var m = NewMachine(gas, memory);
        var stopped = false;
        var sw = Stopwatch.StartNew();
        try { body(m); }
        catch (LuaStop) { stopped = true; }
        sw.Stop();
        Assert.True(m.Work <= 64 * (long)m.GasUsed, $"work {m.Work} for {m.GasUsed} gas");
        return (m, stopped, sw.Elapsed);
    }

    [Fact]
    public void Rep_of_an_empty_string_a_huge_number_of_times_costs_one_call()
    {
        var (m, stopped, _) = Worst(m => Assert.Equal("''", Show(Call(m, "rep", V(""), V(1L << 62)))));
        Assert.False(stopped);
        Assert.Equal((ulong)Gas.LibraryCall, m.GasUsed);
        var (m2, _, _) = Worst(m => Assert.Equal("''", Show(Call(m, "rep", V(""), V(long.MaxValue), V("")))));
        Assert.Equal((ulong)Gas.LibraryCall, m2.GasUsed);
    }

    [Fact]
    public void Rep_of_a_huge_result_stops_with_out_of_memory_before_allocating_it()
    {
        var (m, stopped, time) = Worst(m => Call(m, "rep", V("x"), V(1L << 62)));
        Assert.True(stopped);
        Assert.Equal(Stop.OutOfMemory, m.Stopped);
        Assert.True(time < TimeSpan.FromSeconds(1));
        Assert.Equal(0, m.Memory);
        var (m2, stopped2, _) = Worst(m => Call(m, "rep", V("abc"), V(10_000_000), V(",")));
        Assert.True(stopped2);
        Assert.Equal(Stop.OutOfMemory, m2.Stopped);
    }

    [Fact]
    public void Rep_charges_every_byte_it_writes()
    {
        var (m, stopped, _) = Worst(m => Assert.Equal(4_194_303, Call(m, "rep", V("abc"), V(1 << 20), V(","))[0].AsString.Length));
        Assert.False(stopped);
        Assert.True(m.GasUsed >= 4_194_303 / 16);
    }

    [Fact]
    public void Gsub_with_a_thousand_whole_match_references_over_a_long_subject_stops()
    {
        var subject = V(new string('a', 1 << 20));
        var repl = V(Rep("%0", 1000));
        var (_, stopped, time) = Worst(m => Call(m, "gsub", subject, V("."), repl));
        Assert.True(stopped);
        Assert.True(time < TimeSpan.FromSeconds(5), time.ToString());
        var (_, stopped2, _) = Worst(m => Call(m, "gsub", subject, V("a+"), repl));
        Assert.True(stopped2);
    }

    [Fact]
    public void Gsub_with_empty_matches_and_many_references_pays_per_match()
    {
        // Each empty match writes nothing, but the template is still read: every match costs its parts.
        var (m, stopped, time) = Worst(m => Call(m, "gsub", V(new string('b', 1 << 20)), V("a*"), V(Rep("%0", 1000))));
        Assert.True(stopped);
        Assert.Equal(Stop.OutOfGas, m.Stopped);
        Assert.True(time < TimeSpan.FromSeconds(5), time.ToString());
    }

    [Fact]
    public void Gmatch_with_a_caret_pattern_over_a_long_string_pays_per_position()
    {
        var (m, stopped, _) = Worst(m =>
        {
            var it = Call(m, "gmatch", V(new string('a', 1 << 20)), V("^b"))[0].AsFunction;
            Assert.Empty(it.Call(m, []));
            Assert.Empty(it.Call(m, []));
        });
        Assert.False(stopped);
        Assert.True(m.GasUsed >= 2_000_000, m.GasUsed.ToString());
    }

    [Fact]
    public void A_backtracking_bomb_runs_out_of_gas_in_well_under_a_second()
    {
        var (m, stopped, time) = Worst(m => Call(m, "find", V(new string('a', 5000)), V(Rep("a*", 30) + "b")));
        Assert.True(stopped);
        Assert.Equal(Stop.OutOfGas, m.Stopped);
        Assert.True(time < TimeSpan.FromSeconds(2), time.ToString());
    }

    [Theory]
    [InlineData("(a*)(a*)(a*)(a*)(a*)(a*)(a*)(a*)(a*)(a*)b")]
    [InlineData("a-a-a-a-a-a-a-a-a-a-a-a-a-a-b")]
    [InlineData(".-.-.-.-.-b")]
    [InlineData("a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")]
    [InlineData("(a*)%1%1b")]
    public void Other_backtracking_bombs_run_out_of_gas(string pattern)
    {
        var (m, stopped, time) = Worst(m => Call(m, "match", V(new string('a', 5000)), V(pattern)));
        Assert.True(stopped);
        Assert.Equal(Stop.OutOfGas, m.Stopped);
        Assert.True(time < TimeSpan.FromSeconds(5), time.ToString());
    }

    [Fact]
    public void Deep_patterns_fail_with_pattern_too_complex_instead_of_overflowing_the_stack()
    {
        var m = NewMachine();
        var e = Assert.Throws<LuaError>(() => Call(m, "match", V(new string('a', 5000)), V(Rep("a?", 300) + "b")));
        Assert.Equal("pattern too complex", e.Value.ToString());
        Assert.Equal("'" + new string('a', 199) + "'", Run("match", new string('a', 300), Rep("a?", 199)));
    }

    [Fact]
    public void Balanced_matching_over_a_long_unbalanced_subject_pays_per_byte()
    {
        var (m, stopped, _) = Worst(m => Call(m, "find", V(new string('(', 1 << 20)), V("%b()")));
        Assert.True(stopped);
        Assert.Equal(Stop.OutOfGas, m.Stopped);
    }

    [Fact]
    public void A_huge_set_is_compiled_once_and_each_test_is_one_step()
    {
        var set = "[" + new string('b', 100_000) + "a]";
        var (m, stopped, _) = Worst(m => Assert.Equal("1, 4", Show(Call(m, "find", V("aaaa"), V(set + "+")))));
        Assert.False(stopped);
        Assert.True(m.GasUsed < 120_000, m.GasUsed.ToString());
    }

    [Fact]
    public void Format_with_width_99_repeated_pays_for_every_padded_byte()
    {
        var args = new List<Value> { V(Rep("%99d", 7999)) };
        args.AddRange(Enumerable.Repeat(V(1), 7999));
        var (m, stopped, _) = Worst(m => Assert.Equal(7999 * 99, Call(m, "format", [.. args])[0].AsString.Length));
        Assert.False(stopped);
        Assert.True(m.GasUsed >= 7999 * 99 / 16, m.GasUsed.ToString());
    }

    [Fact]
    public void Format_of_huge_floats_with_99_digits_pays_for_the_digit_arithmetic()
    {
        var args = new List<Value> { V(Rep("%99.99f", 2000)) };
        args.AddRange(Enumerable.Repeat(V(1e308), 2000));
        var (m, stopped, _) = Worst(m => Call(m, "format", [.. args]));
        Assert.False(stopped);
        // About 400 digits of a 1024-bit number each: well over 1,000 gas per conversion.
        Assert.True(m.GasUsed >= 2000 * 1000, m.GasUsed.ToString());
    }

    [Fact]
    public void Byte_with_a_huge_range_raises_string_slice_too_long()
    {
        var s = V(new string('a', 100_000));
        var (m, _, _) = Worst(m =>
        {
            var e = Assert.Throws<LuaError>(() => Call(m, "byte", s, V(1), V(-1)));
            Assert.Equal("string slice too long", e.Value.ToString());
            Assert.Equal(Machine.MaxValues, Call(m, "byte", s, V(1), V(Machine.MaxValues)).Length);
        });
        Assert.True(m.GasUsed >= Machine.MaxValues, m.GasUsed.ToString());
    }

    [Fact]
    public void Char_with_thousands_of_arguments_pays_per_byte()
    {
        var (_, stopped, _) = Worst(m => Assert.Equal(Machine.MaxValues, Call(m, "char", [.. Enumerable.Repeat(V(65), Machine.MaxValues)])[0].AsString.Length));
        Assert.False(stopped);
    }

    [Theory]
    [InlineData("upper")]
    [InlineData("lower")]
    [InlineData("reverse")]
    public void Case_mapping_and_reversal_of_multi_megabyte_strings_pay_per_byte(string fn)
    {
        var s = V(new string('a', 4 << 20));
        var (m, stopped, _) = Worst(m => Assert.Equal(4 << 20, Call(m, fn, s)[0].AsString.Length));
        Assert.False(stopped);
        Assert.True(m.GasUsed >= (4 << 20) / 16, m.GasUsed.ToString());
    }

    [Fact]
    public void Sub_of_a_multi_megabyte_string_pays_for_the_copy()
    {
        var (m, _, _) = Worst(m => Assert.Equal((4 << 20) - 2, Call(m, "sub", V(new string('a', 4 << 20)), V(2), V(-2))[0].AsString.Length));
        Assert.True(m.GasUsed >= ((4 << 20) - 2) / 16, m.GasUsed.ToString());
    }

    [Fact]
    public void Plain_find_worst_case_is_linear()
    {
        var hay = V(new string('a', 1 << 20));
        var needles = new[]
        {
            new string('a', 1 << 19) + "b",
            "aaab",
            new string('a', 1000) + "b" + new string('a', 1000),
        };
        foreach (var needle in needles)
        {
            var (m, stopped, time) = Worst(m => Assert.Equal("nil", Show(Call(m, "find", hay, V(needle), V(1), Value.True))));
            Assert.False(stopped);
            // Linear: a few units per subject and needle byte, never subject × needle.
            Assert.True(m.Work <= 4L * ((1 << 20) + needle.Length), m.Work.ToString());
            Assert.True(time < TimeSpan.FromSeconds(1), time.ToString());
        }
        Assert.Equal("5, 8", Run("find", "abababcab", "abca", 1, true));
        Assert.Equal("4, 6", Run("find", "aaaaab", "aab", 2, true));
        Assert.Equal("nil", Run("find", "aaaaab", "aab", 5, true));
    }

    [Fact]
    public void Gmatch_over_many_matches_pays_for_each_capture()
    {
        var (m, stopped, _) = Worst(m =>
        {
            var it = Call(m, "gmatch", V(Rep("ab cd ", 200_000)), V("%f[%w]%w+"))[0].AsFunction;
            while (it.Call(m, []).Length > 0) { }
        }, gas: 100_000_000);
        // 400,000 two-byte strings: either all made, or the memory limit reached first.
        Assert.True(!stopped || m.Stopped == Stop.OutOfMemory);
        Assert.True(m.GasUsed >= 400_000 || stopped, m.GasUsed.ToString());
    }
}
