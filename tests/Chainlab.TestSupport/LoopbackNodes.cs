using Chainlab.Node.Hosting;
using System.Net;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node;
using Chainlab.Node.Network.Peers;
using Microsoft.Extensions.Logging;

namespace Chainlab.TestSupport;

/// <summary>In-process nodes linked over loopback TCP, each in a data folder of its own; disposing stops them and deletes the folders.</summary>
public sealed class LoopbackNodes : IAsyncDisposable
{
    private readonly List<string> _dirs = new();
    public List<NodeHost> Nodes { get; } = new();

    /// <summary>A node on the wall clock with fast dials, linked to the nodes listening on the bootstrap ports.</summary>
    public async Task<NodeHost> StartAsync(ChainSpec spec, KeyPair? producer, int[] bootstrap, int maxOutbound = 8, IReadOnlyList<string>? misbehave = null, int maxInbound = 32,
        Chainlab.Node.Files.FileStoreOptions? files = null)
    {
        var dir = TestNode.NewDir();
        _dirs.Add(dir);
        var node = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = dir, Spec = spec, ApiPort = 0, LogLevel = LogLevel.Warning, ProducerKey = producer, Misbehave = misbehave ?? [], Files = files ?? new(),
            Peers = new PeerOptions
            {
                Port = 0, MaxOutbound = maxOutbound, MaxInbound = maxInbound, DialInterval = TimeSpan.FromMilliseconds(200),
                Bootstrap = bootstrap.Select(p => new IPEndPoint(IPAddress.Loopback, p)).ToList(),
            },
        });
        Nodes.Add(node);
        return node;
    }

    /// <summary>A chain spec whose genesis is the current slot of the wall clock.</summary>
    public static ChainSpec SpecNow(KeyPair authority, KeyPair[] funded, ulong blockMs)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return TestNode.SpecFor(authority, funded) with { BlockTimeMs = blockMs, GenesisTimeMs = now - now % blockMs };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) await n.DisposeAsync();
        foreach (var d in _dirs) TempDir.Delete(d);
    }
}
