using Chainlab.Contracts;
using Chainlab.Contracts.Vm;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>The Lua 5.4 language as the managed VM runs it: each program's main() result is compared with what reference Lua gives.</summary>
public sealed class LanguageTests
{
    internal static ContractRunner.Record Run(string code, ulong gas = 10_000_000) =>
        ContractRunner.Run("t", System.Text.Encoding.UTF8.GetBytes(code), "main", [], gas);

    internal static string Result(string code)
    {
        var r = Run(code);
        Assert.True(r.Ok, r.Error);
        var v = ContractValue.Decode(r.Result);
        return v switch
        {
            StringValue s => s.Text ?? "",
            IntValue i => i.Value.ToString(),
            BoolValue b => b.Value ? "true" : "false",
            NilValue => "nil",
            _ => v.ToJson()?.ToJsonString() ?? "",
        };
    }

    internal static string Error(string code)
    {
        var r = Run(code);
        Assert.False(r.Ok, "expected an error");
        return r.Error!;
    }

    [Theory]
    [InlineData("return 1 + 2 * 3 - 4 // 3", "6")]
    [InlineData("return tostring(7 / 2)", "3.5")]
    [InlineData("return tostring(2^10)", "1024.0")]
    [InlineData("return -7 // 2", "-4")]
    [InlineData("return -7 % 3", "2")]
    [InlineData("return 7 % -3", "-2")]
    [InlineData("return tostring(-7.5 % 2)", "0.5")]
    [InlineData("return math.maxinteger + 1 == math.mininteger", "true")]
    [InlineData("return 1 == 1.0", "true")]
    [InlineData("return tostring(1e15)", "1e+15")]
    [InlineData("return tostring(123456789012.0)", "123456789012.0")]
    [InlineData("return tostring(0.1)", "0.1")]
    [InlineData("return tostring(1/3)", "0.33333333333333")]
    [InlineData("return tostring(0/0) .. tostring(1/0) .. tostring(-1/0)", "nan" + "inf" + "-inf")]
    [InlineData("return 3 & 5 | 8 ~ 1", "9")]
    [InlineData("return 1 << 62 >> 61", "2")]
    [InlineData("return ~0", "-1")]
    [InlineData("return '10' + 5", "15")]
    [InlineData("return tostring('3.0' + 1)", "4.0")]
    [InlineData("return 10 .. 20", "1020")]
    [InlineData("return 'a' < 'b' and 'ab' < 'b' and not ('b' < 'a')", "true")]
    [InlineData("return 1 < 1.5 and 2 > 1.5 and math.maxinteger < 2^63 and math.mininteger <= -2^63", "true")]
    [InlineData("return 0x10 + 0xff", "271")]
    [InlineData("return tostring(0x1p4)", "16.0")]
    [InlineData("return #'hello' + #{1, 2, 3}", "8")]
    [InlineData("return 'a\\tb\\x41\\65\\u{48}\\z   c'", "a\tbAAHc")]
    [InlineData("return [[\nline]] .. [==[x]]y]==]", "linex]]y")]
    public void Expressions_give_the_values_of_reference_Lua(string body, string expected) =>
        Assert.Equal(expected, Result($"function main() {body} end"));

    [Fact]
    public void Closures_capture_each_iteration_their_own_variable()
    {
        Assert.Equal("1,2,3", Result("""
            function main()
              local fs = {}
              for i = 1, 3 do fs[i] = function() return i end end
              local out = {}
              for _, f in ipairs(fs) do out[#out + 1] = f() end
              return table.concat(out, ",")
            end
            """));
    }

    [Fact]
    public void Counters_share_their_upvalue_and_nested_closures_reach_outer_locals()
    {
        Assert.Equal("3 13", Result("""
            local function counter()
              local n = 0
              return function() n = n + 1; return n end, function() return n end
            end
            function main()
              local inc, get = counter()
              inc(); inc(); inc()
              local base = 10
              local function outer() return function() return base + get() end end
              return get() .. " " .. outer()()
            end
            """));
    }

    [Fact]
    public void Varargs_select_and_multiple_results_behave_as_in_Lua()
    {
        Assert.Equal("3 b 3 nil", Result("""
            local function pack(...) return select('#', ...), ... end
            local function two() return 1, 2 end
            function main()
              local n, a, b = pack('a', 'b', 'c')
              local t = { two(), two() }
              local x, y, z = (two())
              return n .. " " .. b .. " " .. #t .. " " .. tostring(y)
            end
            """));
    }

    [Fact]
    public void Multiple_assignment_evaluates_before_it_assigns()
    {
        Assert.Equal("2 1 x", Result("""
            function main()
              local a, b = 1, 2
              a, b = b, a
              local t = {}
              local i = 1
              i, t[i] = i + 1, 'x'
              return a .. " " .. b .. " " .. t[1]
            end
            """));
    }

    [Fact]
    public void Methods_on_tables_and_strings_work()
    {
        Assert.Equal("HELLO 6", Result("""
            local Account = {}
            function Account.new(b) return { balance = b, deposit = Account.deposit } end
            function Account:deposit(v) self.balance = self.balance + v end
            function main()
              local a = Account.new(1)
              a:deposit(5)
              return ("hello"):upper() .. " " .. a.balance
            end
            """));
    }

    [Fact]
    public void Goto_continue_repeat_until_and_while_break_work()
    {
        Assert.Equal("1,3,5|10|4", Result("""
            function main()
              local odd = {}
              for i = 1, 6 do
                if i % 2 == 0 then goto continue end
                odd[#odd + 1] = i
                ::continue::
              end
              local n = 0
              repeat local k = n; n = n + 1 until k >= 9
              local w = 0
              while true do w = w + 1; if w == 4 then break end end
              return table.concat(odd, ",") .. "|" .. n .. "|" .. w
            end
            """));
    }

    [Fact]
    public void Numeric_for_loops_follow_the_5_4_rules()
    {
        Assert.Equal("10 0 3 2.5", Result("""
            function main()
              local s = 0
              for i = 1, 4 do s = s + i end
              local n = 0
              for i = math.maxinteger - 1, math.maxinteger, 5 do n = n + 1 end
              local c = 0
              for i = 3, 1, -1 do c = c + 1 end
              local last
              for x = 1, 3, 0.75 do last = x end
              return s .. " " .. (n - 1) .. " " .. c .. " " .. tostring(last)
            end
            """));
    }

    [Fact]
    public void Errors_name_the_line_and_what_was_nil()
    {
        Assert.Equal("contract:3: attempt to index a nil value (local 't')", Error("""
            function main()
              local t
              return t.x
            end
            """));
        Assert.Equal("contract:1: attempt to call a nil value (global 'nope')", Error("function main() return nope() end"));
        Assert.Equal("contract:1: attempt to perform arithmetic on a table value (field 'x')", Error("function main() local t = {x = {}} return t.x + 1 end"));
        Assert.Equal("contract:1: attempt to compare number with nil", Error("function main() return 1 < nil end"));
        Assert.Equal("contract:1: attempt to concatenate a boolean value", Error("function main() return 'a' .. true end"));
        Assert.Equal("contract:1: attempt to perform 'n//0'", Error("function main() return 1 // 0 end"));
    }

    [Fact]
    public void Pcall_catches_errors_with_levels_and_any_value()
    {
        Assert.Equal("false contract:2: boom|false contract:5: up|false 42|true 7", Result("""
            local function f() 
              error("boom")
            end
            local function g() error("up", 2) end
            local function h() g() end
            function main()
              local a, b = pcall(f)
              local c, d = pcall(h)
              local e, x = pcall(error, 42)
              local ok, v = pcall(function(a) return a end, 7)
              return tostring(a) .. " " .. b .. "|" .. tostring(c) .. " " .. d .. "|" .. tostring(e) .. " " .. x .. "|" .. tostring(ok) .. " " .. v
            end
            """));
    }

    [Fact]
    public void Syntax_errors_name_the_line_and_the_token()
    {
        Assert.StartsWith("contract:3: ", Error("function main()\n  return 1 +\nend"));
        Assert.Contains("'end' expected", Error("function main() if true then return 1"));
        Assert.Contains("no visible label 'nowhere'", Error("function main() goto nowhere end"));
        Assert.Contains("break outside a loop", Error("function main() break end"));
        Assert.Contains("attempt to assign to const variable 'k'", Error("function main() local k <const> = 1; k = 2 end"));
        Assert.Contains("to-be-closed variables are not available", Error("function main() local k <close> = nil end"));
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_a_syntax_error_not_a_crash()
    {
        var deep = "function main() return " + new string('(', 5000) + "1" + new string(')', 5000) + " end";
        Assert.Contains("syntax levels", Error(deep));
        var chain = "function main() return 1" + string.Concat(Enumerable.Repeat(" + 1", 5000)) + " end";
        Assert.Contains("too complex", Error(chain));
        var blocks = "function main() " + string.Concat(Enumerable.Repeat("do ", 5000)) + string.Concat(Enumerable.Repeat("end ", 5000)) + " end";
        Assert.Contains("syntax levels", Error(blocks));
    }

    [Fact]
    public void Library_tables_cannot_be_changed_by_a_contract()
    {
        Assert.Contains("attempt to modify a library table", Error("function main() string.rep = nil end"));
        Assert.Contains("attempt to modify a library table", Error("function main() chain.caller = 'x' end"));
    }

    [Fact]
    public void Globals_a_contract_sets_are_its_own_and_shadow_the_library()
    {
        Assert.Equal("mine", Result("function main() tostring = function() return 'mine' end return tostring(1) end"));
    }

    [Fact]
    public void Integer_exponents_work_and_others_are_refused_with_a_reason()
    {
        Assert.Equal("0.125", Result("function main() return tostring(2 ^ -3) end"));
        Assert.Contains("only integer exponents", Error("function main() return 2 ^ 0.5 end"));
    }
}
