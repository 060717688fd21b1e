using Chainlab.Core.Rules;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;

namespace Chainlab.Node.Mempool;

/// <summary>
/// Pending transactions. <see cref="Admit"/> is the one way in for every source (API, peers, CLI):
/// decode, size, chain id, signature (verified in parallel on all cores), nonce, balance, fee, limits.
/// Per sender, transactions are kept in nonce order without gaps; across senders, block building
/// picks by fee. When full, the lowest-fee transaction that ends its sender's queue is evicted.
/// </summary>
public sealed class TransactionPool : ITransactionAdmission, IPendingTransactions, IDisposable
{
    private sealed class SenderQueue
    {
        public readonly List<Entry> Txs = new(); // nonce order, contiguous
        public ulong PendingDebit;
    }

    private sealed record Entry(Transaction Tx, ulong Debit, long Seq, ulong AdmittedAtHeight);

    private readonly object _lock = new();
    private readonly Dictionary<Hash, Entry> _byHash = new();
    private readonly Dictionary<Address, SenderQueue> _bySender = new();
    // Tail (highest nonce) of each sender, ordered by fee then age: the eviction candidates.
    private readonly SortedSet<(ulong Fee, long NegSeq, Address Sender)> _tails = new();
    private readonly Dictionary<Hash, string> _rejected = new();
    private readonly Queue<Hash> _rejectedOrder = new();
    private readonly ChainRules _rules;
    private readonly IChainReader _chain;
    private readonly IDisposable[] _subscriptions;
    private readonly MempoolOptions _options;
    private readonly NodeEvents? _events;
    private long _seq;
    private ulong _headHeight;

    /// <param name="rules">The chain's rules.</param>
    /// <param name="chain">The chain: the pool reads its committed head state (a frozen snapshot: the pool never sees a block half applied).</param>
    /// <param name="options">Capacity and per-sender limits.</param>
    /// <param name="events">The node's events: the pool follows the chain through <see cref="BlockConnected"/> and
    /// <see cref="Reorganised"/>, and publishes <see cref="TransactionsAdmitted"/> (outside its lock).</param>
    public TransactionPool(ChainRules rules, IChainReader chain, MempoolOptions options, NodeEvents events, Func<Transaction, bool>? verifySignature = null, int parallelism = int.MaxValue)
    {
        _rules = rules; _chain = chain; _options = options; _events = events;
        _verify = verifySignature ?? (t => t.VerifySignature());
        _parallelism = Math.Min(parallelism, Environment.ProcessorCount);
        _subscriptions =
        [
            events.Subscribe<BlockConnected>(e => OnBlockCommitted(e.Block)),
            events.Subscribe<Reorganised>(e => OnReorganised(e.To.Height, e.OrphanedTransactions)),
        ];
    }

    private readonly Func<Transaction, bool> _verify;
    // How many threads the stateless checks of a batch may use: the node's scheduler's concurrency level (1 in a simulator).
    private readonly int _parallelism;

    private IAccountReader HeadState => _chain.Committed.State;

    public void Dispose() { foreach (var s in _subscriptions) s.Dispose(); }

    IReadOnlyList<Transaction> IPendingTransactions.Select(int max, ulong height) => Select(max, height);

    public int Count { get { lock (_lock) return _byHash.Count; } }

    /// <summary>The canonical bytes of every pending transaction together.</summary>
    public long Bytes { get { lock (_lock) return _byHash.Values.Sum(e => (long)e.Tx.Raw.Length); } }


    public bool Contains(in Hash hash) { lock (_lock) return _byHash.ContainsKey(hash); }

    /// <summary>
    /// Which of these transactions are not in the pool (so their signatures have not been checked here).
    /// One lock for the whole block instead of one per transaction.
    /// </summary>
    public List<Transaction> NotPending(IReadOnlyList<Transaction> txs)
    {
        var missing = new List<Transaction>(txs.Count);
        lock (_lock)
            foreach (var t in txs) if (!_byHash.ContainsKey(t.Hash)) missing.Add(t);
        return missing;
    }

    public Transaction? Get(in Hash hash) { lock (_lock) return _byHash.TryGetValue(hash, out var e) ? e.Tx : null; }

    public string? RejectionReason(in Hash hash) { lock (_lock) return _rejected.GetValueOrDefault(hash); }

    /// <summary>The nonce the sender's next transaction should carry, counting pending ones.</summary>
    public ulong NextNonce(in Address sender)
    {
        lock (_lock)
        {
            var nonce = HeadState.Get(sender).Nonce;
            if (!_bySender.TryGetValue(sender, out var q)) return nonce;
            return Math.Max(nonce, q.Txs[^1].Tx.Nonce + 1);
        }
    }

    private readonly long[] _outcomes = new long[Enum.GetValues<TxError>().Length];

    /// <summary>Transactions admitted (<see cref="TxError.None"/>) and refused by each cause since the node started.</summary>
    public IReadOnlyDictionary<TxError, long> Outcomes =>
        Enum.GetValues<TxError>().ToDictionary(e => e, e => Interlocked.Read(ref _outcomes[(int)e]));

    /// <summary>Admits raw canonical transactions, in order. Results line up with the input.</summary>
    public Admission[] Admit(IReadOnlyList<byte[]> raws)
    {
        var results = new Admission[raws.Count];
        var txs = new Transaction?[raws.Count];
        // Stateless work in parallel: decode, static rules, signature.
        if (_parallelism <= 1)
            for (var i = 0; i < raws.Count; i++) results[i] = Precheck(raws[i], out txs[i]);
        else
            Parallel.For(0, raws.Count, new ParallelOptions { MaxDegreeOfParallelism = _parallelism }, () => 0, (i, _, _) =>
            {
                results[i] = Precheck(raws[i], out txs[i]);
                return 0;
            }, _ => { });

        var accepted = new List<Hash>(raws.Count);
        lock (_lock)
        {
            for (var i = 0; i < raws.Count; i++)
            {
                if (txs[i] is not { } tx)
                {
                    // Refused before the signature check for what the sender can pay: remembered for lookups as before.
                    if (results[i] is { Hash: { } h, Result.Error: TxError.InsufficientBalance }) Remember(h, results[i].Result);
                    continue;
                }
                var r = AdmitLocked(tx);
                results[i] = new Admission(tx.Hash, r);
                if (r.IsOk) accepted.Add(tx.Hash);
                else Remember(tx.Hash, r);
            }
        }
        if (accepted.Count > 0) _events?.Publish(new TransactionsAdmitted(accepted));
        if (_events is not null && Array.FindAll(txs, t => t?.Kind == TxKind.Vote) is { Length: > 0 } voteTxs)
        {
            var votes = new List<Chainlab.Core.Finality.Vote>();
            foreach (var t in voteTxs)
            {
                try { votes.AddRange(Chainlab.Core.Finality.VoteBatch.Decode(t!.Payload)); }
                catch (DecodeException) { }
            }
            if (votes.Count > 0) _events.Publish(new VotesHeard(votes));
        }
        foreach (var r in results) Interlocked.Increment(ref _outcomes[(int)r.Result.Error]);
        return results;
    }

    private Admission Precheck(byte[] raw, out Transaction? tx)
    {
        tx = null;
        if (raw.Length > Limits.MaxTransactionBytes)
            return new Admission(null, new(TxError.TooLarge, $"transaction is {raw.Length} bytes; the limit is {Limits.MaxTransactionBytes}"));
        Transaction t;
        try { t = Transaction.Decode(raw); }
        catch (DecodeException e) { return new Admission(null, new(TxError.Malformed, e.Message)); }
        var r = _rules.CheckStateless(t);
        if (!r.IsOk) return new Admission(t.Hash, r);
        // The cheap checks against the head state come before the 45 µs signature check, so a flood of signed
        // transactions from unfunded accounts (or replays of included ones) costs almost nothing. A nonce below
        // the account's is already in a block (gossip often brings transactions a block has just carried).
        var account = HeadState.Get(t.Sender);
        if (t.Nonce < account.Nonce)
            return new Admission(t.Hash, new(TxError.NonceTooLow, $"nonce {t.Nonce} was already used; next is {account.Nonce}"));
        if (!_rules.TryDebit(t, out var debit)) return new Admission(t.Hash, new(TxError.Overflow, "amount plus fee overflows"));
        if (account.Balance < debit)
            return new Admission(t.Hash, new(TxError.InsufficientBalance, $"balance {account.Balance} is less than amount plus fee {debit}"));
        if (!_verify(t)) return new Admission(t.Hash, new(TxError.BadSignature, "signature does not match the sender key"));
        tx = t;
        return new Admission(t.Hash, TxRejection.Ok);
    }

    private TxRejection AdmitLocked(Transaction tx)
    {
        if (_byHash.ContainsKey(tx.Hash)) return new(TxError.Duplicate, "transaction is already pending");
        if (!_rules.TryDebit(tx, out var debit)) return new(TxError.Overflow, "amount plus fee overflows");
        var head = HeadState;
        var account = head.Get(tx.Sender);
        _bySender.TryGetValue(tx.Sender, out var q);
        // Entries below the account nonce are already in a block and about to be removed.
        // The queue is nonce-contiguous, so the stale entries are a prefix.
        var live = 0; ulong liveDebit = 0;
        if (q is not null)
        {
            var stale = (int)Math.Min((ulong)q.Txs.Count, account.Nonce > q.Txs[0].Tx.Nonce ? account.Nonce - q.Txs[0].Tx.Nonce : 0);
            live = q.Txs.Count - stale;
            liveDebit = q.PendingDebit;
            for (var i = 0; i < stale; i++) liveDebit -= q.Txs[i].Debit;
        }
        var expected = account.Nonce + (ulong)live;
        if (tx.Nonce < expected)
            return new(TxError.NonceTooLow, $"nonce {tx.Nonce} is already used or pending; next is {expected}");
        if (tx.Nonce > expected)
            return new(TxError.NonceGap, $"nonce {tx.Nonce} leaves a gap; next is {expected}");
        if (live >= _options.PerSenderLimit)
            return new(TxError.SenderLimit, $"sender already has {live} pending transactions (limit {_options.PerSenderLimit})");
        if (account.Balance < liveDebit || account.Balance - liveDebit < debit)
            return new(TxError.InsufficientBalance,
                $"balance {account.Balance} minus pending {liveDebit} does not cover amount plus fee {debit}");
        var after = account with { Balance = account.Balance - liveDebit - debit, Nonce = tx.Nonce + 1 };
        if (_rules.CheckAdmission(head, tx, after) is { IsOk: false } refused) return refused;
        if (_byHash.Count >= _options.Capacity && !EvictFor(tx))
            return new(TxError.MempoolFull, $"mempool is full ({_options.Capacity}) and the fee {tx.Fee} does not beat the lowest");

        q ??= _bySender[tx.Sender] = new SenderQueue();
        if (q.Txs.Count > 0) _tails.Remove(TailKey(q.Txs[^1]));
        var entry = new Entry(tx, debit, ++_seq, _headHeight);
        q.Txs.Add(entry);
        q.PendingDebit += debit;
        _tails.Add(TailKey(entry));
        _byHash[tx.Hash] = entry;
        return TxRejection.Ok;
    }

    private static (ulong, long, Address) TailKey(Entry e) => (e.Tx.Fee, -e.Seq, e.Tx.Sender);

    private bool EvictFor(Transaction incoming)
    {
        if (_tails.Count == 0) return false;
        var lowest = _tails.Min;
        if (lowest.Fee >= incoming.Fee || lowest.Sender == incoming.Sender) return false;
        var q = _bySender[lowest.Sender];
        var victim = q.Txs[^1];
        RemoveTail(q, victim);
        Remember(victim.Tx.Hash, new(TxError.MempoolFull, "evicted by a higher-fee transaction while the mempool was full"));
        return true;
    }

    private void RemoveTail(SenderQueue q, Entry victim)
    {
        _tails.Remove(TailKey(victim));
        q.Txs.RemoveAt(q.Txs.Count - 1);
        q.PendingDebit -= victim.Debit;
        _byHash.Remove(victim.Tx.Hash);
        if (q.Txs.Count > 0) _tails.Add(TailKey(q.Txs[^1]));
        else _bySender.Remove(victim.Tx.Sender);
    }

    private void Remember(in Hash hash, TxRejection r)
    {
        if (_rejected.TryAdd(hash, $"{r.Error.Slug()}: {r.Detail}"))
        {
            _rejectedOrder.Enqueue(hash);
            while (_rejectedOrder.Count > _options.RejectedMemory) _rejected.Remove(_rejectedOrder.Dequeue());
        }
    }

    /// <summary>
    /// Picks up to max transactions for a block at height: nonce order per sender, highest fee first
    /// across senders, honouring the spec's inclusion delay.
    /// </summary>
    public List<Transaction> Select(int max, ulong height)
    {
        lock (_lock)
        {
            var picked = new List<Transaction>(Math.Min(max, _byHash.Count));
            var state = HeadState;
            var heads = new PriorityQueue<(SenderQueue Q, int Pos), (ulong NegFee, long Seq)>();
            foreach (var q in _bySender.Values)
            {
                var nonce = state.Get(q.Txs[0].Tx.Sender).Nonce;
                var pos = q.Txs.FindIndex(e => e.Tx.Nonce >= nonce);
                if (pos >= 0) heads.Enqueue((q, pos), Priority(q.Txs[pos]));
            }
            while (picked.Count < max && heads.TryDequeue(out var item, out _))
            {
                var e = item.Q.Txs[item.Pos];
                if (e.AdmittedAtHeight + _rules.Spec.InclusionDelay > height) continue; // not yet; later nonces wait too
                picked.Add(e.Tx);
                if (item.Pos + 1 < item.Q.Txs.Count) heads.Enqueue((item.Q, item.Pos + 1), Priority(item.Q.Txs[item.Pos + 1]));
            }
            return picked;
        }
    }

    // Highest fee first; evidence (which may pay none) before everything: a double signer is punished in the next block.
    private static (ulong, long) Priority(Entry e) => (e.Tx.Kind is TxKind.Evidence or TxKind.VoteEvidence ? 0 : ulong.MaxValue - e.Tx.Fee, e.Seq);

    /// <summary>Drops transactions a committed block included (and any that its state made stale).</summary>
    private void OnBlockCommitted(Block block)
    {
        lock (_lock)
        {
            _headHeight = block.Height;
            var state = HeadState;
            var senders = new HashSet<Address>();
            foreach (var tx in block.Transactions) senders.Add(tx.Sender);
            foreach (var sender in senders)
            {
                if (!_bySender.TryGetValue(sender, out var q)) continue;
                var nonce = state.Get(sender).Nonce;
                var n = 0;
                while (n < q.Txs.Count && q.Txs[n].Tx.Nonce < nonce) n++;
                if (n == 0) continue;
                _tails.Remove(TailKey(q.Txs[^1]));
                for (var i = 0; i < n; i++) { _byHash.Remove(q.Txs[i].Tx.Hash); q.PendingDebit -= q.Txs[i].Debit; }
                q.Txs.RemoveRange(0, n);
                if (q.Txs.Count == 0) _bySender.Remove(sender);
                else _tails.Add(TailKey(q.Txs[^1]));
            }
        }
    }

    /// <summary>
    /// After a reorganisation the state under the pool changed: transactions from abandoned blocks come
    /// back, and every pending one is checked again against the new state (their signatures were checked
    /// when they first arrived, here or in a block).
    /// </summary>
    private void OnReorganised(ulong headHeight, IReadOnlyList<Transaction> orphaned)
    {
        var accepted = new List<Hash>();
        lock (_lock)
        {
            _headHeight = headHeight;
            var all = orphaned.Concat(_byHash.Values.OrderBy(e => e.Seq).Select(e => e.Tx))
                .DistinctBy(t => t.Hash).OrderBy(t => t.Sender).ThenBy(t => t.Nonce).ToList();
            _byHash.Clear(); _bySender.Clear(); _tails.Clear();
            foreach (var tx in all)
            {
                var r = AdmitLocked(tx);
                if (r.IsOk) accepted.Add(tx.Hash);
                else if (r.Error != TxError.NonceTooLow) Remember(tx.Hash, r);
            }
        }
        if (accepted.Count > 0) _events?.Publish(new TransactionsAdmitted(accepted));
    }

    /// <summary>Removes a transaction that failed during block building, and its sender's later ones.</summary>
    public void Drop(Transaction tx, TxRejection reason)
    {
        lock (_lock)
        {
            if (!_bySender.TryGetValue(tx.Sender, out var q)) return;
            var pos = q.Txs.FindIndex(e => e.Tx.Hash == tx.Hash);
            if (pos < 0) return;
            while (q.Txs.Count > pos)
            {
                var victim = q.Txs[^1];
                RemoveTail(q, victim);
                Remember(victim.Tx.Hash, reason);
                if (!_bySender.ContainsKey(tx.Sender)) break;
            }
        }
    }

    /// <summary>Up to max pending transaction hashes (any order), e.g. to announce to a new peer.</summary>
    public List<Hash> PendingHashes(int max)
    {
        lock (_lock) return _byHash.Keys.Take(max).ToList();
    }

    /// <summary>A page of pending transactions in arrival order.</summary>
    public List<Transaction> List(int offset, int limit)
    {
        lock (_lock)
            return _byHash.Values.OrderBy(e => e.Seq).Skip(offset).Take(limit).Select(e => e.Tx).ToList();
    }
}
