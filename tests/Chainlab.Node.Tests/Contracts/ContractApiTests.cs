using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>Bad requests to the contract routes get precise problems, and the node keeps serving.</summary>
public sealed class ContractApiTests
{
    [Fact]
    public async Task Each_bad_contract_request_gets_its_own_problem()
    {
        await using var n = await ContractNode.StartAsync();
        var (token, _) = await n.DeployAsync(0, ContractNode.Example("token.lua"), """["Lab Coin", "LAB", 1000]""");
        var notContract = n.Key(2).Address;
        var cases = new (string Name, Func<Task<HttpResponseMessage>> Send, int Status, string Type)[]
        {
            ("bad address", () => n.Node.Http.GetAsync("/api/v1/contracts/cl123"), 400, "bad-address"),
            ("not a contract", () => n.Node.Http.GetAsync($"/api/v1/contracts/{notContract}"), 404, "not-found"),
            ("call on a plain account", () => n.Node.PostRaw($"/api/v1/contracts/{notContract}/call", """{"function":"f"}"""), 404, "not-found"),
            ("no function", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", """{"args":[]}"""), 400, "malformed"),
            ("float argument", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", """{"function":"balance_of","args":[1.5]}"""), 400, "bad-argument"),
            ("unknown field", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", """{"function":"info","gasLimit":5}"""), 400, "unknown-field"),
            ("wrong media type", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", "function=info", "text/plain"), 415, "unsupported-media-type"),
            ("missing function", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", """{"function":"mint"}"""), 422, "contract-failed"),
            ("a view that writes", () => n.Node.PostRaw($"/api/v1/contracts/{token}/call", $$"""{"function":"transfer","args":["{{n.Key(1).Address}}", 1]}"""), 422, "contract-failed"),
            ("storage key too long", () => n.Node.Http.GetAsync($"/api/v1/contracts/{token}/storage/{new string('k', 200)}"), 400, "malformed"),
        };
        foreach (var (name, send, status, type) in cases)
        {
            var resp = await send();
            var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
            Assert.True(status == (int)resp.StatusCode, $"{name}: expected {status}, got {(int)resp.StatusCode} {body.ToJsonString()}");
            Assert.Equal("urn:chainlab:problem:" + type, body["type"]!.GetValue<string>());
        }
        var (writer, _) = await n.DeployAsync(1, "function w() storage.set('a', 1) end");
        var view = await n.Node.PostRaw($"/api/v1/contracts/{writer}/call", """{"function":"w"}""");
        Assert.Equal(422, (int)view.StatusCode);
        Assert.Contains("a view call cannot write storage", await view.Content.ReadAsStringAsync());
        // Nothing changed, and the node still answers.
        Assert.Equal(1000, (await n.ViewAsync(token, "balance_of", $"""["{n.Key(0).Address}"]"""))!.GetValue<long>());
    }
}

/// <summary>Contract events reach event-stream clients as blocks are committed.</summary>
public sealed class ContractEventStreamTests
{
    [Fact]
    public async Task A_committed_contract_event_is_sent_on_the_event_stream()
    {
        await using var n = await ContractNode.StartAsync();
        var (token, _) = await n.DeployAsync(0, ContractNode.Example("token.lua"), """["Lab Coin", "LAB", 1000]""");
        using var sse = await n.Node.Http.GetStreamAsync("/api/v1/events");
        using var reader = new StreamReader(sse);
        Assert.Equal(": connected", await reader.ReadLineAsync());
        var receipt = await n.InvokeAsync(0, token, "transfer", $"""["{n.Key(1).Address}", 7]""");
        Assert.True(receipt["success"]!.GetValue<bool>());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        while ((line = await reader.ReadLineAsync(cts.Token)) is not null && line != "event: contract-events") { }
        var data = JsonNode.Parse((await reader.ReadLineAsync(cts.Token))!["data: ".Length..])!;
        var e = data["events"]![0]!;
        Assert.Equal(token.ToString(), e["contract"]!.GetValue<string>());
        Assert.Equal("Transfer", e["name"]!.GetValue<string>());
        Assert.Equal(7, e["value"]!["amount"]!.GetValue<long>());
    }
}

/// <summary>The block gas limit: a producer spreads contract transactions over blocks, and a block over the limit is refused.</summary>
public sealed class BlockGasTests
{
    [Fact]
    public async Task A_producer_spreads_contract_transactions_over_blocks_by_their_gas_limits_and_a_block_over_the_limit_is_refused()
    {
        var all = Build.Keys(5, seed: 99);
        var spec = TestNode.SpecFor(all[0], all[1..], balance: 1_000_000_000_000) with
        {
            Contracts = new Chainlab.Core.Model.ContractSpec { MaxGas = 1_000_000, BlockGas = 2_500_000 },
        };
        await using var c = await ContractNode.StartAsync(spec);
        var (contract, _) = await c.DeployAsync(0, "function ping() return 1 end", gas: 1_000_000);
        // Five calls of 1M gas each from two senders: at most two fit a block of 2.5M.
        var txs = new[] { 1, 1, 1, 2, 2 }.Select(s => c.Invocation(s, contract, "ping", gas: 1_000_000)).ToList();
        foreach (var t in txs) await c.SubmitAsync(t);
        var sizes = new List<int>();
        while (c.Node.Node.Pool.Count > 0) sizes.Add((await c.Node.ProduceAsync()).Block!.Transactions.Count);
        Assert.Equal([2, 2, 1], sizes);
        foreach (var t in txs) Assert.True((await c.ReceiptAsync(t.Hash.ToString()))["success"]!.GetValue<bool>());

        // A block whose transactions claim more gas than the limit does not execute.
        var rules = c.Node.Node.Chain.Rules;
        var overlay = new Chainlab.Core.State.StateOverlay(c.Node.Node.Chain.Committed.State);
        var heavy = new[] { 1, 1, 1 }.Select((s, i) => ContractTx.Invoke(c.Key(s), 3 + (ulong)i, contract, "ping", 1_000_000)).ToList();
        var ex = rules.ExecuteTransactions(overlay, 10, 0, c.Key(0).Address, heavy);
        Assert.False(ex.Ok);
        Assert.Contains("block gas limit", ex.Error);
    }
}

/// <summary>View calls run under a wall-clock cap as well as gas, so none can hold a view slot for long.</summary>
public sealed class ViewCallLimitTests
{
    [Fact]
    public async Task View_calls_that_never_end_are_stopped_on_the_wall_clock_and_cannot_hold_the_view_slots()
    {
        var all = Chainlab.TestSupport.Build.Keys(5, seed: 99);
        var spec = Chainlab.TestSupport.TestNode.SpecFor(all[0], all[1..], balance: 1_000_000_000_000);
        // So much gas that only the wall clock can stop a view call.
        spec = spec with { Contracts = spec.Contracts with { MaxGas = 1_000_000_000, BlockGas = 1_000_000_000 } };
        await using var n = await ContractNode.StartAsync(spec);
        var (spinner, _) = await n.DeployAsync(0, "function spin() local i = 0 while true do i = i + 1 end end function ping() return 'pong' end");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var hung = Enumerable.Range(0, Math.Max(2, Environment.ProcessorCount))
            .Select(_ => n.Node.PostRaw($"/api/v1/contracts/{spinner}/call", """{"function":"spin"}""")).ToList();
        foreach (var r in await Task.WhenAll(hung))
        {
            var body = await r.Content.ReadAsStringAsync();
            // Stopped (422) or refused while the slots were full (503); never left running.
            Assert.True((int)r.StatusCode is 422 or 503, body);
            if ((int)r.StatusCode == 422) Assert.Contains("took longer than the node allows", body);
        }
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"the hung calls took {started.Elapsed}");
        // The slots are free again: an ordinary view call answers.
        Assert.Equal("pong", (await n.ViewAsync(spinner, "ping"))!.GetValue<string>());
    }
}
