using System.Collections.Concurrent;
using Chainlab.Core.Model;
using Chainlab.Node.Events;

namespace Chainlab.Node.Chain;

/// <summary>
/// Validly sealed headers by (producer, slot time), to catch a producer that signs two blocks for one slot.
/// Each equivocation is published once as <see cref="EquivocationSeen"/> (the node then submits evidence).
/// Headers older than 1,000 block times below the head are forgotten once more than 8,192 are held.
/// </summary>
public sealed class EquivocationWatch(NodeEvents events, ulong blockTimeMs, ILogger log)
{
    private const int SweepAbove = 8192;
    private readonly ConcurrentDictionary<(string Producer, ulong Timestamp), BlockHeader> _seals = new();
    private readonly HashSet<(string, ulong)> _reported = new();
    private long _seen;

    /// <summary>Equivocations seen since start.</summary>
    public long Seen => Interlocked.Read(ref _seen);

    /// <summary>Notes a header whose seal checked out; <paramref name="headTimeMs"/> is the head's time, for forgetting old ones.</summary>
    public void Note(BlockHeader h, ulong headTimeMs)
    {
        var key = (Convert.ToHexStringLower(h.Producer), h.TimestampMs);
        var first = _seals.GetOrAdd(key, h);
        if (first.Hash != h.Hash && _reported.Add(key))
        {
            Interlocked.Increment(ref _seen);
            log.LogWarning("Equivocation: producer {Producer} signed {A} and {B} for the slot at {Time}", key.Item1[..16], first.Hash.Short, h.Hash.Short, h.TimestampMs);
            events.Publish(new EquivocationSeen(first, h));
        }
        if (_seals.Count > SweepAbove)
        {
            var horizon = headTimeMs - Math.Min(headTimeMs, 1000 * blockTimeMs);
            foreach (var old in _seals.Keys.Where(k => k.Timestamp < horizon).ToList()) _seals.TryRemove(old, out _);
            _reported.RemoveWhere(k => k.Item2 < horizon);
        }
    }
}
