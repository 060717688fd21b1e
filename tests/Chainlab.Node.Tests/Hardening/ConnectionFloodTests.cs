using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;

using Chainlab.Node.Tests.Network;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>Issue 11, item 1: API connections and event streams are capped, and one dead node does not take the devnet down.</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class ConnectionFloodTests
{
    [Fact]
    public async Task Api_connections_and_event_streams_are_capped_and_the_node_serves_again_once_they_go()
    {
        var n = await TestNode.StartAsync(maxApiConnections: 8, maxEventStreams: 2);
        try
        {
            using var sse1 = new HttpClient { BaseAddress = n.Node.ApiUrl, Timeout = Timeout.InfiniteTimeSpan };
            using var sse2 = new HttpClient { BaseAddress = n.Node.ApiUrl, Timeout = Timeout.InfiniteTimeSpan };
            using var s1 = await sse1.GetStreamAsync("/api/v1/events");
            using var s2 = await sse2.GetStreamAsync("/api/v1/events");
            var third = await n.Http.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
            Assert.Contains("urn:chainlab:problem:unavailable", await third.Content.ReadAsStringAsync());

            // Idle connections up to the cap (two are the event streams, one the test's client): the next one is refused.
            var idle = new List<TcpClient>();
            for (var i = 0; i < 8; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, n.Node.ApiUrl.Port);
                idle.Add(c);
            }
            using (var extra = new HttpClient { BaseAddress = n.Node.ApiUrl, Timeout = TimeSpan.FromSeconds(10) })
                await Assert.ThrowsAnyAsync<HttpRequestException>(() => extra.GetStringAsync("/api/v1/status"));
            foreach (var c in idle) c.Dispose();
            await Eventually.True(async () =>
            {
                using var again = new HttpClient { BaseAddress = n.Node.ApiUrl, Timeout = TimeSpan.FromSeconds(5) };
                try { return (await again.GetStringAsync("/api/v1/status")).Contains("test-chain"); }
                catch (HttpRequestException) { return false; }
            }, "the node serves again once the idle connections are gone");
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public async Task A_client_submitting_more_transactions_per_second_than_its_budget_gets_429_and_nothing_is_checked()
    {
        var n = await TestNode.StartAsync(batchTransactionsPerSecond: 100);
        try
        {
            string Batch(int from, int count) => "{\"transactions\":[" + string.Join(",",
                Enumerable.Range(from, count).Select(i => $"\"{Convert.ToHexStringLower(n.Transfer(i % 4, (i + 1) % 4, 1, (ulong)(i / 4)).Raw)}\"")) + "]}";
            var first = await n.PostRaw("/api/v1/transactions/batch", Batch(0, 150));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(150, n.Node.Pool.Count);
            // The burst allowance (two seconds' worth) is spent: the next batch is refused whole.
            var second = await n.PostRaw("/api/v1/transactions/batch", Batch(150, 150));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Contains("urn:chainlab:problem:rate-limited", await second.Content.ReadAsStringAsync());
            Assert.Equal(150, n.Node.Pool.Count);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task When_one_devnet_node_dies_the_supervisor_says_so_and_the_others_keep_running()
    {
        using var devnet = DevnetProcess.Start(2, "250ms");
        var (root, port, up) = (devnet.Root, devnet.Port, devnet.Process);
        string Text() => devnet.Output;
        try
        {
            await Eventually.True(() => Text().Contains("heights"), "the devnet produces", 60);
            // SIGKILL node 1, the one whose event stream the supervisor follows.
            var pgrep = System.Diagnostics.Process.Start(new ProcessStartInfo("pgrep", ["-f", Path.Combine(root, "node1") + " "]) { RedirectStandardOutput = true })!;
            var pid = (await pgrep.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Single();
            System.Diagnostics.Process.Start("kill", ["-9", pid.ToString()])!.WaitForExit();
            await Eventually.True(() => Text().Contains("node 1 has exited"), "the supervisor reports node 1", 30);
            using var second = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port + 1}"), Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.Holds(async () => JsonNode.Parse(await second.GetStringAsync("/api/v1/status"))!["headHeight"] is not null,
                "node 2 keeps answering while node 1 is down", TimeSpan.FromSeconds(3));
            Assert.False(up.HasExited);
        }
        finally
        {
            await CliRunner.RunAsync(null, "devnet", "stop", "--dir", root);
            if (!up.WaitForExit(30_000)) up.Kill(true);
            TempDir.Delete(Path.GetDirectoryName(root)!);
        }
    }
}
