using System.Net;
using System.Net.Sockets;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>Issue 11, item 12: the API and the peer port listen where each is told, separately.</summary>
[Trait("Category", Categories.Process)]
public sealed class ListenAddressTests : IDisposable
{
    private readonly string _dir = TestNode.NewDir();
    public void Dispose() { TempDir.Delete(_dir); }

    private static async Task<bool> Accepts(string host, int port)
    {
        using var c = new TcpClient();
        try { await c.ConnectAsync(IPAddress.Parse(host), port).WaitAsync(TimeSpan.FromSeconds(10)); return true; }
        catch (SocketException) { return false; }
    }

    [Fact]
    public async Task A_peer_port_opened_on_another_address_does_not_take_the_api_with_it()
    {
        var all = Build.Keys(2, seed: 3);
        var spec = Path.Combine(_dir, "spec.json");
        File.WriteAllText(spec, TestNode.SpecFor(all[0], all).ToJson());
        var api = LoopbackPort.Free();
        var p2p = LoopbackPort.Free();
        await using var node = await NodeProcess.StartAsync(["node", "run", "--data", Path.Combine(_dir, "data"), "--spec", spec,
            "--p2p-listen", "127.0.0.2", "--p2p-port", p2p.ToString(), "--log-level", "Warning"], api);
        Assert.True(await Accepts("127.0.0.2", p2p));
        Assert.False(await Accepts("127.0.0.2", api));
        Assert.True(await Accepts("127.0.0.1", api));
        Assert.False(await Accepts("127.0.0.1", p2p));
    }
}
