using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Node.Chain;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// The node's set of links: accepting and dialing within the limits, the handshake, one link per node,
/// rotation of outbound links, short-lived links for the DHT, bans, and sending. Each linked peer runs a
/// <see cref="PeerSession"/>; what its messages mean to gossip, sync and the DHT is the
/// <see cref="IPeerHandler"/>'s. Background work runs on the injected scheduler and is awaited when the set
/// stops; all waits are on the injected clock, all choices on the injected random source.
/// </summary>
public sealed class PeerSet : IPeerLinks, IAsyncDisposable
{
    private readonly IChainReader _chain;
    private readonly KeyPair _key;
    private readonly PeerOptions _options;
    private readonly TimeProvider _time;
    private readonly TaskScheduler _scheduler;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Peer> _peers = new();
    private readonly BanList _bans;
    private readonly CancellationTokenSource _stop = new();
    // Background work still running (finished work leaves the set, so a long-lived node does not collect it).
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly AddressBook _addresses;
    private IPeerHandler? _handler;
    private IPeerListener? _listener;
    // Outbound links dialed but not yet through the handshake: they count against MaxOutbound.
    private int _dialing;
    // Inbound links accepted but not yet through the handshake.
    private int _handshaking;
    // Addresses being dialed right now (a slow dial must not be started twice).
    private readonly ConcurrentDictionary<string, byte> _dialingTo = new();
    // Held while a completed link is checked against the limits and added.
    private readonly object _linkGate = new();
    // Links waited for by the DHT, by node key.
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Peer?>> _linkWaiters = new();
    private readonly long[] _received = new long[256];
    private long _violations, _rotations;

    public PeerSet(IChainReader chain, KeyPair key, PeerOptions options, TimeProvider time, TaskScheduler scheduler, Random random, ILogger log)
    {
        _chain = chain; _key = key; _options = options; _time = time; _scheduler = scheduler; _random = random; _log = log;
        _bans = new BanList(options.BanTime, time);
        _addresses = new AddressBook(options, time, log);
        if (options.Faults is { } faults) faults.Changed += DropCutLinks;
    }

    public int Port { get; private set; }
    public PeerOptions Options => _options;
    internal TimeProvider Time => _time;
    public byte[] SelfKey => _key.PublicKey;
    public IReadOnlyCollection<Peer> Linked => _peers.Values.ToList();
    public IReadOnlyCollection<IPEndPoint> Known => _addresses.Known;
    public BanList Bans => _bans;

    /// <summary>What the set has counted since start.</summary>
    public PeerSetStats Stats => new(Interlocked.Read(ref _violations), _bans.Count, Interlocked.Read(ref _rotations),
        Enum.GetValues<MessageType>().ToDictionary(t => t, t => Interlocked.Read(ref _received[(byte)t])));

    /// <summary>This node as a contact (its listen address and port), or null before it listens.</summary>
    public PeerInfo? Self => Port == 0 ? null
        : new(IPAddress.TryParse(_options.ListenAddress, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) ? ip.ToString() : "127.0.0.1", (ushort)Port, _key.PublicKey);

    private int Next(int max) { lock (_random) return _random.Next(max); }
    internal ulong NextNonce() => (ulong)Next(int.MaxValue);
    internal void CountReceived(MessageType type) => Interlocked.Increment(ref _received[(byte)type]);
    internal int LearnAddresses(IEnumerable<IPEndPoint> addresses, int room) => _addresses.Add(addresses.Where(ep => !IsSelf(ep)), room);
    internal void LogDisconnect(Peer peer, Disconnect d) => _log.LogInformation("Peer {Id} disconnected: {Reason} {Detail}", peer.Id, d.Reason, d.Detail);

    /// <summary>Loads the known addresses and opens the listening port (nothing is accepted yet).</summary>
    public void Listen()
    {
        _addresses.Load();
        _listener = _options.Transport.Listen(_options.ListenAddress, _options.Port);
        Port = _listener.Port;
    }

    /// <summary>Starts accepting, dialing and rotating; every linked peer's messages go to the handler.</summary>
    public void Run(IPeerHandler handler)
    {
        _handler = handler;
        _ = Spawn(AcceptLoop);
        _ = Spawn(DialLoop);
        _ = Spawn(RotateLoop);
    }

    /// <summary>Runs background work on the node's scheduler (a simulator's virtual-time scheduler, or the thread pool); stopping awaits it.</summary>
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

    public void Post(Peer peer, Message message) => Track(Send(peer, message));

    public void Broadcast(Message message)
    {
        foreach (var p in _peers.Values) Post(p, message);
    }

    public void FlushRequests(Peer peer)
    {
        WakeRounds();
        Track(FlushOrDrop(peer));
    }

    /// <summary>Remembers work started inline (not through the scheduler, so it starts in call order) until it ends; stopping awaits it.</summary>
    private void Track(Task t)
    {
        if (t.IsCompleted) return;
        _tasks[t] = 0;
        t.ContinueWith(done => _tasks.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task FlushOrDrop(Peer p)
    {
        try { await p.FlushRequestsAsync(_stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
    }

    private bool IsSelf(IPEndPoint ep) => ep.Port == Port && (IPAddress.IsLoopback(ep.Address) || ep.Address.ToString() == _options.ListenAddress);

    /// <summary>
    /// Who is linked now, to test many addresses against (a rotation looks at every known address: one snapshot
    /// of the links for all of them, not a scan of every link for each).
    /// </summary>
    private LinkedAddresses Connected()
    {
        var dialed = new HashSet<IPEndPoint>();
        var listening = new HashSet<IPEndPoint>();
        foreach (var (_, p) in _peers)
        {
            if (p.Outbound) dialed.Add(p.Remote);
            listening.Add(new IPEndPoint(p.Remote.Address, p.ListenPort));
        }
        return new LinkedAddresses(dialed, listening);
    }

    /// <summary>
    /// The addresses we dialled, and the hosts and listen ports of every link: compared as endpoints (address and
    /// port, as their text would be), so testing a thousand known addresses makes no strings.
    /// </summary>
    private sealed record LinkedAddresses(HashSet<IPEndPoint> Dialed, HashSet<IPEndPoint> Listening)
    {
        public bool Has(IPEndPoint ep) => Listening.Contains(ep) || Dialed.Contains(ep);
    }

    private bool OutboundSlotsFree()
    {
        var n = Volatile.Read(ref _dialing);
        foreach (var (_, p) in _peers) if (p.Outbound && !p.Ephemeral) n++; // the dictionary's enumerator: no snapshot, no locks
        return n < _options.MaxOutbound;
    }

    private async Task Delay(TimeSpan by) => await Task.Delay(by, _time, _stop.Token);

    /// <summary>Closes the links a new partition cuts (the adversary lab); they are refused again after each handshake.</summary>
    private void DropCutLinks()
    {
        foreach (var p in _peers.Values.Where(p => _options.Faults!.IsCut(p.Id)))
        {
            _log.LogInformation("Link to {Id} cut by a devnet fault", p.Id);
            _ = Spawn(() => Close(p, new Disconnect(DisconnectReason.Shutdown, "partitioned")));
        }
    }

    private async Task Close(Peer peer, Disconnect why)
    {
        await Send(peer, why);
        await peer.DisposeAsync();
    }

    /// <summary>The linked peer with this key, or a new short-lived link to it; null when it cannot be reached.</summary>
    public async Task<Peer?> LinkAsync(byte[] nodeKey, IPEndPoint endpoint, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(nodeKey);
        if (_peers.TryGetValue(id, out var linked)) return linked;
        if (nodeKey.AsSpan().SequenceEqual(_key.PublicKey) || IsSelf(endpoint)) return null;
        if (_bans.IsBanned(id)) return null;
        var waiter = _linkWaiters.GetOrAdd(id, _ => new TaskCompletionSource<Peer?>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_dialingTo.TryAdd(endpoint.ToString(), 0))
        {
            Interlocked.Increment(ref _dialing);
            _ = Spawn(() => Dial(endpoint, ephemeralFor: id));
        }
        using var deadline = new CancellationTokenSource(_options.DialTimeout + _options.HandshakeTimeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, _stop.Token);
        try { return await waiter.Task.WaitAsync(both.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return null; }
        // Gone whether it was answered or not, so contacts that never answer leave nothing behind.
        finally { _linkWaiters.TryRemove(new KeyValuePair<string, TaskCompletionSource<Peer?>>(id, waiter)); }
    }

    /// <summary>Disconnects and bans a peer for a protocol violation found outside its read loop.</summary>
    public void Ban(Peer peer, string why)
    {
        Interlocked.Increment(ref _violations);
        if (!_options.BanOffenders)
        {
            _log.LogWarning("Peer {Id} broke the protocol: {Reason}; NOT banned (the ban defence is switched off)", peer.Id, why);
            return;
        }
        _log.LogWarning("Peer {Address} {Id} broke the protocol: {Reason}; banned", peer.Address, peer.Id, why);
        if (peer.NodeKey.Length > 0) _bans.Add(peer.NodeKey, why);
        _ = Spawn(() => Close(peer, new Disconnect(DisconnectReason.ProtocolViolation, why)));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_options.Faults is { } faults) faults.Changed -= DropCutLinks;
        _listener?.Dispose();
        foreach (var p in _peers.Values) await p.DisposeAsync();
        try { await Task.WhenAll(_tasks.Keys.ToArray()); }
        catch (Exception e) { _log.LogDebug("A background task ended with {Message} while the network stopped", e.Message); } // stopping goes on
    }

    /// <summary>Swaps one outbound link for a random unconnected known peer, so the network does not settle into cliques.</summary>
    private async Task RotateLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Delay(_options.RotationInterval); }
            catch (OperationCanceledException) { return; }
            var connected = Connected();
            var candidates = _addresses.Known.Where(ep => !IsSelf(ep) && !connected.Has(ep)).ToList();
            if (_addresses.Count <= 9 || candidates.Count == 0) continue;
            var outbound = _peers.Values.Where(p => p.Outbound).ToList();
            if (outbound.Count >= _options.MaxOutbound && outbound.Count > 0)
            {
                var drop = outbound[Next(outbound.Count)];
                _log.LogInformation("Rotating out peer {Id}", drop.Id);
                Interlocked.Increment(ref _rotations);
                await Send(drop, new Disconnect(DisconnectReason.Shutdown, "rotating"));
                await drop.DisposeAsync();
                // The link leaves the table when its read loop ends; wait for that so the slot is really free.
                for (var i = 0; i < 100 && _peers.Values.Contains(drop); i++)
                {
                    try { await Delay(TimeSpan.FromMilliseconds(10)); }
                    catch (OperationCanceledException) { return; }
                }
            }
            // The dial loop may have filled the slot meanwhile: never go over the outbound limit.
            if (_peers.Values.Count(p => p.Outbound) + Volatile.Read(ref _dialing) < _options.MaxOutbound)
            {
                Interlocked.Increment(ref _dialing);
                await Dial(candidates[Next(candidates.Count)]);
            }
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            PeerLink link;
            try { link = await _listener!.AcceptAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            catch (IOException) { continue; }
            if (_peers.Values.Count(p => !p.Outbound) >= _options.MaxInbound || Volatile.Read(ref _handshaking) >= _options.MaxPendingHandshakes)
            {
                await link.DisposeAsync();
                continue;
            }
            Interlocked.Increment(ref _handshaking);
            _ = Spawn(() => RunPeer(link, outbound: false));
        }
    }

    private long _rounds;

    /// <summary>Dial rounds run since start (a settled node runs few: <see cref="SleepWhileSettled"/>).</summary>
    internal long Rounds => Interlocked.Read(ref _rounds);

    private async Task DialLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _rounds);
            // Bootstrap peers first, then the ones learned from peer exchange, in a random order; dials run in
            // parallel, each bounded by the dial time-out, so one dead address never holds up the others.
            // With every outbound slot taken (most rounds of a settled node) nothing is listed or shuffled: a node
            // that knows thousands of addresses pays for them only when it has a slot to fill.
            if (OutboundSlotsFree())
            {
                var learned = _addresses.Known.ToList();
                lock (_random)
                    for (var i = learned.Count - 1; i > 0; i--) { var j = _random.Next(i + 1); (learned[i], learned[j]) = (learned[j], learned[i]); }
                var named = await ResolveBootstrapHosts();
                var connected = Connected();
                foreach (var ep in _options.Bootstrap.Concat(named).Concat(learned).DistinctBy(ep => ep.ToString()))
                {
                    if (!OutboundSlotsFree()) break;
                    if (IsSelf(ep) || connected.Has(ep) || _addresses.InBackoff(ep) || _dialingTo.ContainsKey(ep.ToString())) continue;
                    Interlocked.Increment(ref _dialing);
                    _dialingTo[ep.ToString()] = 0;
                    _ = Spawn(() => Dial(ep));
                }
            }
            _handler?.OnRound(); // sync re-issues block requests that timed out
            try
            {
                // Without any peer yet (a node starting beside others that are starting too), look again sooner.
                await Delay(_peers.IsEmpty ? _options.DialInterval / 4 : _options.DialInterval);
                // Settled (every outbound slot taken, nothing in flight): nothing for a round to do until a link
                // goes, a dial fails or sync sends a request, which wake the loop; a simulator's thousand settled
                // nodes no longer wake every 2 s for nothing. Rounds stay at least a dial interval apart.
                await SleepWhileSettled();
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private TaskCompletionSource? _roundWake;

    /// <summary>
    /// With every outbound slot taken and the handler idle, waits until <see cref="WakeRounds"/> (or 15 dial
    /// intervals); otherwise returns at once. The wake is published before the slots and the handler are looked at,
    /// so a link that goes or a request sent in between is not missed.
    /// </summary>
    private async Task SleepWhileSettled()
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _roundWake, wake); // a full fence: the counts below are read after it is visible
        if (OutboundSlotsFree() || _handler is not { Idle: true })
        {
            Interlocked.CompareExchange(ref _roundWake, null, wake);
            return;
        }
        // The backstop timer and the stop complete the same source as a wake, and the loop awaits that one task
        // (Task.WhenAny or WaitAsync would complete through the thread pool, off a simulator's scheduler).
        using (_time.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), wake, 15 * _options.DialInterval, Timeout.InfiniteTimeSpan))
        using (_stop.Token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), wake))
            await wake.Task;
        Interlocked.CompareExchange(ref _roundWake, null, wake);
        _stop.Token.ThrowIfCancellationRequested();
    }

    /// <summary>Ends a settled dial loop's sleep: a link went or a dial failed (a slot may be free), or a request went out (it may time out).</summary>
    private void WakeRounds() => Interlocked.Exchange(ref _roundWake, null)?.TrySetResult();

    /// <summary>The addresses of the bootstrap peers given by name; a name that does not resolve now is left for the next round.</summary>
    private async Task<List<IPEndPoint>> ResolveBootstrapHosts()
    {
        var found = new List<IPEndPoint>();
        foreach (var host in _options.BootstrapHosts)
        {
            using var deadline = new CancellationTokenSource(_options.DialTimeout, _time);
            using var lookup = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, deadline.Token);
            try
            {
                var addresses = await _options.Resolve(host.Host, lookup.Token);
                // One address per name: IPv4 first, as the listen side binds IPv4 by default.
                if (addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).FirstOrDefault() is { } a)
                    found.Add(new IPEndPoint(a, host.Port));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                _log.LogDebug("Bootstrap host {Host} does not resolve yet: {Error}", host.Host, e.Message);
            }
        }
        return found;
    }

    /// <summary>Dials one address; the caller has counted it in _dialing, which the link's handshake (or a failure here) releases.</summary>
    private async Task Dial(IPEndPoint ep, string? ephemeralFor = null)
    {
        PeerLink link;
        using var deadline = new CancellationTokenSource(_options.DialTimeout, _time);
        using var dial = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, deadline.Token);
        try { link = await _options.Transport.ConnectAsync(ep, dial.Token); }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Interlocked.Decrement(ref _dialing);
            _dialingTo.TryRemove(ep.ToString(), out _);
            _addresses.DialFailed(ep);
            WakeRounds(); // the slot it held is free again
            if (ephemeralFor is not null && _linkWaiters.TryGetValue(ephemeralFor, out var failed)) failed.TrySetResult(null);
            return;
        }
        _dialingTo.TryRemove(ep.ToString(), out _);
        _addresses.DialSucceeded(ep);
        _ = Spawn(() => RunPeer(link, outbound: true, ephemeralFor));
    }

    private async Task RunPeer(PeerLink link, bool outbound, string? ephemeralFor = null)
    {
        await using var peer = new Peer(link, outbound, _options.SendTimeout, _time) { Ephemeral = ephemeralFor is not null, LastUsed = _time.GetTimestamp(), Faults = _options.Faults, Encode = _options.EncodeFrame ?? MessageCodec.Encode, BlockBytes = _options.BlockBytes };
        using var life = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var registered = false;
        try
        {
            bool linked;
            try { linked = await new PeerHandshake(_key, _chain, _options, _time, _log).RunAsync(peer, (ushort)Port, _bans, life.Token); }
            finally
            {
                if (outbound) Interlocked.Decrement(ref _dialing);
                else Interlocked.Decrement(ref _handshaking);
            }
            if (!linked)
            {
                if (ephemeralFor is not null && _linkWaiters.TryGetValue(ephemeralFor, out var refused)) refused.TrySetResult(null);
                return;
            }
            var (ok, full) = Register(peer);
            if (full) await Send(peer, new Disconnect(DisconnectReason.TooManyPeers, $"this node has no room for another inbound peer from {peer.Host} (at most {_options.MaxInbound}, and {_options.MaxInboundPerAddress} per address)"));
            if (!ok) return;
            registered = true;
            _handler!.OnLinked(peer);
            var key = Convert.ToHexStringLower(peer.NodeKey);
            if (_linkWaiters.TryGetValue(key, out var waiter)) waiter.TrySetResult(peer);
            else if (ephemeralFor is not null && _linkWaiters.TryGetValue(ephemeralFor, out var other)) other.TrySetResult(null); // another node answered at that address
            _log.LogInformation("Peer {Id} {Address} connected ({Direction}), height {Height}", peer.Id, peer.Address, outbound ? "out" : "in", peer.BestHeight);
            if (peer.ListenPort != 0 && IPAddress.TryParse(peer.Host, out var ip)) _addresses.Add([new IPEndPoint(ip, peer.ListenPort)]);
            await new PeerSession(peer, this, _handler!).RunAsync(life.Token);
        }
        catch (Exception e) when (e is DecodeException or ProtocolViolation)
        {
            Interlocked.Increment(ref _violations);
            _log.LogWarning("Peer {Address} {Id} broke the protocol: {Reason}; {Outcome}", peer.Address, peer.NodeKey.Length > 0 ? peer.Id : "-", e.Message,
                _options.BanOffenders ? "banned" : "disconnected, NOT banned (the ban defence is switched off)");
            if (peer.NodeKey.Length > 0 && _options.BanOffenders) _bans.Add(peer.NodeKey, e.Message);
            try { await peer.SendAsync(new Disconnect(DisconnectReason.ProtocolViolation, e.Message), CancellationToken.None); }
            catch (Exception sendFailed) { _log.LogDebug("Could not tell {Id} why it is cut off: {Message}", peer.Id, sendFailed.Message); } // it goes either way
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException) { }
        finally
        {
            if (registered)
            {
                _peers.TryRemove(new KeyValuePair<string, Peer>(Convert.ToHexStringLower(peer.NodeKey), peer));
                _handler?.OnGone(peer);
            }
            if (registered || outbound) WakeRounds(); // a link went, or a dial ended without one: a slot may be free
            life.Cancel();
        }
    }

    /// <summary>
    /// Adds a linked peer, under one lock so that the limits hold however many handshakes finish at once. The
    /// inbound limit is checked here, when links complete, and not only when sockets are accepted (3,000
    /// handshakes in a burst all passed the accept-time check). One link per node (<see cref="LinkSlots"/>).
    /// </summary>
    private (bool Registered, bool Full) Register(Peer peer)
    {
        var id = Convert.ToHexStringLower(peer.NodeKey);
        if (_options.Faults?.IsCut(peer.Id) == true) return (false, false); // a partition of the adversary lab
        lock (_linkGate)
        {
            if (_peers.TryGetValue(id, out var old))
            {
                if (old.Outbound == peer.Outbound || !LinkSlots.DialedByLowerKey(peer, _key.PublicKey)) return (false, false);
                _peers[id] = peer;
                Track(old.DisposeAsync().AsTask());
                return (true, false);
            }
            if (!peer.Outbound && !LinkSlots.InboundHasRoom(_peers.Values, peer, _options)) return (false, true);
            _peers[id] = peer;
            return (true, false);
        }
    }
}

/// <summary>What the peer set has counted since start.</summary>
public sealed record PeerSetStats(long Violations, long Bans, long Rotations, IReadOnlyDictionary<MessageType, long> ReceivedByType);
