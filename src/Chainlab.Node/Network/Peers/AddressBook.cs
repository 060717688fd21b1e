using System.Collections.Concurrent;
using System.Net;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// The listen addresses this node knows (bootstrap, peer exchange, the persisted peers.txt), with a back-off
/// for addresses that did not answer a dial.
/// </summary>
internal sealed class AddressBook(PeerOptions options, TimeProvider time, ILogger log)
{
    private readonly ConcurrentDictionary<string, IPEndPoint> _known = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _backoff = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();

    /// <summary>Consecutive failed dials after which a learned address is forgotten (bootstrap addresses never are).</summary>
    public const int ForgetAfterFailures = 3;
    private readonly object _saveLock = new();

    public IReadOnlyCollection<IPEndPoint> Known => _known.Values is IReadOnlyCollection<IPEndPoint> snapshot ? snapshot : _known.Values.ToList(); // Values is a snapshot of its own
    public int Count => _known.Count;

    /// <summary>Bootstrap addresses and the persisted list.</summary>
    public void Load()
    {
        foreach (var ep in options.Bootstrap) _known[ep.ToString()] = ep;
        if (options.PeersFile is not { Length: > 0 } path || !File.Exists(path)) return;
        try
        {
            foreach (var line in File.ReadLines(path).Take(options.MaxKnownPeers))
                if (IPEndPoint.TryParse(line.Trim(), out var ep) && ep.Port > 0) _known[ep.ToString()] = ep;
        }
        catch (IOException e) { log.LogWarning("Cannot read {Path}: {Message}", path, e.Message); }
    }

    /// <summary>Adds up to <paramref name="max"/> new addresses (and never past the book's limit); persists the list when
    /// something was new. Returns how many were new.</summary>
    public int Add(IEnumerable<IPEndPoint> endpoints, int max = int.MaxValue)
    {
        var added = 0;
        foreach (var ep in endpoints)
        {
            if (added >= max || _known.Count >= options.MaxKnownPeers) break;
            if (_known.TryAdd(ep.ToString(), ep)) added++;
        }
        if (added > 0) Save();
        return added;
    }

    public bool InBackoff(IPEndPoint ep) => _backoff.TryGetValue(ep.ToString(), out var until) && until > time.GetUtcNow();

    /// <summary>
    /// A dial failed: back off, a quarter of the dial interval after the first failure, doubling up to five dial
    /// intervals (a peer that is still starting is tried again soon; a dead one costs little); forget a learned
    /// address that failed too often in a row.
    /// </summary>
    public void DialFailed(IPEndPoint ep)
    {
        var key = ep.ToString();
        var failures = _failures.AddOrUpdate(key, 1, (_, n) => n + 1);
        _backoff[key] = time.GetUtcNow() + BackoffAfter(failures);
        if (failures < ForgetAfterFailures || options.Bootstrap.Any(b => b.ToString() == key)) return;
        _failures.TryRemove(key, out _);
        _backoff.TryRemove(key, out _);
        if (_known.TryRemove(key, out _))
        {
            log.LogInformation("Forgetting peer address {Address}: {Failures} dials in a row failed", key, ForgetAfterFailures);
            Save();
        }
    }

    /// <summary>How long an address rests after this many failed dials in a row.</summary>
    public TimeSpan BackoffAfter(int failures) =>
        TimeSpan.FromTicks(Math.Min(options.DialInterval.Ticks * 5, options.DialInterval.Ticks / 4 << Math.Min(failures - 1, 20)));

    /// <summary>A dial succeeded: the address is good again.</summary>
    public void DialSucceeded(IPEndPoint ep) => _failures.TryRemove(ep.ToString(), out _);

    private void Save()
    {
        if (options.PeersFile is not { Length: > 0 } path) return;
        lock (_saveLock)
            try
            {
                var tmp = path + ".tmp";
                File.WriteAllLines(tmp, _known.Keys.Take(options.MaxKnownPeers));
                File.Move(tmp, path, overwrite: true);
            }
            catch (IOException e) { log.LogWarning("Cannot write {Path}: {Message}", path, e.Message); }
    }
}
