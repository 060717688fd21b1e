using Chainlab.Core.Crypto;

namespace Chainlab.Node.Network;

/// <summary>A bounded set of recently seen hashes; the oldest are forgotten first.</summary>
public sealed class SeenCache(int capacity)
{
    private readonly HashSet<Hash> _set = new();
    private readonly Queue<Hash> _order = new();
    private readonly object _lock = new();

    /// <summary>True when the hash was not seen before (and is now).</summary>
    public bool Add(in Hash h)
    {
        lock (_lock)
        {
            if (!_set.Add(h)) return false;
            _order.Enqueue(h);
            while (_order.Count > capacity) _set.Remove(_order.Dequeue());
            return true;
        }
    }
}
