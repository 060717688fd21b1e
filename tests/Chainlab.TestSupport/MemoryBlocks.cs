using Chainlab.Core.Files;

namespace Chainlab.TestSupport;

/// <summary>Blocks in a dictionary: a sink for the importer (it checks every block against its CID) and a source for the reader.</summary>
public sealed class MemoryBlocks : IBlockSink, IBlockSource
{
    public readonly Dictionary<Cid, byte[]> Blocks = new();
    public int Puts { get; private set; }

    public ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        Assert.True(cid.Matches(block.Span), $"the importer made {cid} for other bytes");
        Blocks[cid] = block.ToArray();
        Puts++;
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct) => ValueTask.FromResult(Blocks.GetValueOrDefault(cid));
}
