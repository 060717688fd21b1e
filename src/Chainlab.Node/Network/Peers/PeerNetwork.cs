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
/// scheduler, all waits on the injected clock, all choices on the injected random source.
/// </summary>
public sealed class PeerNetwork : IPeerDirectory, IPeerLinks, IAsyncDisposable
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
    private readonly ConcurrentBag<Task> _tasks = new();
    private readonly AddressBook _addresses;
    private readonly TransactionGossip _transactions;
    private readonly BlockAnnouncer _announcer;
    private readonly BlockSync _sync;
    private IPeerListener? _listener;
    // Outbound links dialed but not yet through the handshake: they count against MaxOutbound.
    private int _dialing;

    public PeerNetwork(IChainReader chain, IBlockImport import, ITransactionAdmission pool, NodeEvents events,
        KeyPair key, PeerOptions options, TimeProvider time, TaskScheduler scheduler, Random random, ILogger log)
    {
        _chain = chain; _key = key; _options = options; _time = time; _scheduler = scheduler; _random = random; _log = log;
        _addresses = new AddressBook(options, time, log);
        _transactions = new TransactionGossip(pool, events, this, options, time);
        _announcer = new BlockAnnouncer(events, this, _transactions);
        _sync = new BlockSync(chain, import, this, options, time, new Random(Next(int.MaxValue)), log);
    }

    public int Port { get; private set; }
    public string NodeId => Convert.ToHexStringLower(_key.PublicKey)[..16];
    public IReadOnlyCollection<Peer> Peers => _peers.Values.ToList();
    IReadOnlyCollection<Peer> IPeerLinks.Linked => _peers.Values.ToList();
    public long Violations;
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
    }

    /// <summary>Runs background work on the node's scheduler (a simulator's virtual-time scheduler, or the thread pool).</summary>
    public Task Spawn(Func<Task> work)
    {
        var t = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap();
        _tasks.Add(t);
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

    /// <summary>Swaps one outbound link for a random unconnected known peer, so the network does not settle into cliques.</summary>
    private async Task RotateLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Delay(_options.RotationInterval); }
            catch (OperationCanceledException) { return; }
            var candidates = _addresses.Known.Where(ep => !IsSelf(ep) && !ConnectedTo(ep)).ToList();
            if (_addresses.Count <= 9 || candidates.Count == 0) continue;
            var outbound = _peers.Values.Where(p => p.Outbound).ToList();
            if (outbound.Count >= _options.MaxOutbound && outbound.Count > 0)
            {
                var drop = outbound[Next(outbound.Count)];
                _log.LogInformation("Rotating out peer {Id}", drop.Id);
                Interlocked.Increment(ref Rotations);
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
                await Dial(candidates[Next(candidates.Count)]);
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
            if (_peers.Values.Count(p => !p.Outbound) >= _options.MaxInbound) { await link.DisposeAsync(); continue; }
            _ = Spawn(() => RunPeer(link, outbound: false));
        }
    }

    private async Task DialLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            // Bootstrap peers first, then the ones learned from peer exchange, in a random order.
            var learned = _addresses.Known.ToList();
            for (var i = learned.Count - 1; i > 0; i--) { var j = Next(i + 1); (learned[i], learned[j]) = (learned[j], learned[i]); }
            foreach (var ep in _options.Bootstrap.Concat(learned).DistinctBy(ep => ep.ToString()))
            {
                if (_peers.Values.Count(p => p.Outbound) + Volatile.Read(ref _dialing) >= _options.MaxOutbound) break;
                if (IsSelf(ep) || ConnectedTo(ep) || _addresses.InBackoff(ep)) continue;
                await Dial(ep);
            }
            _sync.Pump(); // also re-issues block requests that timed out
            try { await Delay(_options.DialInterval); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task Dial(IPEndPoint ep)
    {
        Interlocked.Increment(ref _dialing);
        PeerLink link;
        try { link = await _options.Transport.ConnectAsync(ep, _stop.Token); }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Interlocked.Decrement(ref _dialing);
            _addresses.DialFailed(ep);
            return;
        }
        _ = Spawn(() => RunPeer(link, outbound: true));
    }

    private async Task RunPeer(PeerLink link, bool outbound)
    {
        await using var peer = new Peer(link, outbound);
        using var life = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var registered = false;
        try
        {
            bool linked;
            try { linked = await new PeerHandshake(_key, _chain, _options, _time, _log).RunAsync(peer, (ushort)Port, _banned, life.Token); }
            finally { if (outbound) Interlocked.Decrement(ref _dialing); }
            if (!linked || !Register(peer)) return;
            registered = true;
            _log.LogInformation("Peer {Id} {Address} connected ({Direction}), height {Height}", peer.Id, peer.Address, outbound ? "out" : "in", peer.BestHeight);
            _ = Spawn(() => PingLoop(peer, life.Token));
            if (peer.BestHeight > _chain.Head.Height) _sync.Pump();
            if (peer.ListenPort != 0 && IPAddress.TryParse(peer.Host, out var ip)) _addresses.Add([new IPEndPoint(ip, peer.ListenPort)]);
            await peer.SendAsync(new GetPeers(), life.Token);
            await _transactions.OnLinked(peer);
            while (!life.IsCancellationRequested)
            {
                using var idle = new CancellationTokenSource(_options.IdleTimeout, _time);
                using var read = CancellationTokenSource.CreateLinkedTokenSource(life.Token, idle.Token);
                Message m;
                try { m = await peer.ReadAsync(read.Token); }
                catch (OperationCanceledException) when (!life.IsCancellationRequested) { throw new ProtocolViolation("idle for too long"); }
                peer.Count(m.Type);
                if (!peer.TakeToken(_time.GetTimestamp(), _options.MessagesPerSecond, _options.MessageBurst, _time)) peer.Penalise(1, "flooding (" + peer.TopMessages() + ")");
                await HandleAsync(peer, m, life.Token);
                if (peer.Score <= Peer.BanScore) throw new ProtocolViolation($"score fell to {peer.Score}");
            }
        }
        catch (Exception e) when (e is DecodeException or ProtocolViolation)
        {
            Interlocked.Increment(ref Violations);
            _log.LogWarning("Peer {Address} {Id} broke the protocol: {Reason}; banned", peer.Address, peer.NodeKey.Length > 0 ? peer.Id : "-", e.Message);
            if (peer.NodeKey.Length > 0) _banned[Convert.ToHexStringLower(peer.NodeKey)] = _time.GetUtcNow() + _options.BanTime;
            try { await peer.SendAsync(new Disconnect(DisconnectReason.ProtocolViolation, e.Message), CancellationToken.None); } catch (Exception) { }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException) { }
        finally
        {
            if (registered)
            {
                _peers.TryRemove(new KeyValuePair<string, Peer>(Convert.ToHexStringLower(peer.NodeKey), peer));
                _pings.TryRemove(peer, out _);
                _sync.OnPeerGone(peer);
            }
            life.Cancel();
        }
    }

    /// <summary>
    /// One link per node. When two nodes dial each other at the same moment, both ends keep the same one of the
    /// two links, the one dialed by the lower node key, and drop the other; otherwise each end would keep its
    /// own dial, drop the other's, and both links would die (and again on every retry).
    /// </summary>
    private bool Register(Peer peer)
    {
        var id = Convert.ToHexStringLower(peer.NodeKey);
        while (true)
        {
            if (_peers.TryAdd(id, peer)) return true;
            if (!_peers.TryGetValue(id, out var old)) continue;
            if (old.Outbound == peer.Outbound || !DialedByLowerKey(peer)) return false;
            if (_peers.TryUpdate(id, peer, old))
            {
                _ = old.DisposeAsync().AsTask();
                return true;
            }
        }
    }

    private bool DialedByLowerKey(Peer p)
    {
        var (dialer, acceptor) = p.Outbound ? (_key.PublicKey, p.NodeKey) : (p.NodeKey, _key.PublicKey);
        return dialer.AsSpan().SequenceCompareTo(acceptor) < 0;
    }

    private async Task PingLoop(Peer peer, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(_options.PingInterval, _time, ct);
                peer.Forgive();
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
                _addresses.Add(list.List.Select(i => new IPEndPoint(IPAddress.Parse(i.Host), i.Port)).Where(ep => !IsSelf(ep)));
                break;
            case AnnounceTxs a: await _transactions.Handle(peer, a); break;
            case GetTxs g: await _transactions.Handle(peer, g); break;
            case Txs t: _transactions.Handle(t); break;
            case AnnounceBlock b: _sync.OnAnnounce(peer, b); break;
            case GetBlocks g:
                await peer.SendAsync(new Blocks(_chain.Blocks.RawBlocks(g.FromHeight, (int)g.Count, WireLimits.MaxBlocksBytes - 1024)), ct);
                break;
            case Blocks b: await _sync.OnBlocks(peer, b); break;
            case Disconnect d:
                _log.LogInformation("Peer {Id} disconnected: {Reason} {Detail}", peer.Id, d.Reason, d.Detail);
                throw new IOException("peer disconnected");
            case Hello or HelloAck:
                throw new ProtocolViolation($"unexpected {m.Type} after the handshake");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Dispose();
        foreach (var p in _peers.Values) await p.DisposeAsync();
        try { await Task.WhenAll(_tasks.ToArray()); } catch (Exception) { }
        _announcer.Dispose();
        _transactions.Dispose();
    }
}
