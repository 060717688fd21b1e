using Chainlab.Core.Crypto;

namespace Chainlab.Node.Network.Gossip;

/// <summary>
/// A bounded set of recently seen hashes; the oldest are forgotten first, and an entry older than the
/// given age counts as not seen (so a transaction requested from a peer that never delivered it can be
/// requested again when it is announced again).
/// </summary>
public sealed class SeenCache(int capacity, TimeSpan maxAge, TimeProvider time)
{
    private readonly Dictionary<Hash, long> _seen = new();
    private readonly Queue<Hash> _order = new();
    private readonly object _lock = new();

    /// <summary>True when the hash was not seen within the age limit (and is now marked as seen).</summary>
    public bool Add(in Hash h)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_seen.TryGetValue(h, out var at) && time.GetElapsedTime(at, now) < maxAge) return false;
            if (!_seen.ContainsKey(h)) _order.Enqueue(h);
            _seen[h] = now;
            while (_order.Count > capacity) _seen.Remove(_order.Dequeue());
            return true;
        }
    }
}
