using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;
using Chainlab.Node.Files;
using Chainlab.Node.Storage;
using Chainlab.Node.Tests.Network;

namespace Chainlab.Node.Tests.Files;

/// <summary>Files between nodes: providers found through the DHT, blocks fetched from several providers and checked, a liar banned.</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class FileNetworkTests : IAsyncLifetime
{
    private readonly LoopbackNodes _net = new();
    private readonly KeyPair[] _keys = Build.Keys(3, seed: 71);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _net.DisposeAsync();

    private static byte[] Bytes(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    [Fact]
    public async Task In_sixteen_nodes_a_file_added_on_one_is_fetched_through_the_DHT_by_a_node_not_linked_to_it_and_a_lying_provider_is_banned()
    {
        var spec = LoopbackNodes.SpecNow(_keys[0], _keys[1..], 500);
        var first = await _net.StartAsync(spec, _keys[0], []);
        for (var i = 1; i < 16; i++) await _net.StartAsync(spec, null, [_net.Nodes[i - 1].Network!.Port]);
        await Eventually.True(() => _net.Nodes.All(n => n.Network!.Peers.Count >= 2), "a linked network of sixteen", 60);

        var content = Bytes(3 * 262144 + 5, 8);
        var added = await first.Core.Files.AddAsync(new MemoryStream(content), new FileAddRequest("data.bin", null, 0), default);
        await Eventually.True(() => _net.Nodes.Count(n => n.Network!.Dht.Table.Count >= 8) == 16, "routing tables filled", 30);

        // A late node linked to one node only (node 16), taking no inbound links, so never linked to node 1: it must find node 1 through the DHT.
        var late = await _net.StartAsync(spec, null, [_net.Nodes[^1].Network!.Port], maxOutbound: 1, maxInbound: 0);
        await Eventually.True(() => late.Network!.Peers.Count >= 1, "the late node linked", 30);
        Assert.DoesNotContain(late.Network!.Peers, p => Hash.Sha256(p.NodeKey) == first.Network!.Dht.SelfId);

        // Node 1 announced the file when it kept it; the record reaches the nodes closest to the file's key.
        await Eventually.True(async () => (await late.Network.Dht.FindProvidersAsync(added.Cid, default)).Providers.Any(p => p.Id == first.Network!.Dht.SelfId),
            "node 1 found as the file's provider");
        await late.Core.Files.EnsureAsync(added.Cid, default);
        var read = new MemoryStream();
        await UnixFsReader.WriteFileAsync(added.Cid, late.Core.Files, read, default);
        Assert.Equal(content, read.ToArray());
        Assert.NotNull(late.Core.Store.StoredFile(added.Cid));
        // The provider counted what it sent: four leaves and the root, once each unless a request was asked again.
        Assert.InRange(first.Network!.Dht.BlocksServed, 5, 10);

        // A liar provides a second file with every block altered; the honest copy is on node 1.
        var second = Bytes(4 * 262144, 9);
        var honest = await first.Core.Files.AddAsync(new MemoryStream(second), new FileAddRequest("second.bin", null, 0), default);
        var liar = _net.Nodes[5];
        var blocks = new MemoryBlocks();
        await UnixFsImporter.AddFileAsync(new MemoryStream(second), blocks, ImportOptions.V0);
        using (var w = liar.Core.Store.WriteFile(0))
        {
            foreach (var (c, b) in blocks.Blocks) { var bad = (byte[])b.Clone(); bad[^1] ^= 0xff; w.Put(c, bad); }
            w.Complete(new StoredFile(honest.Cid, (ulong)second.Length, null, null, 0, null));
        }
        await liar.Network!.Dht.ProvideAsync(honest.Cid, default);
        var bansBefore = late.Network.Stats.Peers.Bans;
        await Eventually.True(async () => (await late.Network.Dht.FindProvidersAsync(honest.Cid, default)).Providers.Any(p => p.Id == liar.Network.Dht.SelfId),
            "the liar's provider record is found");

        await late.Core.Files.EnsureAsync(honest.Cid, default);
        read = new MemoryStream();
        await UnixFsReader.WriteFileAsync(honest.Cid, late.Core.Files, read, default);
        Assert.Equal(second, read.ToArray());
        Assert.True(late.Network.Stats.Peers.Bans > bansBefore, "the liar was banned");
        await Eventually.True(() => late.Network.Peers.All(p => Hash.Sha256(p.NodeKey) != liar.Network.Dht.SelfId), "the liar's link closed");
    }

    [Fact]
    public async Task A_node_that_holds_a_file_names_itself_as_its_provider_even_when_its_records_reached_no_one()
    {
        var spec = LoopbackNodes.SpecNow(_keys[0], _keys[1..], 500);
        var holder = await _net.StartAsync(spec, _keys[0], []);
        // Added before any peer exists: the announcement reaches no node, so no node holds a record of it.
        var content = Bytes(2 * 262144 + 3, 12);
        var added = await holder.Core.Files.AddAsync(new MemoryStream(content), new FileAddRequest("alone.bin", null, 0), default);
        Assert.Equal(0, holder.Network!.Dht.RecordKeys);

        var asker = await _net.StartAsync(spec, null, [holder.Network.Port]);
        await Eventually.True(() => asker.Network!.Peers.Count >= 1 && asker.Network.Dht.Table.Count >= 1, "the asker linked to the holder", 30);
        Assert.Equal(0, asker.Network!.Dht.RecordKeys);
        var found = await asker.Network.Dht.FindProvidersAsync(added.Cid, default);
        Assert.Contains(found.Providers, p => p.Id == holder.Network.Dht.SelfId);

        await asker.Core.Files.EnsureAsync(added.Cid, default);
        var read = new MemoryStream();
        await UnixFsReader.WriteFileAsync(added.Cid, asker.Core.Files, read, default);
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task A_fetch_that_skips_blocks_the_node_has_references_them_so_the_collector_leaves_them()
    {
        var spec = LoopbackNodes.SpecNow(_keys[0], _keys[1..], 500);
        var holder = await _net.StartAsync(spec, _keys[0], []);
        var asker = await _net.StartAsync(spec, null, [holder.Network!.Port]);
        await Eventually.True(() => asker.Network!.Peers.Count >= 1 && asker.Network.Dht.Table.Count >= 1, "the asker linked to the holder", 30);

        // The asker has a file of its own; the holder has a directory naming the same file and another one.
        var shared = Bytes(600_000, 31);
        var own = await asker.Core.Files.AddAsync(new MemoryStream(shared), new FileAddRequest("own.bin", null, 0), default);
        var blocks = new MemoryBlocks();
        var a = await UnixFsImporter.AddFileAsync(new MemoryStream(shared), blocks, ImportOptions.V0);
        var b = await UnixFsImporter.AddFileAsync(new MemoryStream(Bytes(300_000, 32)), blocks, ImportOptions.V0);
        var dir = await UnixFsImporter.AddDirectoryAsync([("a.bin", a), ("b.bin", b)], blocks, ImportOptions.V0);
        using (var w = holder.Core.Store.WriteFile(0))
        {
            foreach (var (c, x) in blocks.Blocks) w.Put(c, x);
            w.Complete(new StoredFile(dir.Cid, 900_000, "dir", null, 0, null));
        }
        await holder.Network.Dht.ProvideAsync(dir.Cid, default);

        await Task.Delay(5); // the fetched directory's record expires after the asker's own file
        await asker.Core.Files.EnsureAsync(dir.Cid, default);
        var ownRecord = asker.Core.Store.StoredFile(own.Cid)!;
        var fetched = asker.Core.Store.StoredFile(dir.Cid)!;
        Assert.True(fetched.ExpiresMs > ownRecord.ExpiresMs);

        // The asker's own file expires and the collector runs with no grace: the directory still reads back in full from its store alone.
        asker.Core.Store.CollectFiles(ownRecord.ExpiresMs!.Value + 1, long.MaxValue);
        Assert.Null(asker.Core.Store.StoredFile(own.Cid));
        var read = new MemoryStream();
        await UnixFsReader.WriteFileAsync(a.Cid, new StoreOnly(asker.Core.Store), read, default);
        Assert.Equal(shared, read.ToArray());
        Assert.All(blocks.Blocks.Keys, c => Assert.True(asker.Core.Store.HasFileBlock(c)));
    }

    private sealed class StoreOnly(IFileStore store) : IBlockSource
    {
        public ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct) => ValueTask.FromResult(store.FileBlock(cid));
    }
}
