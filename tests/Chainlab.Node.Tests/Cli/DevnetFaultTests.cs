using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>`devnet fault` on a running devnet: partitions cut the links they name and heal puts them back,
/// kill and restart act on the process, and mistakes are one clear line.</summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class DevnetFaultTests
{
    private static async Task<(string Id, List<string> Peers)> PeersOf(HttpClient http)
    {
        var p = (await http.GetFromJsonAsync<JsonObject>("/api/v1/peers"))!;
        return (p["nodeId"]!.GetValue<string>(), p["peers"]!.AsArray().Select(x => x!["nodeId"]!.GetValue<string>()).ToList());
    }

    [Fact]
    public async Task A_partition_cuts_exactly_the_links_between_groups_heal_restores_them_and_a_killed_node_restarts_with_its_chain()
    {
        using var devnet = DevnetProcess.Start(4, "250ms");
        await devnet.WaitForAsync("heights");
        var http = Enumerable.Range(1, 4).Select(i => new HttpClient { BaseAddress = new Uri(devnet.Url(i)) }).ToArray();
        var ids = new string[4];
        for (var i = 0; i < 4; i++) ids[i] = (await PeersOf(http[i])).Id;
        await Eventually.True(async () => (await PeersOf(http[0])).Peers.Count == 3, "node 1 linked to the three others", 30);

        async Task<(int, string)> Fault(params string[] args)
        {
            var (code, o, e) = await CliRunner.RunAsync(null, ["devnet", "fault", .. args, "--dir", devnet.Root]);
            return (code, o + e);
        }

        var (code, text) = await Fault("partition", "--groups", "1,2/3,4");
        Assert.True(code == 0, text);
        Assert.Contains("applied: partition 1,2 | 3,4", text);
        await Eventually.True(async () => (await PeersOf(http[0])).Peers.SequenceEqual([ids[1]]) && (await PeersOf(http[2])).Peers.SequenceEqual([ids[3]]),
            "node 1 linked only to node 2, node 3 only to node 4", 20);
        // The minority has no authority: its head stands still while the majority's moves on.
        var h3 = (await http[2].GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>();
        await Eventually.True(async () => (await http[0].GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>() > h3 + 4, "node 1 moved on", 20);
        Assert.True((await http[2].GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>() <= h3 + 1);

        (code, text) = await Fault("heal");
        Assert.True(code == 0, text);
        await Eventually.True(async () => (await PeersOf(http[2])).Peers.Contains(ids[0]) || (await PeersOf(http[2])).Peers.Contains(ids[1]), "node 3 linked across again", 30);
        await Eventually.True(async () =>
        {
            var heads = await Task.WhenAll(http.Select(async h => (await h.GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>()));
            return heads.Max() - heads.Min() <= 1;
        }, "every node caught up after the heal", 30);

        (code, text) = await Fault("kill", "3");
        Assert.True(code == 0, text);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http[2].GetStringAsync("/api/v1/status"));
        var before = (await http[0].GetFromJsonAsync<JsonObject>("/api/v1/blocks/5"))!["header"]!["hash"]!.GetValue<string>();
        (code, text) = await Fault("restart", "3");
        Assert.True(code == 0, text);
        Assert.Equal(before, (await http[2].GetFromJsonAsync<JsonObject>("/api/v1/blocks/5"))!["header"]!["hash"]!.GetValue<string>());

        // Skew goes into the node's own clock through its control route, which wants the devnet's token.
        (code, text) = await Fault("skew", "2", "--by", "30s");
        Assert.True(code == 0, text);
        using var authorised = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devnet/faults");
        authorised.Headers.Authorization = new("Bearer", File.ReadAllText(Path.Combine(devnet.Root, "keys", "control-token")).Trim());
        var faults = JsonNode.Parse(await (await http[1].SendAsync(authorised)).Content.ReadAsStringAsync())!;
        Assert.Equal(30_000, faults["clockSkewMs"]!.GetValue<long>());
        (code, text) = await Fault("skew", "2", "--by", "0");
        Assert.True(code == 0, text);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http[0].GetAsync("/api/v1/devnet/faults")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devnet/faults");
        wrong.Headers.Authorization = new("Bearer", new string('0', 64));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http[0].SendAsync(wrong)).StatusCode);

        (code, text) = await Fault("partition", "--groups", "1/9");
        Assert.Equal(2, code);
        Assert.Contains("no node 9", text);
        (code, text) = await Fault("explode", "1");
        Assert.Equal(2, code);
        Assert.Contains("unknown fault 'explode'", text);
        foreach (var h in http) h.Dispose();
    }
}
