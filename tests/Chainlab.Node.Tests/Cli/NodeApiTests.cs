using System.Net;
using System.Text;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>Waiting for a node's API: with the chain's genesis known, a stranger on the port does not pass for the node.</summary>
public sealed class NodeApiTests
{
    [Fact]
    public async Task A_node_of_another_chain_answering_on_the_port_is_not_taken_for_the_node_being_waited_for()
    {
        var port = LoopbackPort.Free();
        using var stranger = new HttpListener();
        stranger.Prefixes.Add($"http://127.0.0.1:{port}/");
        stranger.Start();
        _ = Task.Run(async () =>
        {
            while (stranger.IsListening)
            {
                HttpListenerContext c;
                try { c = await stranger.GetContextAsync(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var body = Encoding.UTF8.GetBytes("""{"chainId":"chainlab-devnet","genesisHash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","height":3}""");
                c.Response.ContentType = "application/json";
                await c.Response.OutputStream.WriteAsync(body);
                c.Response.Close();
            }
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        // Without a genesis any answer will do; with one, the stranger is waited out and named.
        Assert.Equal(3, (await NodeApi.WaitForStatusAsync(http, null, TimeSpan.FromSeconds(10)))["height"]!.GetValue<int>());
        var e = await Assert.ThrowsAsync<TimeoutException>(() => NodeApi.WaitForStatusAsync(http, null, TimeSpan.FromSeconds(1), genesisHash: new string('b', 64)));
        Assert.Contains("another node (of genesis aaaaaaaaaaaaaaaa) answers", e.Message);
        Assert.Equal(3, (await NodeApi.WaitForStatusAsync(http, null, TimeSpan.FromSeconds(10), genesisHash: new string('A', 64)))["height"]!.GetValue<int>());
        stranger.Stop();
    }
}
