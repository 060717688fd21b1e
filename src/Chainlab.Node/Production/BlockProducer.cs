using Chainlab.Core.Crypto;
using Chainlab.Node.Chain;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Production;

/// <summary>Wakes at the start of every slot (injected clock) and asks the chain loop to produce.</summary>
public sealed class BlockProducer(Blockchain chain, ChainLoop loop, KeyPair key, TimeProvider time, ILogger log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var now = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
            var slot = Math.Max(chain.Clock.SlotAt(now) + 1, chain.Clock.SlotAt(chain.Head.TimestampMs) + 1);
            var wait = TimeSpan.FromMilliseconds(chain.Clock.StartOf(slot) - Math.Min(now, chain.Clock.StartOf(slot)));
            try { await Task.Delay(wait, time, ct); }
            catch (OperationCanceledException) { return; }
            try { await loop.Run(() => chain.Produce(slot, key)); }
            catch (Exception e) { log.LogError(e, "Producing block for slot {Slot} failed: {Message}", slot, e.Message); }
        }
    }
}
