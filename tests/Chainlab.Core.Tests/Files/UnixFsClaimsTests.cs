using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

public sealed class UnixFsClaimsTests
{
    private static (Cid, byte[]) Node(UnixFsData fs, params PbLink[] links) { var b = new PbNode(links, fs.Encode()).Encode(); return (Cid.Of(1, Cid.DagPb, b), b); }
    private static readonly Cid Leaf = Cid.Of(1, Cid.Raw, new byte[7]);

    [Fact]
    public async Task Every_node_the_importer_makes_keeps_its_claims()
    {
        var blocks = new Dictionary<Cid, byte[]>();
        var sink = new Sink(blocks);
        var root = await UnixFsImporter.AddFileAsync(new MemoryStream(new byte[3 * 262144 + 11]), sink, ImportOptions.V0);
        foreach (var (cid, block) in blocks)
            foreach (var (part, size) in UnixFsClaims.Check(cid, block)) UnixFsClaims.CheckPart(part, blocks[part], size);
        Assert.Equal((ulong)(3 * 262144 + 11), UnixFsClaims.ContentSize(root.Cid, blocks[root.Cid]));
    }

    [Fact]
    public void A_size_that_disagrees_with_the_parts_or_overflows_or_a_missing_block_size_is_refused()
    {
        Assert.Throws<FormatException>(() => UnixFsClaims.Check(Node(new UnixFsData(UnixFsType.File, null, 5, [7]), new PbLink(Leaf, "", 7)).Item1, Node(new UnixFsData(UnixFsType.File, null, 5, [7]), new PbLink(Leaf, "", 7)).Item2));
        var (big, bigBlock) = Node(new UnixFsData(UnixFsType.File, null, null, [ulong.MaxValue, 2]), new PbLink(Leaf, "", 7), new PbLink(Leaf, "", 7));
        Assert.Throws<FormatException>(() => UnixFsClaims.Check(big, bigBlock));
        var (missing, missingBlock) = Node(new UnixFsData(UnixFsType.File, null, 7, []), new PbLink(Leaf, "", 7));
        Assert.Throws<FormatException>(() => UnixFsClaims.Check(missing, missingBlock));
        var (ok, okBlock) = Node(new UnixFsData(UnixFsType.File, null, 7, [7]), new PbLink(Leaf, "", 7));
        Assert.Equal([(Leaf, 7UL)], UnixFsClaims.Check(ok, okBlock));
        Assert.Throws<FormatException>(() => UnixFsClaims.CheckPart(Leaf, new byte[7], 8));
        var (dir, dirBlock) = Node(new UnixFsData(UnixFsType.Directory), new PbLink(Leaf, "x", 7));
        Assert.Empty(UnixFsClaims.Check(dir, dirBlock));
        Assert.Null(UnixFsClaims.ContentSize(dir, dirBlock));
    }

    private sealed class Sink(Dictionary<Cid, byte[]> blocks) : IBlockSink
    {
        public ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct) { blocks[cid] = block.ToArray(); return ValueTask.CompletedTask; }
    }
}
