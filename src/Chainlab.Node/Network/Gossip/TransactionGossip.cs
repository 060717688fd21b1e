using Chainlab.Node.Common;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Gossip;

/// <summary>
/// Transactions between peers: announced by hash, fetched by the peers that lack them, admitted through the
/// mempool's one admission function. Admitted transactions are announced in short batches, and again while they
/// are pending (gossip can lose them), at doubling intervals, and transactions that arrive ahead of an earlier nonce wait in a
/// bounded gap buffer until the gap closes.
/// </summary>
internal sealed class TransactionGossip : IDisposable
{
    private readonly ITransactionAdmission _pool;
    private readonly IPeerLinks _links;
    private readonly PeerOptions _options;
    private readonly TimeProvider _time;
    private readonly GapBuffer _gaps;
    private readonly SeenCache _seen;
    private readonly WorkQueue<Hash> _outgoing = new();
    private readonly IDisposable _admitted;
    // When each admitted transaction is announced again (if still pending), and the wait after that one.
    private readonly PriorityQueue<(Hash Hash, int Times), DateTimeOffset> _again = new();

    /// <summary>How many times a pending transaction is announced again at doubling waits after its first announcement.</summary>
    public const int Reannouncements = 3;
    /// <summary>After those, how often it is announced again while it stays pending.</summary>
    public static readonly TimeSpan SlowReannounce = TimeSpan.FromMinutes(10);

    public TransactionGossip(ITransactionAdmission pool, NodeEvents events, IPeerLinks links, PeerOptions options, TimeProvider time)
    {
        _pool = pool; _links = links; _options = options; _time = time;
        _gaps = new GapBuffer(50_000, TimeSpan.FromMinutes(2), time);
        _seen = new SeenCache(400_000, TimeSpan.FromSeconds(5), time);
        _admitted = events.Subscribe<TransactionsAdmitted>(e =>
        {
            var due = _time.GetUtcNow() + _options.ReannounceInterval;
            foreach (var h in e.Hashes)
            {
                _seen.Add(h);
                _outgoing.TryWrite(h);
                if (!_options.BlocksOnly) lock (_again) _again.Enqueue((h, 1), due);
            }
            if (!_options.BlocksOnly) Interlocked.Exchange(ref _againWake, null)?.TrySetResult();
        });
    }

    public void Start(CancellationToken stop)
    {
        _ = _links.Spawn(() => AnnounceAdmitted(stop));
        _ = _links.Spawn(() => Reannounce(stop));
    }

    /// <summary>
    /// Announces newly admitted transactions in batches: after the first one arrives, whatever else is
    /// admitted in the next <see cref="PeerOptions.TransactionBatchWait"/> (20 ms on a devnet) goes in the same messages. (Transactions admitted one at a time, as a
    /// closed nonce gap releases them, used to go out one hash per message: thousands of messages a
    /// second, and the peers banned the node for flooding.)
    /// </summary>
    private async Task AnnounceAdmitted(CancellationToken stop)
    {
        try
        {
            while (await _outgoing.WaitToReadAsync(stop))
            {
                await Task.Delay(_options.TransactionBatchWait, _time, stop);
                var batch = new List<Hash>();
                while (_outgoing.TryRead(out var h)) batch.Add(h);
                Announce(batch);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Gossip can lose a transaction (a peer that disconnected before answering, a reply cut short), so a
    /// pending transaction is announced again one interval after its admission, then after twice that and four
    /// times that (6, 18 and 42 s after it by default), then every <see cref="SlowReannounce"/> while it stays
    /// pending (a peer that refused it once, full or behind, gets another chance); a new link hears what is
    /// pending (<see cref="OnLinked"/>). Peers that hold it ignore the announcement; others fetch it
    /// once the earlier request has aged out. (Announcing every pending transaction at every interval, as before,
    /// made a node with a large pool, as ten-minute blocks leave it, send its whole pool to every peer every few
    /// seconds: 26 MB a node in five simulated minutes of 200 nodes at 7 transfers a second, 6 MB now.)
    /// </summary>
    private async Task Reannounce(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await UntilSomethingPending(stop);
                await Task.Delay(_options.ReannounceInterval, _time, stop);
            }
            catch (OperationCanceledException) { return; }
            Announce(DueAgain(_time.GetUtcNow()));
        }
    }

    private TaskCompletionSource? _againWake;

    /// <summary>
    /// Returns at once while anything waits to be announced again; otherwise when a transaction is admitted (never,
    /// on a blocks-only node): a node with nothing pending does not wake every interval for nothing.
    /// </summary>
    private async Task UntilSomethingPending(CancellationToken stop)
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_again)
        {
            if (_again.Count > 0) return;
            _againWake = wake;
        }
        // Awaited as it is, cancelled through a registration (WaitAsync would complete through the thread pool,
        // off a simulator's scheduler).
        using (stop.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), wake))
            await wake.Task;
    }

    /// <summary>The pending transactions due to be announced again now; each is queued for its next, later time.</summary>
    internal List<Hash> DueAgain(DateTimeOffset now)
    {
        var due = new List<Hash>();
        lock (_again)
        {
            while (due.Count < 4 * WireLimits.MaxHashesPerMessage && _again.TryPeek(out var e, out var at) && at <= now)
            {
                _again.Dequeue();
                if (!_pool.Contains(e.Hash)) continue; // in a block, replaced or evicted: never again
                due.Add(e.Hash);
                _again.Enqueue((e.Hash, e.Times + 1), now + (e.Times < Reannouncements ? _options.ReannounceInterval * (1 << e.Times) : SlowReannounce));
            }
        }
        return due;
    }

    private void Announce(IEnumerable<Hash> hashes)
    {
        if (_options.BlocksOnly) return;
        foreach (var chunk in hashes.Chunk(WireLimits.MaxHashesPerMessage)) _links.Broadcast(new AnnounceTxs(chunk));
    }

    /// <summary>Announcements made before a link existed never reached it: tell a new peer what is pending now.</summary>
    public async Task OnLinked(Peer peer)
    {
        if (_options.BlocksOnly) return;
        foreach (var chunk in _pool.PendingHashes(4 * WireLimits.MaxHashesPerMessage).Chunk(WireLimits.MaxHashesPerMessage))
            await _links.Send(peer, new AnnounceTxs(chunk));
    }

    /// <summary>A block may have carried the transaction a waiting one was missing.</summary>
    public void OnNewHead()
    {
        if (_gaps.Count > 0) CloseGaps(_gaps.Senders());
    }

    public async Task Handle(Peer peer, AnnounceTxs a)
    {
        if (_options.BlocksOnly) return;
        var wanted = a.Hashes.Where(h => _seen.Add(h) && !_pool.Contains(h)).ToList();
        if (wanted.Count > 0) await _links.Send(peer, new GetTxs(wanted));
    }

    public Task Handle(Peer peer, GetTxs g)
    {
        var txs = g.Hashes.Select(h => _pool.Get(h)).OfType<Transaction>().Select(t => t.Raw).ToList();
        long total = 0;
        return _links.Send(peer, new Txs(txs.TakeWhile(x => (total += x.Length + 4) <= WireLimits.MaxTxsBytes).ToList()));
    }

    public void Handle(Peer peer, Txs t)
    {
        if (t.Raw.Count == 0) return;
        var results = _pool.Admit(t.Raw);
        // An honest peer relays only what its own mempool admitted: a transaction that fails a stateless rule
        // is proof of misbehaviour, and one its sender cannot pay for costs the peer a point each.
        var bad = Array.Find(results, r => r.Result.Error is TxError.Malformed or TxError.BadSignature or TxError.TooLarge
            or TxError.WrongChain or TxError.UnsupportedKind or TxError.ZeroAmount or TxError.FeeTooLow);
        if (bad.Result.Error != TxError.None) throw new ProtocolViolation($"sent a transaction no honest node relays ({bad.Result.Error.Slug()})");
        var unpayable = results.Count(r => r.Result.Error == TxError.InsufficientBalance);
        if (unpayable > 0) peer.Penalise(unpayable, $"sent {unpayable} transactions their senders cannot pay for");
        // Only when something waits or has to wait: decoding every gossiped transaction again would be wasted.
        if (_gaps.Count == 0 && !results.Any(r => r.Result.Error == TxError.NonceGap)) return;
        var touched = new HashSet<Address>();
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Result.Error == TxError.NonceGap) { var gap = Transaction.Decode(t.Raw[i]); _gaps.Add(gap); touched.Add(gap.Sender); }
            else if (results[i].Accepted) touched.Add(Transaction.Decode(t.Raw[i]).Sender);
        }
        CloseGaps(touched);
    }

    /// <summary>Admits waiting transactions whose sender's next nonce has arrived, in nonce order.</summary>
    private void CloseGaps(IEnumerable<Address> senders)
    {
        foreach (var sender in senders)
            while (_gaps.Take(sender, _pool.NextNonce(sender)) is { } next)
                if (!_pool.Admit([next.Raw])[0].Accepted) break;
    }

    public void Dispose() => _admitted.Dispose();
}
