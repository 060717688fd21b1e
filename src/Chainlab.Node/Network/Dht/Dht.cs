using System.Collections.Concurrent;
using System.Net;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Dht;

/// <summary>What the DHT needs of the peer network: links by key (made on demand), bans, and who we are.</summary>
public interface IDhtLinks
{
    byte[] SelfKey { get; }
    /// <summary>This node as a contact (its listen address and port), or null before it listens.</summary>
    PeerInfo? Self { get; }
    /// <summary>The linked peer with this contact's key, or a new short-lived link to it; null when it cannot be reached.</summary>
    Task<Peer?> LinkAsync(Contact contact, CancellationToken ct);
    /// <summary>Disconnects and bans a peer for a protocol violation found outside its read loop (a block that does not match its CID).</summary>
    void Ban(Peer peer, string why);
    Task Send(Peer peer, Message message);
}

/// <summary>One iterative lookup's outcome: the closest nodes found, the providers found, the rounds it took.</summary>
public sealed record LookupResult(IReadOnlyList<Contact> Closest, IReadOnlyList<Contact> Providers, int Hops, int Queried);

/// <summary>
/// A Kademlia-style DHT over the nodes' ids (SHA-256 of their identity keys): k-buckets, iterative lookups
/// of the closest nodes with α queries in flight, provider records that expire and are published again, and
/// the file block requests that fetching uses. Requests carry a nonce; an answer nobody asked for costs the
/// sender score. Time and randomness are the node's injected ones.
/// </summary>
public sealed class Dht
{
    public const int Alpha = 3;
    /// <summary>A provider lookup stops early once it has found this many (fetching spreads its requests over them).</summary>
    public const int EnoughProviders = 4;
    private readonly IDhtLinks _links;
    private readonly PeerOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly Func<Cid, byte[]?> _fileBlock;
    private readonly ConcurrentDictionary<ulong, (string Peer, TaskCompletionSource<Message> Answer)> _pending = new();
    // Provider records other nodes announced to this one, under one lock: per key, and how many each provider holds.
    private readonly object _recordsGate = new();
    private readonly Dictionary<Hash, List<(Contact Provider, DateTimeOffset Expires)>> _records = new();
    private readonly Dictionary<Hash, int> _recordsByProvider = new();
    private DateTimeOffset _lastSweep;
    private readonly ConcurrentDictionary<Cid, byte> _provided = new();
    private readonly ConcurrentDictionary<Hash, Cid> _providedKeys = new();

    public RoutingTable Table { get; }
    public Hash SelfId { get; }
    public const int MaxRecordKeys = 10_000;
    /// <summary>File keys this node holds provider records for.</summary>
    public int RecordKeys { get { lock (_recordsGate) return _records.Count; } }
    /// <summary>Routing requests dropped because their sender was over its DHT budget, since start.</summary>
    private long _droppedRequests, _blocksServed;
    /// <summary>Requests dropped unanswered because their sender was over its budget, since start.</summary>
    public long DroppedRequests => Interlocked.Read(ref _droppedRequests);
    /// <summary>File blocks this node has sent to peers that asked for them.</summary>
    public long BlocksServed => Interlocked.Read(ref _blocksServed);

    public Dht(IDhtLinks links, PeerOptions options, TimeProvider time, Random random, ILogger log, Func<Cid, byte[]?> fileBlock)
    {
        _links = links; _options = options; _time = time; _random = random; _log = log; _fileBlock = fileBlock;
        SelfId = Hash.Sha256(links.SelfKey);
        Table = new RoutingTable(SelfId);
    }

    /// <summary>The DHT key of a file: SHA-256 of its multihash, the same for a CIDv0 and its CIDv1.</summary>
    public static Hash KeyOf(Cid cid) => Hash.Sha256([(byte)Cid.Sha256, 32, .. cid.Digest]);

    private ulong NextNonce() { lock (_random) return (ulong)_random.NextInt64(); }

    public void Seen(Peer p)
    {
        if (p.ListenPort != 0 && IPAddress.TryParse(p.Host, out var ip) && p.NodeKey.Length == 32) Table.Seen(Contact.Of(p.NodeKey, new IPEndPoint(ip, p.ListenPort)));
    }

    public void Seen(IEnumerable<PeerInfo> list)
    {
        foreach (var i in list)
            if (ContactOf(i) is { } c) Table.Seen(c);
    }

    /// <summary>A contact from a peer's answer, or null for ourselves or a host that is not an address.</summary>
    private Contact? ContactOf(PeerInfo i) =>
        IPAddress.TryParse(i.Host, out var ip) && !i.NodeKey.AsSpan().SequenceEqual(_links.SelfKey) ? Contact.Of(i.NodeKey, new IPEndPoint(ip, i.Port)) : null;

    private static PeerInfo Info(Contact c) => new(c.Endpoint.Address.ToString(), (ushort)c.Endpoint.Port, c.Key);

    /// <summary>Answers DHT requests and takes the answers to ours. Returns false for a message that is not the DHT's.</summary>
    public async Task<bool> HandleAsync(Peer peer, Message m, CancellationToken ct)
    {
        if (m is FindNode or GetProviders or AddProvider && !peer.TakeDhtToken(_time.GetTimestamp(), _options.DhtRequestsPerSecond, _options.DhtRequestBurst, _time))
        {
            Interlocked.Increment(ref _droppedRequests); // over its budget: dropped unanswered (a holder republishing many files is not punished for it)
            return true;
        }
        switch (m)
        {
            case FindNode f:
                await peer.SendAsync(new Nodes(f.Nonce, Closest(f.Target, peer)), ct);
                return true;
            case GetProviders g:
                // A node that holds the file names itself first (under its own key; the asker knows where it
                // reached it), so a file is found even when its records never reached the nodes asked.
                var list = ProvidersOf(g.Key).Where(c => !c.Key.AsSpan().SequenceEqual(peer.NodeKey)).Select(Info);
                if (_providedKeys.TryGetValue(g.Key, out var mine) && _links.Self is { } self && _fileBlock(mine) is not null) list = list.Prepend(self);
                await peer.SendAsync(new Providers(g.Nonce, list.Take(WireLimits.MaxContactsPerMessage).ToList(), Closest(g.Key, peer)), ct);
                return true;
            case AddProvider a:
                if (peer.ListenPort == 0 || !IPAddress.TryParse(peer.Host, out var ip)) { peer.Penalise(5, "provides without a listen port"); return true; }
                AddRecord(a.Key, Contact.Of(peer.NodeKey, new IPEndPoint(ip, peer.ListenPort)));
                return true;
            case GetFileBlock g:
                Cid cid;
                try { cid = Cid.FromBytes(g.Cid); }
                catch (FormatException e) { throw new ProtocolViolation($"GetFileBlock: {e.Message}"); }
                var block = _fileBlock(cid);
                if (block is not null) Interlocked.Increment(ref _blocksServed);
                await peer.SendAsync(new FileBlock(g.Nonce, g.Cid, block is not null, block ?? []), ct);
                return true;
            case Nodes or Providers or FileBlock:
                var nonce = m switch { Nodes n => n.Nonce, Providers p => p.Nonce, FileBlock b => b.Nonce, _ => 0UL };
                if (!_pending.TryGetValue(nonce, out var waiting) || waiting.Peer != Convert.ToHexStringLower(peer.NodeKey))
                {
                    peer.Penalise(5, $"an unasked {m.Type}"); // and nothing in it is taken
                    return true;
                }
                if (!waiting.Answer.TrySetResult(m)) return true; // a second answer to one request: nothing in it is taken
                if (m is Nodes ns) Seen(ns.List);
                // The answering node naming itself as a provider says nothing about where it listens: not a contact.
                if (m is Providers ps) { Seen(ps.Closer); Seen(ps.List.Where(i => !i.NodeKey.AsSpan().SequenceEqual(peer.NodeKey))); }
                return true;
            default:
                return false;
        }
    }

    private List<PeerInfo> Closest(Hash target, Peer asking) =>
        Table.Closest(target, Table.K + 1).Where(c => !c.Key.AsSpan().SequenceEqual(asking.NodeKey)).Take(WireLimits.MaxContactsPerMessage).Select(Info).ToList();

    /// <summary>
    /// Keeps a provider record: refreshed when the provider announced the key before; ignored when the provider
    /// already holds its share of records here, or the table is full of records that have not expired.
    /// </summary>
    private void AddRecord(Hash key, Contact provider)
    {
        var now = _time.GetUtcNow();
        lock (_recordsGate)
        {
            Expire(key, now);
            // A full table, or a provider at its share: expired records go first (at most once a minute), then it is a refusal.
            if ((!_records.ContainsKey(key) && _records.Count >= MaxRecordKeys || _recordsByProvider.GetValueOrDefault(provider.Id) >= _options.ProviderRecordsPerPeer)
                && now - _lastSweep >= TimeSpan.FromMinutes(1))
            {
                _lastSweep = now;
                foreach (var k in _records.Keys.ToList()) Expire(k, now);
            }
            if (!_records.ContainsKey(key) && _records.Count >= MaxRecordKeys) return;
            var list = _records.TryGetValue(key, out var l) ? l : _records[key] = new();
            var known = list.FindIndex(r => r.Provider.Id == provider.Id);
            if (known >= 0) { list[known] = (provider, now + _options.ProviderRecordTtl); return; }
            if (_recordsByProvider.GetValueOrDefault(provider.Id) >= _options.ProviderRecordsPerPeer)
            {
                if (list.Count == 0) _records.Remove(key);
                return;
            }
            if (list.Count >= WireLimits.MaxContactsPerMessage) { Uncount(list[0].Provider.Id); list.RemoveAt(0); }
            list.Add((provider, now + _options.ProviderRecordTtl));
            _recordsByProvider[provider.Id] = _recordsByProvider.GetValueOrDefault(provider.Id) + 1;
        }
    }

    /// <summary>Drops a key's expired records, and the key when none is left (under the records' lock).</summary>
    private void Expire(Hash key, DateTimeOffset now)
    {
        if (!_records.TryGetValue(key, out var list)) return;
        foreach (var r in list.Where(r => r.Expires <= now)) Uncount(r.Provider.Id);
        list.RemoveAll(r => r.Expires <= now);
        if (list.Count == 0) _records.Remove(key);
    }

    private void Uncount(Hash provider)
    {
        if (_recordsByProvider.TryGetValue(provider, out var n) && n > 1) _recordsByProvider[provider] = n - 1;
        else _recordsByProvider.Remove(provider);
    }

    /// <summary>Records this node holds for a provider (tests and the status page).</summary>
    public int RecordsOf(Hash provider) { lock (_recordsGate) return _recordsByProvider.GetValueOrDefault(provider); }

    private List<Contact> ProvidersOf(Hash key)
    {
        lock (_recordsGate)
        {
            Expire(key, _time.GetUtcNow());
            return _records.TryGetValue(key, out var list) ? list.Select(r => r.Provider).ToList() : [];
        }
    }

    /// <summary>Sends a request to a contact and waits for its answer; null when it cannot be reached or does not answer in time.</summary>
    public async Task<(Peer Peer, T Answer)?> RequestAsync<T>(Contact c, Func<ulong, Message> request, CancellationToken ct) where T : Message
    {
        var peer = await _links.LinkAsync(c, ct);
        if (peer is null) { Table.Failed(c.Id); return null; }
        return await RequestAsync<T>(peer, request, ct);
    }

    public async Task<(Peer Peer, T Answer)?> RequestAsync<T>(Peer peer, Func<ulong, Message> request, CancellationToken ct) where T : Message
    {
        var nonce = NextNonce();
        var answer = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[nonce] = (Convert.ToHexStringLower(peer.NodeKey), answer);
        peer.LastUsed = _time.GetTimestamp();
        try
        {
            await _links.Send(peer, request(nonce));
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            var m = await answer.Task.WaitAsync(both.Token);
            peer.LastUsed = _time.GetTimestamp();
            return m is T t ? (peer, t) : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            if (peer.NodeKey.Length == 32) Table.Failed(Hash.Sha256(peer.NodeKey));
            return null;
        }
        finally { _pending.TryRemove(nonce, out _); }
    }

    /// <summary>
    /// Kademlia's iterative lookup: ask the α closest unasked nodes, merge what they know, repeat until the k
    /// closest known have all answered (or, for providers, until enough are found).
    /// </summary>
    public async Task<LookupResult> LookupAsync(Hash target, bool providers, CancellationToken ct)
    {
        var k = Table.K;
        var known = new Dictionary<Hash, Contact>();
        foreach (var c in Table.Closest(target, k)) known[c.Id] = c;
        var asked = new HashSet<Hash>();
        var found = new Dictionary<Hash, Contact>();
        if (providers) foreach (var p in ProvidersOf(target)) found[p.Id] = p;
        var hops = 0;
        Hash? best = null;
        var improved = true;
        // A lookup has a round limit and a deadline: silent or endless contacts cannot keep it going.
        using var deadline = new CancellationTokenSource(_options.LookupTimeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        while (!both.IsCancellationRequested && hops < _options.LookupRounds)
        {
            var next = known.Values.Where(c => !asked.Contains(c.Id)).OrderBy(c => RoutingTable.Distance(c.Id, target)).Take(Alpha).ToList();
            var closest = known.Values.OrderBy(c => RoutingTable.Distance(c.Id, target)).Take(k).ToList();
            if (next.Count == 0 || closest.All(c => asked.Contains(c.Id))) break;
            // Providers: enough found, or some found and the last round brought no node closer to the key.
            if (providers && (found.Count >= EnoughProviders || (found.Count > 0 && !improved))) break;
            var nearest = closest.Count > 0 ? RoutingTable.Distance(closest[0].Id, target) : (Hash?)null;
            improved = best is null || (nearest is { } n0 && n0.CompareTo(best.Value) < 0);
            best = nearest;
            hops++;
            foreach (var c in next) asked.Add(c.Id);
            Message?[] answers;
            try
            {
                answers = await Task.WhenAll(next.Select(c => providers
                    ? Ask<Providers>(c, n => new GetProviders(n, target))
                    : Ask<Nodes>(c, n => new FindNode(n, target))));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { break; } // the deadline: what was found so far
            for (var q = 0; q < answers.Length; q++)
            {
                var a = answers[q];
                IEnumerable<PeerInfo> closer = a switch { Nodes n => n.List, Providers p => p.Closer, _ => [] };
                foreach (var i in closer)
                    if (ContactOf(i) is { } c) known.TryAdd(c.Id, c);
                if (a is Providers ps)
                    foreach (var i in ps.List)
                        if (i.NodeKey.AsSpan().SequenceEqual(next[q].Key)) found.TryAdd(next[q].Id, next[q]); // the answering node holds it
                        else if (ContactOf(i) is { } c) found.TryAdd(c.Id, c);
            }
        }
        return new LookupResult(known.Values.OrderBy(c => RoutingTable.Distance(c.Id, target)).Take(k).ToList(), found.Values.ToList(), hops, asked.Count);

        async Task<Message?> Ask<T>(Contact c, Func<ulong, Message> make) where T : Message =>
            await RequestAsync<T>(c, make, both.Token) is { } r ? r.Answer : null;
    }

    /// <summary>Announces that this node provides a file: a provider record on the k nodes closest to its key (and here).</summary>
    public async Task<int> ProvideAsync(Cid cid, CancellationToken ct)
    {
        _provided[cid] = 0;
        var key = KeyOf(cid);
        _providedKeys[key] = cid;
        var closest = (await LookupAsync(key, providers: false, ct)).Closest;
        var sent = 0;
        await Task.WhenAll(closest.Select(async c =>
        {
            if (await _links.LinkAsync(c, ct) is { } peer)
            {
                await _links.Send(peer, new AddProvider(key));
                Interlocked.Increment(ref sent);
            }
        }));
        return sent;
    }

    /// <summary>Nodes that provide the file, found through the DHT (this node itself left out).</summary>
    public async Task<LookupResult> FindProvidersAsync(Cid cid, CancellationToken ct) => await LookupAsync(KeyOf(cid), providers: true, ct);

    /// <summary>The files this node announced, for publishing them again before their records expire.</summary>
    public IReadOnlyCollection<Cid> Provided => _provided.Keys.ToList();

}
