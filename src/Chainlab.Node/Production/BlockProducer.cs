using Chainlab.Core.Crypto;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;

namespace Chainlab.Node.Production;

/// <summary>
/// Drives production for one key. Slot engines (PoA, PoS) wake on the engine's tick (injected clock) and
/// ask the chain loop to produce; the engine decides whether the key has the right. Proof of work mines
/// instead: the block is prepared on the chain loop, the nonce search runs on its own threads and stops
/// as soon as the head moves, and the sealed block goes back through the import pipeline.
/// </summary>
public sealed class BlockProducer(Blockchain chain, NodeEvents events, KeyPair key, TimeProvider time, ILogger log)
{
    private ChainLoop Loop => chain.Loop;
    private ulong Now => (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task RunAsync(CancellationToken ct)
    {
        var tick = chain.Engine.TickMs;
        if (tick == 0) { await MineAsync(ct); return; }
        var genesis = chain.Spec.GenesisTimeMs;
        while (!ct.IsCancellationRequested)
        {
            var now = Now;
            var next = now < genesis ? genesis : genesis + ((now - genesis) / tick + 1) * tick;
            try { await Task.Delay(TimeSpan.FromMilliseconds(next - now), time, ct); }
            catch (OperationCanceledException) { return; }
            try { await Loop.Run(() => chain.ProduceAt(next, key)); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Producing a block at {Time} failed: {Message}", next, e.Message); }
        }
    }

    private async Task MineAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var draft = await Loop.Run(() => chain.Prepare(Now, key));
                if (draft is null) { await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct); continue; }
                using var moved = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var parent = draft.Header.Parent;
                // Stop the moment the head moves (a block from a peer, or ours imported).
                using (events.Subscribe<HeadChanged>(_ => { try { moved.Cancel(); } catch (ObjectDisposedException) { } }))
                {
                    if (chain.Head.Hash != parent) continue;
                    // The nonce search is CPU work on its own threads, off the node's scheduler.
                    var seal = await Task.Factory.StartNew(() => chain.Engine.Seal(draft.Header, key, moved.Token), CancellationToken.None,
                        TaskCreationOptions.LongRunning, TaskScheduler.Default);
                    if (seal is null) continue; // the head moved: start again on the new one
                    await Loop.Run(() => chain.Submit(draft with { Header = draft.Header with { Seal = seal } }));
                }
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                log.LogError(e, "Mining failed: {Message}", e.Message);
                try { await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
