using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Network.Gossip;

/// <summary>
/// Transactions from peers that arrived before an earlier nonce of the same sender (gossip takes several
/// paths, so order is not guaranteed). The mempool refuses nonce gaps; these wait here, bounded and for a
/// limited time, and are admitted as soon as the gap closes. Users submitting through the API still get
/// the nonce-gap error at once.
/// </summary>
public sealed class GapBuffer(int capacity, TimeSpan maxAge, TimeProvider time)
{
    private readonly Dictionary<(Address Sender, ulong Nonce), (Transaction Tx, long At)> _waiting = new();
    private readonly Queue<(Address, ulong)> _order = new();
    private readonly object _lock = new();

    public int Count { get { lock (_lock) return _waiting.Count; } }

    public void Add(Transaction tx)
    {
        lock (_lock)
        {
            var key = (tx.Sender, tx.Nonce);
            if (_waiting.ContainsKey(key)) return;
            _waiting[key] = (tx, time.GetTimestamp());
            _order.Enqueue(key);
            while (_waiting.Count > capacity && _order.TryDequeue(out var old)) _waiting.Remove(old);
        }
    }

    /// <summary>Senders with waiting transactions.</summary>
    public List<Address> Senders()
    {
        lock (_lock)
        {
            Expire();
            return _waiting.Keys.Select(k => k.Sender).Distinct().ToList();
        }
    }

    /// <summary>Takes the sender's transaction with this nonce, if one waits.</summary>
    public Transaction? Take(in Address sender, ulong nonce)
    {
        lock (_lock)
            return _waiting.Remove((sender, nonce), out var w) ? w.Tx : null;
    }

    private void Expire()
    {
        while (_order.TryPeek(out var k))
        {
            if (_waiting.TryGetValue(k, out var w) && time.GetElapsedTime(w.At) < maxAge) break;
            _order.Dequeue();
            if (_waiting.TryGetValue(k, out var stale) && time.GetElapsedTime(stale.At) >= maxAge) _waiting.Remove(k);
        }
    }
}
