using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// The listen addresses this node knows (bootstrap, peer exchange, the persisted peers.txt), with a back-off
/// for addresses that did not answer a dial.
/// </summary>
internal sealed class AddressBook(PeerOptions options, TimeProvider time, ILogger log)
{
    private readonly ConcurrentDictionary<string, IPEndPoint> _known = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _backoff = new();
    private readonly object _saveLock = new();

    public IReadOnlyCollection<IPEndPoint> Known => _known.Values.ToList();
    public int Count => _known.Count;

    /// <summary>Bootstrap addresses and the persisted list.</summary>
    public void Load()
    {
        foreach (var ep in options.Bootstrap) _known[ep.ToString()] = ep;
        if (options.PeersFile is not { } path || !File.Exists(path)) return;
        try
        {
            foreach (var line in File.ReadLines(path).Take(options.MaxKnownPeers))
                if (IPEndPoint.TryParse(line.Trim(), out var ep) && ep.Port > 0) _known[ep.ToString()] = ep;
        }
        catch (IOException e) { log.LogWarning("Cannot read {Path}: {Message}", path, e.Message); }
    }

    /// <summary>Adds addresses (up to the limit) and persists the list when something was new.</summary>
    public void Add(IEnumerable<IPEndPoint> endpoints)
    {
        var added = false;
        foreach (var ep in endpoints)
        {
            if (_known.Count >= options.MaxKnownPeers) break;
            if (_known.TryAdd(ep.ToString(), ep)) added = true;
        }
        if (added) Save();
    }

    public bool InBackoff(IPEndPoint ep) => _backoff.TryGetValue(ep.ToString(), out var until) && until > time.GetUtcNow();

    public void DialFailed(IPEndPoint ep) => _backoff[ep.ToString()] = time.GetUtcNow() + options.DialInterval * 5;

    private void Save()
    {
        if (options.PeersFile is not { } path) return;
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
