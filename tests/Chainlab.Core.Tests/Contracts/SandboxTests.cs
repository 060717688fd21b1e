using Chainlab.Contracts;
using Chainlab.Contracts.Vm;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Contracts;

/// <summary>The Lua sandbox on its own: limits, determinism, the boundary, the host API.</summary>
public sealed class SandboxTests
{
    private static readonly ContractSpec Limits = new();
    private static readonly Address Contract = ContractState.ContractAddress(Address.Zero, 1);
    private static readonly Address Caller = Address.FromPublicKey(new byte[32]);

    internal static (CallResult Result, LuaExecution Ex, StateOverlay State) Run(string code, string fn, ulong gas = 5_000_000,
        StateOverlay? state = null, ContractSpec? limits = null, params ContractValue[] args)
    {
        state ??= new StateOverlay(StateSnapshot.Empty);
        if (ContractState.CodeHashOf(state, Contract) is null) ContractState.Install(state, Contract, System.Text.Encoding.UTF8.GetBytes(code));
        var ex = new LuaExecution(limits ?? Limits, gas, Caller, 7, 1234, readOnly: false);
        var r = ex.Run(state, new ContractCall(Contract, Caller, 0, fn, args));
        return (r, ex, state);
    }

    [Fact]
    public void A_function_returns_a_value_and_uses_gas()
    {
        var (r, ex, _) = Run("function f(a, b) return a + b end", "f", args: [ContractValue.Of(2), ContractValue.Of(40)]);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of(42), r.Value);
        Assert.True(ex.GasUsed > Gas.Frame);
    }

    [Fact]
    public void An_infinite_loop_runs_out_of_gas()
    {
        var (r, ex, _) = Run("function f() while true do end end", "f", gas: 1_000_000);
        Assert.False(r.Ok);
        Assert.StartsWith("out of gas", r.Error);
        Assert.Equal(Stop.OutOfGas, ex.Stopped);
    }

    [Fact]
    public void An_infinite_loop_inside_pcall_still_runs_out_of_gas()
    {
        var (r, _, _) = Run("function f() for i = 1, 10 do pcall(function() while true do end end) end return 1 end", "f", gas: 1_000_000);
        Assert.False(r.Ok);
        Assert.StartsWith("out of gas", r.Error);
    }

    [Fact]
    public void Deep_recursion_stops_with_an_error()
    {
        var (r, _, _) = Run("local function g(n) return 1 + g(n + 1) end function f() return g(1) end", "f", gas: 50_000_000);
        Assert.False(r.Ok);
        Assert.Matches("stack overflow|out of memory|out of gas", r.Error!);
    }

    [Theory]
    [InlineData("function f() return string.rep('x', 1 << 30) end")]
    [InlineData("function f() local s = 'x' while true do s = s .. s end end")]
    [InlineData("function f() local t = {} for i = 1, 1e9 do t[i] = i end end")]
    [InlineData("function f() local t = {} while true do t[#t + 1] = {} end end")]
    public void A_memory_bomb_stops_at_the_memory_cap(string code)
    {
        var (r, ex, _) = Run(code, "f", gas: 200_000_000);
        Assert.False(r.Ok);
        Assert.Matches("out of memory|out of gas", r.Error!);
        Assert.True(ex.PeakMemory <= Limits.MemoryBytes + 1024 * 1024, $"peak {ex.PeakMemory}");
    }

    [Fact]
    public void A_memory_error_caught_by_pcall_still_fails_the_call()
    {
        var (r, _, _) = Run("function f() pcall(string.rep, 'x', 1 << 30) return 'survived' end", "f", gas: 200_000_000);
        Assert.False(r.Ok);
        Assert.StartsWith("out of memory", r.Error);
    }

    [Fact]
    public void A_backtracking_pattern_is_charged_its_worst_case_and_runs_out_of_gas()
    {
        var (r, _, _) = Run("function f() return string.find(string.rep('a', 5000), string.rep('a*', 30) .. 'b') end", "f", gas: 10_000_000);
        Assert.False(r.Ok);
        Assert.StartsWith("out of gas", r.Error);
    }

    [Fact]
    public void Simple_patterns_work_within_gas()
    {
        var (r, _, _) = Run("function f() local k, v = string.match('name=alice', '^(%w+)=(%w+)$') return k .. ':' .. v end", "f");
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of("name:alice"), r.Value);
    }

    [Theory]
    [InlineData("function f() return os.time() end", "os")]
    [InlineData("function f() return io.open('/etc/passwd') end", "io")]
    [InlineData("function f() return load('return 1')() end", "load")]
    [InlineData("function f() return require('os') end", "require")]
    [InlineData("function f() return debug.getinfo(1) end", "debug")]
    [InlineData("function f() return string.dump(f) end", "dump")]
    [InlineData("function f() return collectgarbage('count') end", "collectgarbage")]
    [InlineData("function f() return setmetatable({}, {}) end", "setmetatable")]
    [InlineData("function f() return coroutine.create(f) end", "coroutine")]
    [InlineData("function f() return math.sqrt(2) end", "sqrt")]
    [InlineData("function f() print('x') end", "print")]
    public void Libraries_outside_the_sandbox_are_not_reachable(string code, string name)
    {
        var (r, _, _) = Run(code, "f");
        Assert.False(r.Ok);
        Assert.Contains("nil value", r.Error);
        Assert.Contains(name, r.Error);
    }

    [Fact]
    public void Tostring_and_format_never_show_addresses()
    {
        var (r, _, _) = Run("function f() return tostring({}) .. ' ' .. tostring(f) .. ' ' .. string.format('%s', {}) end", "f");
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of("table function table"), r.Value);
        var (p, _, _) = Run("function f() return string.format('%p', {}) end", "f");
        Assert.False(p.Ok);
    }

    [Fact]
    public void Pairs_visits_keys_in_a_defined_order()
    {
        var (r, _, _) = Run("""
            function f()
              local t = { zeta = 1, alpha = 2, [10] = 3, [2] = 4, [true] = 5, beta = 6, [-1] = 7 }
              local out = {}
              for k, v in pairs(t) do out[#out + 1] = tostring(k) .. '=' .. v end
              return table.concat(out, ',')
            end
            """, "f");
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of("-1=7,2=4,10=3,alpha=2,beta=6,zeta=1,true=5"), r.Value);
    }

    [Fact]
    public void Floats_do_not_cross_the_boundary()
    {
        var (ret, _, _) = Run("function f() return 1.5 end", "f");
        Assert.False(ret.Ok);
        Assert.Contains("float", ret.Error);
        var (stored, _, _) = Run("function f() storage.set('k', 0.5) end", "f");
        Assert.False(stored.Ok);
        Assert.Contains("float", stored.Error);
    }

    [Fact]
    public void Checked_arithmetic_stops_on_overflow()
    {
        var (r, _, _) = Run("function f() return math.add(math.maxinteger, 1) end", "f");
        Assert.False(r.Ok);
        Assert.Contains("overflow", r.Error);
        var (ok, _, _) = Run("function f() return math.mul(3, -7) end", "f");
        Assert.Equal(ContractValue.Of(-21), ok.Value);
    }

    [Fact]
    public void Storage_written_by_a_call_is_read_by_the_next_and_lost_when_it_fails()
    {
        const string code = """
            function put(k, v) storage.set(k, v) end
            function get(k) return storage.get(k) end
            function put_then_fail(k, v) storage.set(k, v) error('refused') end
            """;
        var (w, _, state) = Run(code, "put", args: [ContractValue.Of("a"), ContractValue.Of(5)]);
        Assert.True(w.Ok, w.Error);
        Assert.Equal(ContractValue.Of(5), Run(code, "get", state: state, args: [ContractValue.Of("a")]).Result.Value);
        var (f, _, _) = Run(code, "put_then_fail", state: state, args: [ContractValue.Of("a"), ContractValue.Of(9)]);
        Assert.False(f.Ok);
        Assert.Contains("refused", f.Error);
        Assert.Equal(ContractValue.Of(5), Run(code, "get", state: state, args: [ContractValue.Of("a")]).Result.Value);
    }

    [Fact]
    public void A_huge_return_value_is_refused_with_its_size()
    {
        var (r, _, _) = Run("function f() return string.rep('x', 100000) end", "f");
        Assert.False(r.Ok);
        Assert.Contains("return value is", r.Error);
    }

    [Fact]
    public void Malformed_code_reports_the_syntax_error()
    {
        var (r, _, _) = Run("function f( return end", "f");
        Assert.False(r.Ok);
        Assert.Contains("contract:1:", r.Error);
    }

    [Fact]
    public void Private_and_missing_functions_cannot_be_invoked()
    {
        Assert.Contains("no public function", Run("function _p() end", "_p").Result.Error);
        Assert.Contains("no public function", Run("function f() end", "g").Result.Error);
        Assert.Contains("no public function", Run("function init() end", "init").Result.Error);
    }

    [Fact]
    public void The_context_names_caller_self_height_and_time()
    {
        var (r, _, _) = Run("function f() return { chain.caller, chain.self, chain.height, chain.time } end", "f");
        Assert.True(r.Ok, r.Error);
        var t = Assert.IsType<TableValue>(r.Value);
        Assert.Equal(ContractValue.Of(Caller.ToString()), t.Entries[0].Value);
        Assert.Equal(ContractValue.Of(Contract.ToString()), t.Entries[1].Value);
        Assert.Equal(ContractValue.Of(7), t.Entries[2].Value);
        Assert.Equal(ContractValue.Of(1234), t.Entries[3].Value);
    }

    [Fact]
    public void The_same_call_uses_the_same_gas_every_time()
    {
        const string code = "function f() local t = {} for i = 1, 500 do t['k' .. i] = i end local s = 0 for k, v in pairs(t) do s = s + v end return s end";
        var gas = Enumerable.Range(0, 5).Select(_ => Run(code, "f").Ex.GasUsed).Distinct().ToList();
        Assert.Single(gas);
    }

    [Fact]
    public void Memory_of_finished_calls_is_given_back_so_many_calls_fit_under_a_small_cap()
    {
        const string code = """
            function leaf(i) local t = {} for j = 1, 50 do t[j] = ('x'):rep(100) .. j end return i end
            function many(n) local s = 0 for i = 1, n do s = s + chain.call(chain.self, 'leaf', i) end return s end
            """;
        var limits = new ContractSpec { MemoryBytes = 512 * 1024 };
        var (r, ex, _) = Run(code, "many", gas: 50_000_000, limits: limits, args: [ContractValue.Of(300)]);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(ContractValue.Of(300 * 301 / 2), r.Value);
        Assert.True(ex.PeakMemory < limits.MemoryBytes);
        var (again, ex2, _) = Run(code, "many", gas: 50_000_000, limits: limits, args: [ContractValue.Of(300)]);
        Assert.Equal(ex.GasUsed, ex2.GasUsed);
        Assert.Equal(ex.PeakMemory, ex2.PeakMemory);
    }

    [Fact]
    public void Sha256_and_ed25519_verify_give_the_standard_answers()
    {
        var key = KeyPair.FromRandom(new Random(5));
        var sig = Convert.ToHexStringLower(key.Sign("pay 5"u8.ToArray()));
        var pub = Convert.ToHexStringLower(key.PublicKey);
        var code = $$"""
            function f()
              return { chain.sha256("abc"), chain.verify("{{pub}}", "pay 5", "{{sig}}"), chain.verify("{{pub}}", "pay 6", "{{sig}}") }
            end
            """;
        var (r, _, _) = Run(code, "f");
        Assert.True(r.Ok, r.Error);
        var t = Assert.IsType<TableValue>(r.Value);
        Assert.Equal(ContractValue.Of("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), t.Entries[0].Value);
        Assert.Equal(ContractValue.True, t.Entries[1].Value);
        Assert.Equal(ContractValue.False, t.Entries[2].Value);
    }

    [Fact]
    public void A_failed_inner_call_is_undone_while_the_caller_goes_on()
    {
        const string code = """
            function inner(v) storage.set('inner', v) chain.emit('Inner', v) error('inner refuses') end
            function outer()
              storage.set('outer', 1)
              local ok, err = pcall(chain.call, chain.self, 'inner', 9)
              return { ok = ok, err = err, inner = storage.get('inner'), outer = storage.get('outer') }
            end
            """;
        var (r, ex, state) = Run(code, "outer");
        Assert.True(r.Ok, r.Error);
        var t = Assert.IsType<TableValue>(r.Value);
        Assert.Equal(ContractValue.False, t["ok"]);
        Assert.Contains("inner refuses", ((StringValue)t["err"]).Text);
        Assert.Equal(ContractValue.Nil, t["inner"]);
        Assert.Equal(ContractValue.Of(1), t["outer"]);
        Assert.Empty(ex.Events);
        Assert.Null(ContractState.Get(state, Contract, "inner"u8));
        Assert.NotNull(ContractState.Get(state, Contract, "outer"u8));
    }
}
