using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Bench;
using Chainlab.Node.Tests.Process;

namespace Chainlab.Node.Tests.Cli;

public sealed class DevnetNodesTests
{
    [Fact]
    public async Task A_four_node_devnet_agrees_and_a_transfer_through_any_node_lands()
    {
        var root = Path.Combine(TestNode.NewDir(), "devnet");
        var port = ThroughputBenchmark.FreePort();
        var p2p = ThroughputBenchmark.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { NodeProcess.ChainlabDll, "devnet", "up", "--dir", root, "--nodes", "4", "--port", port.ToString(), "--p2p-port", p2p.ToString(), "--block-time", "250ms" })
            psi.ArgumentList.Add(a);
        using var up = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        up.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        try
        {
            string text = "";
            for (var i = 0; i < 600 && !text.Contains("heights"); i++) { await Task.Delay(100); lock (output) text = output.ToString(); }
            Assert.Contains("4 node(s)", text);
            var dev2 = text.Split('\n').First(l => l.TrimStart().StartsWith("dev2")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

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
            var balance = (await first.GetFromJsonAsync<JsonObject>($"/api/v1/accounts/{dev2}"))!["balance"]!.GetValue<ulong>();
            Assert.Equal(1_000_000_000_321UL, balance);

            (code, o, _) = await CliRunner.RunAsync(null, "devnet", "stop", "--dir", root);
            Assert.Contains("stopped", o);
            await up.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.Equal(0, up.ExitCode);
        }
        finally
        {
            if (!up.HasExited) up.Kill(true);
            try { Directory.Delete(Path.GetDirectoryName(root)!, true); } catch (IOException) { }
        }
    }
}
