using Chainlab.Node.Hosting;
using Chainlab.Core.Crypto;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using Chainlab.Node.Tests.Network;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>What the file-service red team did to the DHT and to fetches (issue 29, items 4 and 5): floods of records, answers nobody asked for, request floods, slow providers.</summary>
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
            Peers = new PeerOptions { Port = 0, ProviderRecordsPerPeer = 50, DhtRequestsPerSecond = 10, DhtRequestBurst = 300, RequestTimeout = TimeSpan.FromSeconds(1) },
            Files = new Chainlab.Node.Files.FileStoreOptions { FetchGrace = TimeSpan.FromSeconds(1), FetchMinBytesPerSecond = 512 << 10, SlowBlockAnswer = TimeSpan.FromMilliseconds(300) },
        });
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        TempDir.Delete(_dir);
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
        await Eventually.Holds(() => dht.RecordsOf(Hash.Sha256(fk.PublicKey)) == 50, "the flooder's records stay at its share", TimeSpan.FromMilliseconds(300));
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

    [Fact]
    public async Task A_provider_that_answers_every_block_slowly_ends_the_fetch_instead_of_holding_a_slot()
    {
        // A file of one root and five 256 KiB leaves, served only by a raw peer that answers each block after 0.8 s:
        // at most 0.3 MiB a second at first, under this node's minimum of 512 KiB a second after a grace of 1 s.
        var blocks = new MemoryBlocks();
        var file = await Chainlab.Core.Files.UnixFsImporter.AddFileAsync(new MemoryStream(new Random(8).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 5 * 262144)), blocks, Chainlab.Core.Files.ImportOptions.V1);
        await using var provider = await ServingPeer.StartAsync(this, 40003, blocks, TimeSpan.FromMilliseconds(800));
        var files = _node.Core.Files;
        var e = await Assert.ThrowsAsync<Chainlab.Node.Files.FileRefusedException>(() => files.EnsureAsync(file.Cid, default));
        Assert.Equal(("unavailable", 504), (e.Type, e.Status));
        Assert.Contains("slower than this node's minimum", e.Message);
        Assert.True(provider.Served >= 1, "the raw peer served blocks");
        Assert.Null(_node.Core.Store.StoredFile(file.Cid));
        Assert.False(_node.Core.Store.HasFileBlock(file.Cid));
    }

    [Fact]
    public async Task A_slow_provider_is_left_for_a_fast_one_during_a_fetch()
    {
        var blocks = new MemoryBlocks();
        var file = await Chainlab.Core.Files.UnixFsImporter.AddFileAsync(new MemoryStream(new Random(9).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 40 * 262144)), blocks, Chainlab.Core.Files.ImportOptions.V1);
        // Slower than this node's 300 ms for a block, yet not so slow that the fetch as a whole is given up.
        await using var slow = await ServingPeer.StartAsync(this, 40004, blocks, TimeSpan.FromMilliseconds(500));
        await using var fast = await ServingPeer.StartAsync(this, 40005, blocks, TimeSpan.Zero);
        await _node.Core.Files.EnsureAsync(file.Cid, default);
        Assert.NotNull(_node.Core.Store.StoredFile(file.Cid));
        // The least loaded provider is asked next, and one slower than 300 ms is not asked again: the fast one
        // serves nearly all. Taking turns, each would serve about half of the 41 blocks.
        Assert.InRange(slow.Served, 0, 4);
        Assert.Equal(41, slow.Served + fast.Served);
    }

    [Fact]
    public async Task A_fetched_root_whose_size_claims_do_not_hold_is_refused_and_nothing_is_kept()
    {
        var leaf = new byte[10];
        var leafCid = Chainlab.Core.Files.Cid.Of(1, Chainlab.Core.Files.Cid.Raw, leaf);
        var rootBlock = new Chainlab.Core.Files.PbNode([new Chainlab.Core.Files.PbLink(leafCid, "", 10)],
            new Chainlab.Core.Files.UnixFsData(Chainlab.Core.Files.UnixFsType.File, null, 1000, [1000]).Encode()).Encode();
        var root = Chainlab.Core.Files.Cid.Of(1, Chainlab.Core.Files.Cid.DagPb, rootBlock);
        var blocks = new MemoryBlocks();
        blocks.Blocks[root] = rootBlock;
        blocks.Blocks[leafCid] = leaf;
        await using var provider = await ServingPeer.StartAsync(this, 40006, blocks, TimeSpan.Zero);
        var e = await Assert.ThrowsAsync<Chainlab.Node.Files.FileRefusedException>(() => _node.Core.Files.EnsureAsync(root, default));
        Assert.Equal(("unsupported", 422), (e.Type, e.Status));
        Assert.Contains("holds 10 bytes where its parent says 1000", e.Message);
        Assert.Null(_node.Core.Store.StoredFile(root));
        Assert.False(_node.Core.Store.HasFileBlock(root));
    }

    [Fact]
    public async Task A_fetch_fills_in_the_parts_missing_under_a_block_the_node_already_has()
    {
        var blocks = new MemoryBlocks();
        var file = await Chainlab.Core.Files.UnixFsImporter.AddFileAsync(new MemoryStream(new Random(10).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 3 * 262144)), blocks, Chainlab.Core.Files.ImportOptions.V1);
        // A directory naming the file; the node has the file's root block only (kept as a record of its own), none of its leaves.
        var dir = await Chainlab.Core.Files.UnixFsImporter.AddDirectoryAsync([("f.bin", file)], blocks, Chainlab.Core.Files.ImportOptions.V1);
        using (var w = _node.Core.Store.WriteFile(0))
        {
            w.Put(file.Cid, blocks.Blocks[file.Cid]);
            w.Complete(new Chainlab.Node.Storage.StoredFile(file.Cid, 3 * 262144, null, null, 0, null));
        }
        await using var provider = await ServingPeer.StartAsync(this, 40007, blocks, TimeSpan.Zero);
        await _node.Core.Files.EnsureAsync(dir.Cid, default);
        Assert.All(blocks.Blocks.Keys, c => Assert.True(_node.Core.Store.HasFileBlock(c)));
        Assert.Equal(4, provider.Served); // the directory and three leaves; the file's root was here
    }

    [Fact]
    public async Task A_provider_that_never_answers_for_a_block_costs_score_and_the_fetch_ends()
    {
        var blocks = new MemoryBlocks();
        var file = await Chainlab.Core.Files.UnixFsImporter.AddFileAsync(new MemoryStream(new byte[1000]), blocks, Chainlab.Core.Files.ImportOptions.V1);
        await using var silent = await ServingPeer.StartAsync(this, 40008, blocks, TimeSpan.FromHours(1));
        var e = await Assert.ThrowsAsync<Chainlab.Node.Files.FileRefusedException>(() => _node.Core.Files.EnsureAsync(file.Cid, default));
        Assert.Contains(e.Status, new[] { 502, 504 }); // no provider left, or under the minimum rate: either way it ends
        var peer = _node.Network!.Peers.Single(p => p.NodeKey.AsSpan().SequenceEqual(silent.Key));
        Assert.True(peer.Score <= -10, $"score {peer.Score}");
    }

    /// <summary>A raw peer that says it provides every file and serves blocks from a dictionary after a delay.</summary>
    private sealed class ServingPeer : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpClient _client;
        private readonly SemaphoreSlim _writes = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _served;
        public int Served => Volatile.Read(ref _served);
        public byte[] Key { get; private set; } = [];

        private ServingPeer(System.Net.Sockets.TcpClient client) => _client = client;

        public static async Task<ServingPeer> StartAsync(DhtHardeningTests t, ushort listenPort, MemoryBlocks blocks, TimeSpan delay)
        {
            var (client, key) = await t.Connect(listenPort);
            var p = new ServingPeer(client) { Key = key.PublicKey };
            var id = Chainlab.Core.Crypto.Hash.Sha256(key.PublicKey);
            await Eventually.True(() => t._node.Network!.Peers.Any(x => x.NodeKey.AsSpan().SequenceEqual(key.PublicKey)) && t._node.Network.Dht.Table.Closest(id, 20).Any(c => c.Id == id),
                "the node linked the raw peer and knows it as a contact");
            var stream = client.GetStream();
            p._loop = Task.Run(async () =>
            {
                try
                {
                    while (!p._stop.IsCancellationRequested)
                    {
                        switch (await RawPeer.ReadFrame(stream))
                        {
                            case FindNode f: await p.Send(new Nodes(f.Nonce, [])); break;
                            case GetProviders g: await p.Send(new Providers(g.Nonce, [new PeerInfo("127.0.0.1", listenPort, key.PublicKey)], [])); break;
                            case GetFileBlock b:
                                var data = blocks.Blocks[Chainlab.Core.Files.Cid.FromBytes(b.Cid)];
                                _ = Task.Run(async () =>
                                {
                                    await Task.Delay(delay);
                                    Interlocked.Increment(ref p._served);
                                    await p.Send(new FileBlock(b.Nonce, b.Cid, true, data));
                                });
                                break;
                        }
                    }
                }
                catch (Exception) { } // the link closed
            });
            return p;
        }

        private async Task Send(Message m)
        {
            await _writes.WaitAsync();
            try { await _client.GetStream().WriteAsync(MessageCodec.Encode(m)); }
            catch (Exception) { }
            finally { _writes.Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _client.Dispose();
            await _loop;
        }
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
