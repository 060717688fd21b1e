using System.Collections.Concurrent;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// Node keys banned for breaking the protocol, until when and why. Expired bans go first when the list grows,
/// so a stream of banned strangers cannot grow it for ever.
/// </summary>
public sealed class BanList(TimeSpan banTime, TimeProvider time)
{
    private const int SweepAbove = 1024;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, string Reason)> _bans = new();
    private long _count;

    /// <summary>Bans recorded since start.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Is this node key (lowercase hex) banned now?</summary>
    public bool IsBanned(string key) => _bans.TryGetValue(key, out var ban) && ban.Until > time.GetUtcNow();

    public void Add(byte[] nodeKey, string why)
    {
        var now = time.GetUtcNow();
        if (_bans.Count > SweepAbove)
            foreach (var expired in _bans.Where(b => b.Value.Until <= now).Select(b => b.Key).ToList())
                _bans.TryRemove(expired, out _);
        _bans[Convert.ToHexStringLower(nodeKey)] = (now + banTime, why.Length > 200 ? why[..200] : why);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Peers banned now: id (16 hex digits), until when, why.</summary>
    public IReadOnlyList<(string Id, DateTimeOffset Until, string Reason)> Current
    {
        get
        {
            var now = time.GetUtcNow();
            return _bans.Where(b => b.Value.Until > now).Select(b => (b.Key[..16], b.Value.Until, b.Value.Reason)).ToList();
        }
    }
}
