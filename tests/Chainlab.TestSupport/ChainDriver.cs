using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;

namespace Chainlab.TestSupport;

/// <summary>
/// Drives one node's chain by hand on a manual clock: moves the clock to a slot and lets a key produce there
/// (the same chain-loop path the slot timer uses), or imports a block once its time has come.
/// </summary>
public sealed class ChainDriver(Blockchain chain, ManualTime time)
{
    public Blockchain Chain => chain;

    /// <summary>The slot after the head's.</summary>
    public ulong NextSlot => chain.Clock.SlotAt(chain.Head.TimestampMs) + 1;

    /// <summary>Moves the clock forward to ms (never back).</summary>
    public void AdvanceTo(ulong ms) => time.SetTo(DateTimeOffset.FromUnixTimeMilliseconds((long)ms));

    /// <summary>Sets the clock to ms and lets key try to produce there; the block is null when the key has no right then.</summary>
    public Task<(Block? Block, ImportResult Result)> TryAt(ulong ms, KeyPair key)
    {
        AdvanceTo(ms);
        return chain.Loop.Run(() => chain.ProduceAt(ms, key));
    }

    /// <summary>Walks the slots from the next one until one of these keys may produce, produces that block and checks it was imported.</summary>
    public async Task<Block> ProduceAsync(params KeyPair[] keys)
    {
        for (var slot = NextSlot; ; slot++)
            foreach (var k in keys)
                if (await TryAt(chain.Clock.StartOf(slot), k) is ({ } block, var result))
                {
                    Assert.True(result.Status == ImportStatus.Imported, $"own block {block.Height} was not imported: {result.Reason}");
                    return block;
                }
    }

    /// <summary>Imports a block through the one pipeline, first moving the clock to its time if it is ahead.</summary>
    public Task<ImportResult> ImportAsync(Block block)
    {
        AdvanceTo(block.Header.TimestampMs);
        return chain.ImportAsync(block);
    }
}
