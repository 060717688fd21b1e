using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Cli;

[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class DevnetNodesTests
{
    [Theory]
    [InlineData("poa")]
    [InlineData("pos")]
    [InlineData("pow")]
    public async Task A_four_node_devnet_of_each_engine_agrees_keeps_producing_and_a_transfer_through_any_node_lands(string consensus)
    {
        using var devnet = DevnetProcess.Start(4, consensus == "pow" ? "500ms" : "250ms", "--consensus", consensus);
        var (root, port, up) = (devnet.Root, devnet.Port, devnet.Process);
        try
        {
            await devnet.WaitForAsync("heights");
            var text = devnet.Output;
            Assert.Contains("4 node(s)", text);
            var dev2 = devnet.DevAddress("dev2");

            var (code, o, err) = await CliRunner.RunAsync(null, "devnet", "status", "--dir", root, "--json");
            Assert.True(code == 0, err);
            var nodes = JsonNode.Parse(o)!["nodes"]!.AsArray();
            Assert.Equal(4, nodes.Count);
            Assert.All(nodes, n => Assert.Equal("up", n!["state"]!.GetValue<string>()));

            var env = new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "devnet" };
            (code, _, err) = await CliRunner.RunAsync(env, "tx", "send", "--from", Path.Combine(root, "keys", "dev1.json"), "--to", dev2,
                "--amount", "321", "--wait", "--node", $"http://127.0.0.1:{port + 3}");
            Assert.True(code == 0, err);
            using var first = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            // The block may have been made by another node (PoS, PoW): give it a moment to reach node 1.
            await Eventually.True(async () => (await first.GetFromJsonAsync<JsonObject>($"/api/v1/accounts/{dev2}"))!["balance"]!.GetValue<ulong>() == 1_000_000_000_321UL,
                "node 1 shows dev2's new balance", 10);

            // Every node agrees on the block at the lowest head height, and the chain keeps moving.
            var clients = Enumerable.Range(0, 4).Select(i => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port + i}") }).ToList();
            async Task<ulong[]> Heights() => await Task.WhenAll(clients.Select(async c => (await c.GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>()));
            var start = (await Heights()).Min();
            await Eventually.True(async () => (await Heights()).Min() >= start + 4, $"every node four blocks past {start}");
            // Competing blocks (several PoS winners, PoW races) are normal for a moment; the nodes must settle on one.
            await Eventually.True(async () =>
            {
                var h = (await Heights()).Min() - 2;
                var hashes = await Task.WhenAll(clients.Select(async c => (await c.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{h}"))!["header"]!["hash"]!.GetValue<string>()));
                return hashes.Distinct().Count() == 1;
            }, "all nodes agree on the block two below the lowest head", 10);

            // The engine's own view through the CLI.
            var node = $"http://127.0.0.1:{port + 1}";
            switch (consensus)
            {
                case "poa":
                    (code, o, err) = await CliRunner.RunAsync(env, "authorities", "add", "--authority", Path.Combine(root, "keys", "dev3.json"),
                        "--from", Path.Combine(root, "keys", "node.json"), "--wait", "--node", node);
                    Assert.True(code == 0, err);
                    (code, o, err) = await CliRunner.RunAsync(null, "authorities", "list", "--node", node, "--json");
                    var engine = JsonNode.Parse(o)!;
                    Assert.Equal(2, engine["authorities"]!.AsArray().Count + engine["pending"]!.AsArray().Count); // dev3 is pending or already active
                    break;
                case "pos":
                    (code, o, err) = await CliRunner.RunAsync(env, "stake", "--from", Path.Combine(root, "keys", "dev3.json"), "--amount", "500000", "--wait", "--node", node);
                    Assert.True(code == 0, err);
                    (code, o, err) = await CliRunner.RunAsync(null, "validators", "--node", node, "--json");
                    Assert.Equal(5, JsonNode.Parse(o)!["validators"]!.AsArray().Count);
                    break;
                case "pow":
                    (code, o, err) = await CliRunner.RunAsync(null, "chain", "info", "--node", node);
                    Assert.Contains("pow: difficulty", o);
                    break;
            }
            foreach (var c in clients) c.Dispose();

            (code, o, _) = await CliRunner.RunAsync(null, "devnet", "stop", "--dir", root);
            Assert.Contains("stopped", o);
            await up.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.Equal(0, up.ExitCode);
        }
        finally
        {
            devnet.Dispose();
            TempDir.Delete(Path.GetDirectoryName(root)!);
        }
    }
}
