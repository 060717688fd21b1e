using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Gossip;
using Chainlab.Node.Network.Protocol;
using Chainlab.Node.Network.Sync;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// The node's links to other nodes: accepting and dialing, the handshake, one read loop per link with its
/// message budget and score, pings, rotation of outbound links and bans. Each message goes to the part that
/// owns it: transaction gossip, block announcements and sync. Background work runs on the injected
/// scheduler, all waits on the injected clock, all choices on the injected random source. Making and keeping
/// links (accept, dial, rotation, the read loop) is in PeerNetwork.Links.cs.
/// </summary>
public sealed partial class PeerNetwork : IPeerDirectory, IPeerLinks, Dht.IDhtLinks, IAsyncDisposable
{
    private readonly IChainReader _chain;
    private readonly KeyPair _key;
    private readonly PeerOptions _options;
    private readonly TimeProvider _time;
    private readonly TaskScheduler _scheduler;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Peer> _peers = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _banned = new();
    private readonly ConcurrentDictionary<Peer, (long Sent, ulong Nonce)> _pings = new();
    private readonly CancellationTokenSource _stop = new();
    // Background work still running (finished work leaves the set, so a long-lived node does not collect it).
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly AddressBook _addresses;
    private readonly TransactionGossip _transactions;
    private readonly BlockAnnouncer _announcer;
    private readonly BlockSync _sync;
    private IPeerListener? _listener;
    // Outbound links dialed but not yet through the handshake: they count against MaxOutbound.
    private int _dialing;
    // Inbound links accepted but not yet through the handshake.
    private int _handshaking;
    // Addresses being dialed right now (a slow dial must not be started twice).
    private readonly ConcurrentDictionary<string, byte> _dialingTo = new();
    // Held while a completed link is checked against the limits and added.
    private readonly object _linkGate = new();

    public PeerNetwork(IChainReader chain, IBlockImport import, ITransactionAdmission pool, NodeEvents events,
        KeyPair key, PeerOptions options, TimeProvider time, TaskScheduler scheduler, Random random, ILogger log,
        Func<Chainlab.Core.Files.Cid, byte[]?>? fileBlock = null)
    {
        _chain = chain; _key = key; _options = options; _time = time; _scheduler = scheduler; _random = random; _log = log;
        Dht = new Dht.Dht(this, options, time, new Random(Next(int.MaxValue)), log, fileBlock ?? (_ => null));
        _addresses = new AddressBook(options, time, log);
        _transactions = new TransactionGossip(pool, events, this, options, time);
        _announcer = new BlockAnnouncer(events, this, _transactions, h => Withheld?.Invoke(h) == true);
        _sync = new BlockSync(chain, import, this, options, time, new Random(Next(int.MaxValue)), log);
        if (options.Faults is { } faults) faults.Changed += DropCutLinks;
    }

    /// <summary>Closes the links a new partition cuts (the adversary lab); they are refused again after each handshake.</summary>
    private void DropCutLinks()
    {
        foreach (var p in _peers.Values.Where(p => _options.Faults!.IsCut(p.Id)))
        {
            _log.LogInformation("Link to {Id} cut by a devnet fault", p.Id);
            _ = Task.Run(async () =>
            {
                await Send(p, new Disconnect(DisconnectReason.Shutdown, "partitioned"));
                await p.DisposeAsync();
            });
        }
    }

    public int Port { get; private set; }
    /// <summary>The settings this network runs with.</summary>
    public PeerOptions Options => _options;
    /// <summary>The DHT over this node's links: providers of files, and file blocks.</summary>
    public Dht.Dht Dht { get; }
    byte[] Dht.IDhtLinks.SelfKey => _key.PublicKey;
    PeerInfo? Dht.IDhtLinks.Self => Port == 0 ? null
        : new(IPAddress.TryParse(_options.ListenAddress, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) ? ip.ToString() : "127.0.0.1", (ushort)Port, _key.PublicKey);
    public string NodeId => Convert.ToHexStringLower(_key.PublicKey)[..16];
    public IReadOnlyCollection<Peer> Peers => _peers.Values.ToList();
    IReadOnlyCollection<Peer> IPeerLinks.Linked => _peers.Values.ToList();
    public long Violations;
    private readonly long[] _received = new long[256];
    private long _bans;

    /// <summary>Messages received from peers since start, by type.</summary>
    public IReadOnlyDictionary<MessageType, long> ReceivedByType =>
        Enum.GetValues<MessageType>().ToDictionary(t => t, t => Interlocked.Read(ref _received[(byte)t]));

    /// <summary>Peers banned since start (a protocol violation from a peer whose key is known).</summary>
    public long Bans => Interlocked.Read(ref _bans);
    /// <summary>Outbound links swapped for another known peer so far.</summary>
    public long Rotations;
    public IReadOnlyCollection<IPEndPoint> Known => _addresses.Known;

    private int Next(int max) { lock (_random) return _random.Next(max); }

    public void Start()
    {
        _addresses.Load();
        _listener = _options.Transport.Listen(_options.ListenAddress, _options.Port);
        Port = _listener.Port;
        _sync.Start(_stop.Token);
        _transactions.Start(_stop.Token);
        _announcer.Start(_stop.Token);
        _ = Spawn(AcceptLoop);
        _ = Spawn(DialLoop);
        _ = Spawn(RotateLoop);
        _ = Spawn(RepublishLoop);
    }

    /// <summary>Announces again, well before their records expire, the files this node provides.</summary>
    private async Task RepublishLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Delay(_options.RepublishInterval); }
            catch (OperationCanceledException) { return; }
            foreach (var cid in Dht.Provided)
            {
                try { await Dht.ProvideAsync(cid, _stop.Token); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Runs background work on the node's scheduler (a simulator's virtual-time scheduler, or the thread pool).</summary>
    public Task Spawn(Func<Task> work)
    {
        var t = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap();
        _tasks[t] = 0;
        t.ContinueWith(done => _tasks.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return t;
    }

    public async Task Send(Peer peer, Message message)
    {
        try { await peer.SendAsync(message, _stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
    }

    public void Broadcast(Message message)
    {
        foreach (var p in _peers.Values) _ = Send(p, message);
    }

    public void FlushRequests(Peer peer) => _ = FlushOrDrop(peer);

    private async Task FlushOrDrop(Peer p)
    {
        try { await p.FlushRequestsAsync(_stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
    }

    private bool IsSelf(IPEndPoint ep) => ep.Port == Port && (IPAddress.IsLoopback(ep.Address) || ep.Address.ToString() == _options.ListenAddress);

    private bool ConnectedTo(IPEndPoint ep) =>
        _peers.Values.Any(p => (p.Outbound && p.Address == ep.ToString()) || (p.ListenPort == ep.Port && p.Host == ep.Address.ToString()));

    private async Task Delay(TimeSpan by)
    {
        await Task.Delay(by, _time, _stop.Token);
    }

    private async Task PingLoop(Peer peer, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(_options.PingInterval, _time, ct);
                peer.Forgive();
                if (peer.Ephemeral && _time.GetElapsedTime(Interlocked.Read(ref peer.LastUsed)) > _options.EphemeralIdle)
                {
                    await Send(peer, new Disconnect(DisconnectReason.Shutdown, "done asking"));
                    await peer.DisposeAsync();
                    return;
                }
                var nonce = (ulong)Next(int.MaxValue);
                _pings[peer] = (_time.GetTimestamp(), nonce);
                await peer.SendAsync(new Ping(nonce), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
    }

    private async Task HandleAsync(Peer peer, Message m, CancellationToken ct)
    {
        switch (m)
        {
            case Ping p: await peer.SendAsync(new Pong(p.Nonce), ct); break;
            case Pong p:
                if (_pings.TryGetValue(peer, out var sent) && sent.Nonce == p.Nonce)
                    peer.LatencyMs = _time.GetElapsedTime(sent.Sent).TotalMilliseconds;
                break;
            case GetPeers:
                await peer.SendAsync(new Protocol.Peers(_peers.Values.Where(x => x != peer && x.ListenPort != 0).Take(WireLimits.MaxPeersPerMessage)
                    .Select(x => new PeerInfo(x.Host, x.ListenPort, x.NodeKey)).ToList()), ct);
                break;
            case Protocol.Peers list:
                Dht.Seen(list.List);
                // One peer may teach us only so many addresses (614 bogus ones once filled peers.txt).
                var room = _options.MaxAddressesPerPeer - peer.AddressesGiven;
                if (room > 0) peer.AddressesGiven += _addresses.Add(list.List.Select(i => new IPEndPoint(IPAddress.Parse(i.Host), i.Port)).Where(ep => !IsSelf(ep)), room);
                break;
            case AnnounceTxs a: await _transactions.Handle(peer, a); break;
            case GetTxs g: await _transactions.Handle(peer, g); break;
            case Txs t: _transactions.Handle(peer, t); break;
            case AnnounceBlock b:
                InterlockedMax(ref _highestAnnounced, _chain.CapClaim(b.Height));
                _sync.OnAnnounce(peer, b);
                break;
            case GetBlocks g:
                var served = _chain.Blocks.RawBlocks(g.FromHeight, (int)g.Count, WireLimits.MaxBlocksBytes - 1024);
                if (Withheld is { } hidden) served = served.TakeWhile((_, i) => !hidden(g.FromHeight + (ulong)i)).ToList();
                if (_blockLie is { } lie) served = lie(peer, g.FromHeight, served);
                await peer.SendAsync(new Blocks(served), ct);
                break;
            case Blocks b: await _sync.OnBlocks(peer, b); break;
            case Disconnect d:
                _log.LogInformation("Peer {Id} disconnected: {Reason} {Detail}", peer.Id, d.Reason, d.Detail);
                throw new IOException("peer disconnected");
            case Hello or HelloAck:
                throw new ProtocolViolation($"unexpected {m.Type} after the handshake");
            default:
                await Dht.HandleAsync(peer, m, ct);
                break;
        }
    }

    private Func<Peer, ulong, IReadOnlyList<byte[]>, IReadOnlyList<byte[]>>? _blockLie;

    private ulong _highestAnnounced;

    /// <summary>The highest block height any peer has announced to us (what the rest of the network has reached, as far as we know).</summary>
    public ulong HighestAnnounced => Interlocked.Read(ref _highestAnnounced);

    private static void InterlockedMax(ref ulong target, ulong value)
    {
        ulong seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    /// <summary>The adversary lab only (selfish mining): heights of our chain this node neither announces nor serves yet.</summary>
    public Func<ulong, bool>? Withheld { get; private set; }

    /// <summary>Adds heights to withhold; several misbehaviours withholding at once hide what any of them hides.</summary>
    public void Withhold(Func<ulong, bool> hidden)
    {
        var before = Withheld;
        Withheld = before is null ? hidden : h => before(h) || hidden(h);
    }

    /// <summary>
    /// The adversary lab only: changes what this node serves when a peer asks for blocks from a height (the
    /// blocks it would serve come in; what it serves goes out). Lies compose in the order they were added.
    /// </summary>
    public void AddBlockLie(Func<Peer, ulong, IReadOnlyList<byte[]>, IReadOnlyList<byte[]>> lie)
    {
        var before = _blockLie;
        _blockLie = before is null ? lie : (p, from, b) => lie(p, from, before(p, from, b));
    }

    /// <summary>Links waited for by the DHT, by node key.</summary>
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Peer?>> _linkWaiters = new();

    public async Task<Peer?> LinkAsync(Dht.Contact contact, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(contact.Key);
        if (_peers.TryGetValue(id, out var linked)) return linked;
        if (contact.Key.AsSpan().SequenceEqual(_key.PublicKey) || IsSelf(contact.Endpoint)) return null;
        if (_banned.TryGetValue(id, out var until) && until > _time.GetUtcNow()) return null;
        var waiter = _linkWaiters.GetOrAdd(id, _ => new TaskCompletionSource<Peer?>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_dialingTo.TryAdd(contact.Endpoint.ToString(), 0))
        {
            Interlocked.Increment(ref _dialing);
            _ = Spawn(() => Dial(contact.Endpoint, ephemeralFor: id));
        }
        using var deadline = new CancellationTokenSource(_options.DialTimeout + _options.HandshakeTimeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, _stop.Token);
        try { return await waiter.Task.WaitAsync(both.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return null; }
        // Gone whether it was answered or not, so contacts that never answer leave nothing behind.
        finally { _linkWaiters.TryRemove(new KeyValuePair<string, TaskCompletionSource<Peer?>>(id, waiter)); }
    }

    public void Ban(Peer peer, string why)
    {
        Interlocked.Increment(ref Violations);
        if (!_options.BanOffenders)
        {
            _log.LogWarning("Peer {Id} broke the protocol: {Reason}; NOT banned (the ban defence is switched off)", peer.Id, why);
            return;
        }
        _log.LogWarning("Peer {Address} {Id} broke the protocol: {Reason}; banned", peer.Address, peer.Id, why);
        RecordBan(peer, why);
        _ = Task.Run(async () =>
        {
            await Send(peer, new Disconnect(DisconnectReason.ProtocolViolation, why));
            await peer.DisposeAsync();
        });
    }

    // Why each peer was banned (kept beside the ban, for the peers route and the adversary lab's verdicts).
    private readonly ConcurrentDictionary<string, string> _banReasons = new();

    /// <summary>Bans a peer whose key is known; expired bans go first, so a stream of banned strangers cannot grow the table for ever.</summary>
    private void RecordBan(Peer peer, string why)
    {
        if (!_options.BanOffenders) return;
        var now = _time.GetUtcNow();
        if (_banned.Count > 1024)
            foreach (var expired in _banned.Where(b => b.Value <= now).Select(b => b.Key).ToList())
            {
                _banned.TryRemove(expired, out _);
                _banReasons.TryRemove(expired, out _);
            }
        var key = Convert.ToHexStringLower(peer.NodeKey);
        _banned[key] = now + _options.BanTime;
        _banReasons[key] = why.Length > 200 ? why[..200] : why;
        Interlocked.Increment(ref _bans);
    }

    /// <summary>Peers banned now: id (16 hex digits), until when, why.</summary>
    public IReadOnlyList<(string Id, DateTimeOffset Until, string Reason)> Banned
    {
        get
        {
            var now = _time.GetUtcNow();
            return _banned.Where(b => b.Value > now).Select(b => (b.Key[..16], b.Value, _banReasons.GetValueOrDefault(b.Key, ""))).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_options.Faults is { } faults) faults.Changed -= DropCutLinks;
        _listener?.Dispose();
        foreach (var p in _peers.Values) await p.DisposeAsync();
        try { await Task.WhenAll(_tasks.Keys.ToArray()); }
        catch (Exception e) { _log.LogDebug("A background task ended with {Message} while the network stopped", e.Message); } // stopping goes on
        _announcer.Dispose();
        _transactions.Dispose();
    }
}
