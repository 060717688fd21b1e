using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>
/// Hostile contracts on a real node: each gets a receipt with a clear error, the node keeps producing, and a
/// second node that imports the same blocks reaches the same state root.
/// </summary>
public sealed class HostileContractTests
{
    public static readonly TheoryData<string, string, string> Cases = new()
    {
        { "infinite loop", "function run() while true do end end", "out of gas" },
        { "deep recursion", "local function r(n) return 1 + r(n + 1) end function run() return r(1) end", "stack overflow|out of memory|out of gas" },
        { "table memory bomb", "function run() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end end", "out of memory|out of gas" },
        { "string.rep memory bomb", "function run() return string.rep('x', 1 << 30) end", "out of memory" },
        { "pattern backtracking bomb", "function run() return string.find(string.rep('a', 4000), string.rep('a*', 25) .. 'b') end", "out of gas" },
        { "huge return value", "function run() return string.rep('y', 200000) end", "return value is" },
        { "storage spam", "function run() for i = 1, 1e9 do storage.set('k' .. i, string.rep('z', 1000)) end end", "out of gas" },
        { "error after writes", "function run() storage.set('a', 1) chain.emit('E', 1) error('changed my mind') end", "changed my mind" },
        { "calling itself without end", "function run() return chain.call(chain.self, 'run') end", "call depth limit" },
        { "floats in storage", "function run() storage.set('f', 0.5) end", "float" },
        { "float return value", "function run() return { price = 1 / 3 } end", "float" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_contract_fails_with_a_clear_error_and_the_chain_goes_on(string name, string code, string error)
    {
        await using var n = await ContractNode.StartAsync();
        var (contract, deployed) = await n.DeployAsync(0, code);
        Assert.True(deployed["success"]!.GetValue<bool>(), $"{name}: {deployed.ToJsonString()}");
        var receipt = await n.InvokeAsync(0, contract, "run", gas: 20_000_000);
        Assert.False(receipt["success"]!.GetValue<bool>(), $"{name}: {receipt.ToJsonString()}");
        Assert.Matches(error, receipt["error"]!.GetValue<string>());
        Assert.True(receipt["feePaid"]!.GetValue<ulong>() > 0);
        Assert.Empty(receipt["events"]!.AsArray());
        // Nothing the failed call wrote remains.
        var shown = await n.Node.GetJson($"/api/v1/contracts/{contract}");
        Assert.Empty(shown["storage"]!.AsArray());
        // The node goes on: a plain transfer is included in the next block.
        var t = Build.Transfer(n.Key(1), n.Key(2).Address, 5, 0);
        await n.SubmitAsync(t);
        var (block, _) = await n.Node.ProduceAsync();
        Assert.Single(block!.Transactions);
    }

    [Theory]
    [InlineData("function run( return end", "contract:1:")]
    [InlineData("\u001bLua binary", "precompiled")]
    public async Task Malformed_code_gets_its_error_in_the_receipt_or_at_admission(string code, string error)
    {
        await using var n = await ContractNode.StartAsync();
        var tx = ContractTx.Deploy(n.Key(0), 0, code);
        var resp = await n.Node.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) });
        var body = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode) { Assert.Contains(error, body); return; }
        await n.Node.ProduceAsync();
        var receipt = await n.ReceiptAsync(tx.Hash.ToString());
        Assert.False(receipt["success"]!.GetValue<bool>());
        Assert.Contains(error, receipt["error"]!.GetValue<string>());
        Assert.Null(receipt["contractAddress"]);
    }

    [Fact]
    public async Task Code_over_the_size_limit_is_refused_at_admission_with_its_size()
    {
        await using var n = await ContractNode.StartAsync();
        var code = "-- " + new string('x', n.Node.Spec.Contracts.CodeBytes);
        var tx = ContractTx.Deploy(n.Key(0), 0, code, gas: 5_000_000);
        var resp = await n.Node.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) });
        Assert.Equal(413, (int)resp.StatusCode);
        Assert.Contains("more than the limit", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_second_node_importing_the_blocks_of_every_hostile_run_reaches_the_same_state_root()
    {
        await using var a = await ContractNode.StartAsync();
        await using var b = await ContractNode.StartAsync();
        foreach (var c in Cases)
        {
            var (contract, _) = await a.DeployAsync(0, (string)c[1]);
            await a.InvokeAsync(1, contract, "run", gas: 20_000_000);
        }
        var head = a.Node.Node.Chain.Head;
        b.Node.Time.SetTo(a.Node.Time.GetUtcNow());
        for (ulong h = 1; h <= head.Height; h++)
        {
            var raw = a.Node.Node.Chain.Blocks.RawBlockByHeight(h)!;
            var content = new ByteArrayContent(raw);
            content.Headers.ContentType = new("application/octet-stream");
            var resp = await b.Node.Http.PostAsync("/api/v1/blocks", content);
            Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
        }
        Assert.Equal(head.Hash, b.Node.Node.Chain.Head.Hash);
        Assert.Equal(head.StateRoot, b.Node.Node.Chain.Head.StateRoot);
    }

    [Fact]
    public async Task A_storage_value_comes_with_a_proof_against_the_state_root()
    {
        await using var n = await ContractNode.StartAsync();
        var (token, _) = await n.DeployAsync(0, ContractNode.Example("token.lua"), """["Lab Coin", "LAB", 1000]""");
        var r = await n.Node.GetJson($"/api/v1/contracts/{token}/storage/supply?proof=true");
        Assert.Equal(1000, r["value"]!.GetValue<long>());
        var p = r["proof"]!;
        var entry = Account.Decode(Convert.FromHexString(r["entry"]!.GetValue<string>()));
        Assert.Equal(ContractValue.Of(1000), ContractValue.Decode(ContractState.AsSlot(entry.Data)!.Value.Value));
        var proof = new StateProof(p["siblings"]!.AsArray().Select(s => Hash.Parse(s!.GetValue<string>())).ToList(),
            Hash.Parse(p["leafKey"]!.GetValue<string>()), Hash.Parse(p["leafValue"]!.GetValue<string>()));
        var root = Hash.Parse(p["stateRoot"]!.GetValue<string>());
        var slot = ContractState.SlotAddress(token, "supply"u8);
        Assert.Equal(slot.ToString(), r["slotAddress"]!.GetValue<string>());
        Assert.True(StateTree.Verify(root, StateTree.KeyOf(slot), entry.ValueHash(), proof));
        Assert.Equal(n.Node.Node.Chain.Head.StateRoot, root);
        // A value the proof does not commit to does not verify.
        Assert.False(StateTree.Verify(root, StateTree.KeyOf(slot), (entry with { Balance = 1 }).ValueHash(), proof));
    }
}
