using Chainlab.Core.Crypto;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using Chainlab.Node.Tests.Network;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>What the file-service red team did to the DHT (issue 29, item 4): floods of records, answers nobody asked for, request floods.</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class DhtHardeningTests : IAsyncLifetime
{
    private NodeHost _node = null!;
    private readonly string _dir = TestNode.NewDir();

    public async Task InitializeAsync()
    {
        var all = Build.Keys(3, seed: 23);
        var spec = TestNode.SpecFor(all[0], all) with { GenesisTimeMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), BlockTimeMs = 1000 };
        _node = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = _dir, Spec = spec, LogLevel = LogLevel.Warning,
            Peers = new PeerOptions { Port = 0, ProviderRecordsPerPeer = 50, DhtRequestsPerSecond = 10, DhtRequestBurst = 300 },
        });
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private Task<(System.Net.Sockets.TcpClient Client, KeyPair Key)> Connect(ushort listenPort = 0) =>
        RawPeer.Handshaken(_node.Network!.Port, _node.Chain.Spec.ChainId, _node.Chain.GenesisHash, listenPort: listenPort);

    private static Hash RandomKey(Random r) { var b = new byte[32]; r.NextBytes(b); return new Hash(b); }

    [Fact]
    public async Task One_peer_announcing_thousands_of_files_holds_only_its_share_of_records_and_others_are_still_recorded()
    {
        var dht = _node.Network!.Dht;
        var (flooder, fk) = await Connect(listenPort: 40001);
        using var f = flooder;
        var r = new Random(5);
        for (var i = 0; i < 250; i++) await f.GetStream().WriteAsync(MessageCodec.Encode(new AddProvider(RandomKey(r))));
        await Eventually.True(() => dht.RecordsOf(Hash.Sha256(fk.PublicKey)) == 50, "the flooder's records reach its share");
        await Task.Delay(300);
        Assert.Equal(50, dht.RecordsOf(Hash.Sha256(fk.PublicKey)));
        Assert.Equal(50, dht.RecordKeys);

        // Another peer's announcement is still kept, and found by anyone who asks.
        var (honest, hk) = await Connect(listenPort: 40002);
        using var h = honest;
        var key = RandomKey(r);
        await h.GetStream().WriteAsync(MessageCodec.Encode(new AddProvider(key)));
        await Eventually.True(() => dht.RecordsOf(Hash.Sha256(hk.PublicKey)) == 1, "the honest record is kept");
        await f.GetStream().WriteAsync(MessageCodec.Encode(new GetProviders(7, key)));
        var answer = Assert.IsType<Providers>(await ReadUntil<Providers>(f));
        Assert.Contains(answer.List, p => p.NodeKey.AsSpan().SequenceEqual(hk.PublicKey));
    }

    [Fact]
    public async Task Contacts_in_an_answer_nobody_asked_for_are_not_taken_and_cost_the_sender()
    {
        var dht = _node.Network!.Dht;
        var (c, _) = await Connect();
        using var client = c;
        var before = dht.Table.Count;
        var bogus = Enumerable.Range(0, 20).Select(_ => new PeerInfo("127.0.0.1", 40100, KeyPair.Generate().PublicKey)).ToList();
        await c.GetStream().WriteAsync(MessageCodec.Encode(new Nodes(12345, bogus)));
        await Eventually.True(() => _node.Network.Peers.Any(p => p.Score < 0), "the sender is penalised");
        Assert.Equal(before, dht.Table.Count);
    }

    [Fact]
    public async Task Routing_requests_past_a_peers_budget_are_dropped_without_banning_it()
    {
        var dht = _node.Network!.Dht;
        var (c, _) = await Connect();
        using var client = c;
        var r = new Random(7);
        var frames = Enumerable.Range(0, 600).SelectMany(i => MessageCodec.Encode(new FindNode((ulong)i, RandomKey(r)))).ToArray();
        await c.GetStream().WriteAsync(frames);
        // 600 at once against a burst of 300 and 10 a second: about 300 dropped, fewer on a slow machine.
        await Eventually.True(() => dht.DroppedRequests >= 150, "requests past the budget are dropped");
        Assert.InRange(dht.DroppedRequests, 150, 300);
        Assert.Single(_node.Network.Peers); // still linked: a burst of routing requests is not a ban
    }

    private static async Task<T> ReadUntil<T>(System.Net.Sockets.TcpClient c) where T : Message
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var m = await RawPeer.ReadFrame(c.GetStream()).WaitAsync(cts.Token);
            if (m is T t) return t;
        }
    }
}
