using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>
/// Finality on a live devnet (`devnet up --finality`): every validator votes on the checkpoints in fee-free vote
/// transactions, the votes land in blocks, and every node reports the same blocks final; without the flag the
/// chain says it does not finalise.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class FinalityDevnetTests
{
    [Fact]
    public async Task Four_proof_of_stake_validators_vote_checkpoints_final_and_every_node_reports_the_same_final_blocks()
    {
        using var devnet = DevnetProcess.Start(4, "250ms", "--consensus", "pos", "--finality");
        await devnet.WaitForAsync("heights");
        var clients = Enumerable.Range(0, 4).Select(i => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{devnet.Port + i}") }).ToList();
        async Task<JsonObject> Finality(HttpClient c) => (await c.GetFromJsonAsync<JsonObject>("/api/v1/finality"))!;

        // Checkpoints every 8 blocks, voted for 2 blocks later: the third one final means the first two rounds of voting worked.
        await Eventually.True(async () => (await Task.WhenAll(clients.Select(Finality))).All(f => f["lastFinalized"]?["height"]?.GetValue<ulong>() >= 16),
            "every node has checkpoint 16 or later final", 90);
        foreach (var c in clients)
        {
            var f = await Finality(c);
            Assert.True(f["enabled"]!.GetValue<bool>());
            Assert.Equal(8UL, f["checkpointInterval"]!.GetValue<ulong>());
            var final = f["lastFinalized"]!;
            var height = final["height"]!.GetValue<ulong>();
            // Final on every node means the same block on every node.
            foreach (var other in clients)
                Assert.Equal(final["hash"]!.GetValue<string>(), (await other.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{height}"))!["header"]!["hash"]!.GetValue<string>());
            var justified = f["lastJustified"]!["height"]!.GetValue<ulong>();
            Assert.True(justified > height, $"the last justified checkpoint {justified} is above the last final one {height}");
        }

        // The status, the metrics and the event stream say so too.
        var status = (await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/status"))!;
        Assert.True(status["finalizedHeight"]!.GetValue<ulong>() >= 16, status.ToJsonString());
        var metrics = await clients[1].GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("chainlab_finalized_height "));
        Assert.True(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 16, line);
        using (var sse = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            using var stream = new StreamReader(await clients[2].GetStreamAsync("/api/v1/events", sse.Token));
            string? l;
            while ((l = await stream.ReadLineAsync(sse.Token)) is not null && l != "event: finalized") { }
            Assert.Equal("event: finalized", l);
            var data = (await stream.ReadLineAsync(sse.Token))!;
            Assert.StartsWith("data: {\"height\":", data);
        }

        // A finality proof, fetched with the CLI and checked offline against genesis: every link more than two
        // thirds, every signature; with a flipped bit, or against another anchor, it is refused.
        var genesis = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/blocks/0"))!["header"]!["hash"]!.GetValue<string>();
        var dir = Directory.CreateTempSubdirectory("chainlab-finality-proof-").FullName;
        try
        {
            var file = Path.Combine(dir, "proof.json");
            var node = $"http://127.0.0.1:{devnet.Port + 1}";
            var (code, stdout, stderr) = await CliRunner.RunAsync(null, "--node", node, "chain", "finality-proof", "--height", "16", "--out", file);
            Assert.True(code == 0, stdout + stderr);
            (code, stdout, stderr) = await CliRunner.RunAsync(null, "chain", "verify-finality", file, "--anchor", $"0:{genesis}");
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("VALID: checkpoint 16", stdout);
            Assert.Contains("0 -> 8:", stdout);
            var proof = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            Assert.Equal(16UL, proof["checkpoint"]!["height"]!.GetValue<ulong>());
            var bytes = Convert.FromHexString(proof["proof"]!.GetValue<string>());
            bytes[^1] ^= 1;
            proof["proof"] = Convert.ToHexStringLower(bytes);
            var bad = Path.Combine(dir, "bad.json");
            await File.WriteAllTextAsync(bad, proof.ToJsonString());
            (code, stdout, stderr) = await CliRunner.RunAsync(null, "chain", "verify-finality", bad);
            Assert.Equal(1, code);
            Assert.Contains("signature is not valid", stderr);
            (code, _, stderr) = await CliRunner.RunAsync(null, "chain", "verify-finality", file, "--anchor", $"8:{genesis}");
            Assert.Equal(1, code);
            Assert.Contains("not from the trusted", stderr);
            // From an anchor the verifier already trusts: the proof starts there.
            (code, stdout, stderr) = await CliRunner.RunAsync(null, "--node", node, "--json", "chain", "finality-proof", "--height", "16", "--anchor", "8");
            Assert.True(code == 0, stdout + stderr);
            Assert.Equal(8UL, JsonNode.Parse(stdout)!["anchor"]!["height"]!.GetValue<ulong>());
            var notYet = await clients[0].GetAsync("/api/v1/finality/proof?height=800000");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, notYet.StatusCode);
        }
        finally { TempDir.Delete(dir); }

        // The votes are on chain: vote transactions (kind 9, fee 0) from the validators.
        var head = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>();
        var votes = 0;
        for (var h = 1UL; h <= head && votes == 0; h++)
            foreach (var tx in (await clients[0].GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{h}?transactions=full"))!["transactions"]!.AsArray())
                if (tx!["kind"]!.GetValue<string>() == "vote") { votes++; Assert.Equal(0UL, tx["fee"]!.GetValue<ulong>()); }
        Assert.True(votes > 0, "no vote transaction in any block");
    }
}
