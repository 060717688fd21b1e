using System.Collections.Concurrent;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Chain;

/// <summary>
/// The transaction signatures of blocks being imported, checked once. A transaction pending in the mempool
/// was checked on admission, and one checked ahead (<see cref="CheckAhead"/>: sync imports a run of blocks in
/// order, so the next block's signatures are checked on the thread pool while this one executes) has bytes
/// identical to one already verified (the hash covers every byte, signature included). Only valid signatures
/// are remembered, so a bad one is still caught, and reported, by the import itself.
/// </summary>
/// <remarks>
/// <paramref name="parallelism"/>: how many threads may check at once, the node's scheduler's concurrency level. A
/// simulator's scheduler runs every node on one thread (1): the checks run in line, none ahead on the thread pool.
/// </remarks>
public sealed class SignatureChecks(Func<IPendingTransactions> pending, Func<Transaction, bool>? verify = null, int parallelism = int.MaxValue)
{
    private readonly Func<Transaction, bool> _verify = verify ?? (t => t.VerifySignature());
    private const int MaxRemembered = 1_000_000;
    private const int MaxAhead = 64;
    private readonly ConcurrentDictionary<Hash, byte> _verified = new();
    private readonly ConcurrentDictionary<Hash, Task> _ahead = new();

    /// <summary>Starts checking a block's signatures in the background, unless too many checks are already running.</summary>
    public void CheckAhead(Block block)
    {
        if (block.Transactions.Count == 0 || parallelism <= 1) return;
        if (_ahead.Count >= MaxAhead)
            foreach (var done in _ahead.Where(kv => kv.Value.IsCompleted).Select(kv => kv.Key).ToList()) _ahead.TryRemove(done, out _);
        if (_verified.Count > MaxRemembered) _verified.Clear(); // left by blocks that were never imported
        if (_ahead.Count >= MaxAhead) return;
        _ahead.TryAdd(block.Hash, Task.Run(() =>
        {
            var txs = pending().NotPending(block.Transactions);
            Parallel.ForEach(txs, t => { if (_verify(t)) _verified.TryAdd(t.Hash, 0); });
        }));
    }

    /// <summary>The first of the block's transactions whose signature does not verify, or null when all do.</summary>
    public Transaction? FirstBad(Block block)
    {
        if (_ahead.TryRemove(block.Hash, out var ahead)) ahead.Wait();
        var unverified = pending().NotPending(block.Transactions);
        if (!_verified.IsEmpty)
        {
            unverified = unverified.Where(t => !_verified.ContainsKey(t.Hash)).ToList();
            foreach (var t in block.Transactions) _verified.TryRemove(t.Hash, out _);
        }
        if (parallelism <= 1) return unverified.FirstOrDefault(t => !_verify(t));
        var bad = -1;
        Parallel.For(0, unverified.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(parallelism, Environment.ProcessorCount) }, (i, state) =>
        {
            if (!_verify(unverified[i])) { Volatile.Write(ref bad, i); state.Stop(); }
        });
        return bad >= 0 ? unverified[bad] : null;
    }
}
