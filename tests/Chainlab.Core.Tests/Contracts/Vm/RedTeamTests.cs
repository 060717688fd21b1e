using Chainlab.Contracts;
using Chainlab.Contracts.Vm;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>
/// Each finding of the red team that read the managed VM (2026-12-02), as a test that failed before its fix:
/// process crashes from unbounded .NET recursion, jumps into a local's scope, uncharged work and memory.
/// </summary>
public sealed class RedTeamTests
{
    private static ContractRunner.Record Run(string code, ulong gas = 2_000_000) =>
        ContractRunner.Run("t", System.Text.Encoding.UTF8.GetBytes(code), "main", [], gas);

    [Fact]
    public void A_chain_of_pcalls_counts_as_call_depth_and_stops_with_stack_overflow()
    {
        // Each pcall calls the next; before, library calls were no call level and the .NET stack overflowed
        // (the process died). Now the pcall 200 levels down meets "stack overflow" and the chain unwinds.
        var r = Run("""
            local t = {} for i = 1, 7990 do t[i] = pcall end
            local depth = 0
            local function f() depth = depth + 1 if depth < 150 then pcall(table.unpack(t)) end end
            t[#t + 1] = f
            local function deepest(ok, x, ...) if select('#', ...) == 0 then return x end return deepest(...) end
            function main()
              f()
              return depth .. " " .. tostring(deepest(pcall(table.unpack(t))))
            end
            """, gas: 20_000_000);
        Assert.True(r.Ok, r.Error);
        Assert.Contains("stack overflow", ((StringValue)ContractValue.Decode(r.Result)).Text);
    }

    [Fact]
    public void Functions_nested_past_the_limit_are_a_syntax_error_not_a_crash_of_the_compiler()
    {
        var code = "function main() return 1 end\nlocal a = " + string.Concat(Enumerable.Repeat(new string('~', 95) + "function() return ", 300)) + "1" + string.Concat(Enumerable.Repeat(" end", 300));
        var r = Run(code);
        Assert.False(r.Ok);
        Assert.Contains("too many syntax levels", r.Error);
        var plain = string.Concat(Enumerable.Repeat("function a() ", 3000)) + string.Concat(Enumerable.Repeat("end ", 3000)) + " function main() end";
        Assert.Contains("too many syntax levels", Run(plain).Error);
    }

    [Theory]
    [InlineData("function main() goto L  local x = 1  ::L::  local f = function() return x end  return f() end")]
    [InlineData("function main() do local a = 42 end goto L local x = 1 ::L:: return x end")]
    [InlineData("function main() local i = 0 repeat i = i + 1 if i < 3 then goto cont end local x = i ::cont:: until x end")]
    public void A_goto_into_the_scope_of_a_local_is_a_syntax_error(string code)
    {
        var r = Run(code);
        Assert.False(r.Ok);
        Assert.Contains("jumps into the scope of local", r.Error);
    }

    [Fact]
    public void A_goto_to_a_label_at_the_end_of_its_block_may_skip_locals()
    {
        var r = Run("function main() local s = 0 for i = 1, 5 do if i % 2 == 0 then goto continue end local sq = i * i s = s + sq ::continue:: end return s end");
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of(35), ContractValue.Decode(r.Result));
    }

    [Fact]
    public void Looking_up_a_long_string_key_is_charged_for_its_bytes()
    {
        static ulong Gas(int keyBytes) => Run($$"""
            function main()
              local a, b = string.rep('x', {{keyBytes}}), string.rep('x', {{keyBytes - 1}}) .. 'x'
              local t = { [a] = 1 }
              local s = 0
              for i = 1, 100 do s = s + t[b] end
              return s
            end
            """, gas: 50_000_000).GasUsed;
        // 100 lookups of a 64 KiB key compare 6.4 MB: at least 400,000 gas more than with a short key.
        Assert.True(Gas(65_536) - Gas(40) >= 100 * 65_536 / 16, $"{Gas(65_536)} vs {Gas(40)}");
    }

    [Fact]
    public void An_error_that_carries_megabytes_is_not_copied_into_dotnet_text_each_time_it_is_raised()
    {
        var e = new LuaError(Value.Str(new LuaString(new byte[4 << 20])));
        Assert.True(e.Message.Length <= 401);
    }

    [Fact]
    public void Captured_locals_and_loop_iterators_are_charged_as_memory()
    {
        var closures = Run("function main() local fs = {} for i = 1, 10000 do local x = i fs[i] = function() return x end end return #fs end", gas: 20_000_000);
        var plain = Run("function main() local fs = {} for i = 1, 10000 do fs[i] = i end return #fs end", gas: 20_000_000);
        Assert.True(closures.Ok && plain.Ok);
        // A closure (48 + 8 per upvalue) and its cell (32) for each of 10,000 iterations.
        Assert.True(closures.GasUsed - plain.GasUsed >= 10_000 * (48 + 8 + 32) / 16, $"{closures.GasUsed} vs {plain.GasUsed}");
        var loops = Run("function main() local e, keep = {}, {} for i = 1, 100000 do keep[i] = pairs(e) end end", gas: 20_000_000);
        Assert.StartsWith("out of memory", loops.Error);
    }

    [Fact]
    public void The_value_limit_counts_each_value_once()
    {
        var r = Run("function main() return select('#', table.unpack({}, 1, 7999)) end");
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of(7999), ContractValue.Decode(r.Result));
    }

    [Fact]
    public void A_gsub_buffer_counts_as_memory_while_its_replacement_function_runs()
    {
        // Each level's 8.5 MB output buffer was reserved but not counted: 36 nested levels held ~500 MB.
        var r = Run("""
            local R = string.rep("x", 65536)
            local src = string.rep("a", 130)
            local function level(d)
              local i = 0
              return (string.gsub(src, "a", function()
                i = i + 1
                if i == #src then if d < 36 then level(d + 1) else error("deep") end end
                return R
              end))
            end
            function main() local ok, e = pcall(level, 1) return ok end
            """, gas: 20_000_000);
        Assert.False(r.Ok);
        Assert.StartsWith("out of memory", r.Error);
    }

    [Fact]
    public void Unwinding_an_error_out_of_deeply_nested_blocks_is_paid_per_unit_of_nesting()
    {
        static string Nested(int blocks, string inner) => string.Concat(Enumerable.Repeat("do ", blocks)) + inner + string.Concat(Enumerable.Repeat(" end", blocks));
        ulong Gas(int blocks) => Run($"local function f() {Nested(blocks, "error('x')")} end function main() for i = 1, 100 do pcall(f) end end", gas: 50_000_000).GasUsed;
        // 100 errors, each unwinding 180 more levels of nesting: at least 20 gas per level each time.
        Assert.True(Gas(180) - Gas(0) >= 100 * 180 * 20, $"{Gas(180)} vs {Gas(0)}");
    }
}
