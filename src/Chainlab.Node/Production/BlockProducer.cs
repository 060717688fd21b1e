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

    /// <summary>Proof of work in a simulation: this miner's share of the hash power, and its random source.</summary>
    public (SimulatedWork Work, Random Random)? Simulated { get; init; }
    private ulong Now => (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// How long a miner works on one block template before it prepares a new one with the transactions that
    /// arrived meanwhile (a mining pool refreshes its template about this often). Without it a ten-minute block
    /// carried only what was pending when its search began. Restarting loses nothing: real work starts a new nonce
    /// search, and simulated work (an exponential wait) is memoryless.
    /// </summary>
    public static readonly TimeSpan TemplateRefresh = TimeSpan.FromSeconds(30);

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
                using var refresh = new CancellationTokenSource(TemplateRefresh, time);
                using var moved = CancellationTokenSource.CreateLinkedTokenSource(ct, refresh.Token);
                var parent = draft.Header.Parent;
                // Stop the moment the head moves (a block from a peer, or ours imported).
                using (events.Subscribe<HeadChanged>(_ => { try { moved.Cancel(); } catch (ObjectDisposedException) { } }))
                {
                    if (chain.Head.Hash != parent) continue;
                    // The nonce search is CPU work on its own threads, off the node's scheduler.
                    var seal = Simulated is { } sim ? await SimulatedSealAsync(draft.Header, sim.Work, sim.Random, moved.Token)
                        : await Task.Factory.StartNew(() => chain.Engine.Seal(draft.Header, key, moved.Token), CancellationToken.None,
                            TaskCreationOptions.LongRunning, TaskScheduler.Default);
                    if (seal is null) continue; // the head moved: start again on the new one
                    await Loop.Run(() => chain.Submit(draft with { Header = draft.Header with { Seal = seal } }));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (OperationCanceledException) { } // the head moved under a simulated search, or the template aged: start again
            catch (Exception e)
            {
                log.LogError(e, "Mining failed: {Message}", e.Message);
                try { await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>
    /// A simulated search: the time to a block is exponential with mean blockTime × difficulty / (initial
    /// difficulty × share), as if the network's hash power at the start were initial difficulty per block time.
    /// </summary>
    private async Task<byte[]?> SimulatedSealAsync(Chainlab.Core.Model.BlockHeader draft, SimulatedWork work, Random random, CancellationToken moved)
    {
        var spec = chain.Spec;
        var meanMs = spec.BlockTimeMs * (double)Chainlab.Core.Consensus.Pow.PowEngine.DifficultyOf(draft) / (spec.Consensus.InitialDifficulty * work.HashShare);
        var waitMs = -Math.Log(1 - random.NextDouble()) * meanMs;
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(waitMs, TimeSpan.FromDays(365).TotalMilliseconds)), time, moved);
        return Chainlab.Core.Consensus.Pow.PowEngine.SealWith(draft, (ulong)random.NextInt64());
    }
}

/// <summary>A simulated miner's share of the network's hash power (0 for a node that only checks); see NodeOptions.SimulatedWork.</summary>
public sealed record SimulatedWork(double HashShare);
