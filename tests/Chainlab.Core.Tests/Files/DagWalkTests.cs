using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

public sealed class DagWalkTests
{
    /// <summary>Blocks in a dictionary, counting reads.</summary>
    private sealed class Counted : IBlockSink, IBlockSource
    {
        public readonly Dictionary<Cid, byte[]> Blocks = new();
        public readonly List<Cid> Reads = new();
        public ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct) { Blocks[cid] = block.ToArray(); return ValueTask.CompletedTask; }
        public ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct) { Reads.Add(cid); return ValueTask.FromResult(Blocks.GetValueOrDefault(cid)); }
    }

    private static byte[] Bytes(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    [Fact]
    public async Task Every_block_under_the_starts_is_reached_once_and_raw_leaves_are_never_read()
    {
        var blocks = new Counted();
        var a = await UnixFsImporter.AddFileAsync(new MemoryStream(Bytes(600_000, 1)), blocks, ImportOptions.V1);
        // The same file twice under one directory, and the directory inside another: shared subtrees.
        var inner = await UnixFsImporter.AddDirectoryAsync([("a", a), ("again", a)], blocks, ImportOptions.V1);
        var outer = await UnixFsImporter.AddDirectoryAsync([("inner", inner), ("a", a)], blocks, ImportOptions.V1);

        var reached = await DagWalk.ReachableAsync([outer.Cid, a.Cid], blocks, default);
        Assert.Equal(blocks.Blocks.Keys.ToHashSet(), reached);
        Assert.Equal(blocks.Reads.Count, blocks.Reads.Distinct().Count());
        Assert.All(blocks.Reads, c => Assert.Equal(Cid.DagPb, c.Codec));
        Assert.Equal(3, blocks.Reads.Count); // outer, inner and the file's root; its three leaves are raw
    }

    [Fact]
    public async Task A_missing_block_or_more_blocks_than_the_limit_is_a_format_error()
    {
        var blocks = new Counted();
        var a = await UnixFsImporter.AddFileAsync(new MemoryStream(Bytes(600_000, 2)), blocks, ImportOptions.V0);
        Assert.Equal(4, (await DagWalk.ReachableAsync([a.Cid], blocks, default)).Count);
        await Assert.ThrowsAsync<FormatException>(() => DagWalk.ReachableAsync([a.Cid], blocks, default, new DagLimits { MaxBlocks = 3 }));

        var leaf = PbNode.Decode(blocks.Blocks[a.Cid]).Links[1].Hash;
        blocks.Blocks.Remove(leaf);
        var e = await Assert.ThrowsAsync<FormatException>(() => DagWalk.ReachableAsync([a.Cid], blocks, default));
        Assert.Contains(leaf.ToString(), e.Message);
    }
}
