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
