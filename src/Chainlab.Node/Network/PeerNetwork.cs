using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Protocol;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Network;

/// <summary>
/// Links this node to others over TCP: handshake, liveness, transaction and block gossip by hash
/// (peers fetch what they lack), and range sync from a peer that is ahead. Transactions from peers enter
/// through the mempool's one admission function and blocks through the one import pipeline.
/// </summary>
public sealed class PeerNetwork : IPeerDirectory, IAsyncDisposable
{
    private readonly IChainReader _chain;
    private readonly IBlockImport _import;
    private readonly ITransactionAdmission _pool;
    private readonly NodeEvents _events;
    private readonly KeyPair _key;
    private readonly PeerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Peer> _peers = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _banned = new();
    private readonly SeenCache _seenTxs;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = new();
    private IPeerListener? _listener;
    // Known listen endpoints from bootstrap, peer exchange and the persisted list.
    private readonly ConcurrentDictionary<string, IPEndPoint> _known = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _dialBackoff = new();

    public PeerNetwork(IChainReader chain, IBlockImport import, ITransactionAdmission pool, NodeEvents events,
        KeyPair key, PeerOptions options, TimeProvider time, ILogger log)
    {
        _chain = chain; _import = import; _pool = pool; _events = events; _key = key; _options = options; _time = time; _log = log;
        _gaps = new GapBuffer(50_000, TimeSpan.FromMinutes(2), time);
        _seenTxs = new SeenCache(400_000, TimeSpan.FromSeconds(5), time);
    }

    public int Port { get; private set; }
    public string NodeId => Convert.ToHexStringLower(_key.PublicKey)[..16];
    public IReadOnlyCollection<Peer> Peers => _peers.Values.ToList();
    public long Violations;
    /// <summary>Outbound links swapped for another known peer so far.</summary>
    public long Rotations;

    public IReadOnlyCollection<IPEndPoint> Known => _known.Values.ToList();

    private long _startedAt;
    private IDisposable? _admitted;
    private EventQueue<HeadChanged>? _heads;

    public void Start()
    {
        _startedAt = _time.GetTimestamp();
        foreach (var ep in _options.Bootstrap) _known[ep.ToString()] = ep;
        LoadKnown();
        _listener = _options.Transport.Listen(_options.ListenAddress, _options.Port);
        Port = _listener.Port;
        _tasks.Add(Task.Run(AcceptLoop));
        _tasks.Add(Task.Run(DialLoop));
        _admitted = _events.Subscribe<TransactionsAdmitted>(e =>
        {
            foreach (var h in e.Hashes) { _seenTxs.Add(h); _outgoing.Enqueue(h); }
            try { if (_outgoingSignal.CurrentCount == 0) _outgoingSignal.Release(); }
            catch (SemaphoreFullException) { } // another thread signalled first: one wake-up is enough
        });
        _heads = _events.Queue<HeadChanged>();
        _tasks.Add(Task.Run(AnnounceTransactions));
        _tasks.Add(Task.Run(AnnounceHeads));
        _tasks.Add(Task.Run(ReannounceLoop));
        _tasks.Add(Task.Run(RotateLoop));
    }

    private void LoadKnown()
    {
        if (_options.PeersFile is not { } path || !File.Exists(path)) return;
        try
        {
            foreach (var line in File.ReadLines(path).Take(_options.MaxKnownPeers))
                if (IPEndPoint.TryParse(line.Trim(), out var ep) && ep.Port > 0) _known[ep.ToString()] = ep;
        }
        catch (IOException e) { _log.LogWarning("Cannot read {Path}: {Message}", path, e.Message); }
    }

    private readonly object _saveLock = new();

    private void SaveKnown()
    {
        if (_options.PeersFile is not { } path) return;
        lock (_saveLock)
        try
        {
            var tmp = path + ".tmp";
            File.WriteAllLines(tmp, _known.Keys.Take(_options.MaxKnownPeers));
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e) { _log.LogWarning("Cannot write {Path}: {Message}", path, e.Message); }
    }

    private bool IsSelf(IPEndPoint ep) => ep.Port == Port && (IPAddress.IsLoopback(ep.Address) || ep.Address.ToString() == _options.ListenAddress);

    private bool ConnectedTo(IPEndPoint ep) =>
        _peers.Values.Any(p => (p.Outbound && p.Address == ep.ToString()) || (p.ListenPort == ep.Port && p.Host == ep.Address.ToString()));

    /// <summary>Swaps one outbound link for a random unconnected known peer, so the network does not settle into cliques.</summary>
    private async Task RotateLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(_options.RotationInterval, _time, _stop.Token); }
            catch (OperationCanceledException) { return; }
            var candidates = _known.Values.Where(ep => !IsSelf(ep) && !ConnectedTo(ep)).ToList();
            if (_known.Count <= 9 || candidates.Count == 0) continue;
            var outbound = _peers.Values.Where(p => p.Outbound).ToList();
            if (outbound.Count >= _options.MaxOutbound && outbound.Count > 0)
            {
                var drop = outbound[Random.Shared.Next(outbound.Count)];
                _log.LogInformation("Rotating out peer {Id}", drop.Id);
                Interlocked.Increment(ref Rotations);
                await SendOrDrop(drop, new Disconnect(DisconnectReason.Shutdown, "rotating"));
                await drop.DisposeAsync();
                // The link leaves the table when its read loop ends; wait for that so the slot is really free.
                for (var i = 0; i < 100 && _peers.Values.Contains(drop); i++)
                {
                    try { await Task.Delay(TimeSpan.FromMilliseconds(10), _time, _stop.Token); }
                    catch (OperationCanceledException) { return; }
                }
            }
            // The dial loop may have filled the slot meanwhile: never go over the outbound limit.
            if (_peers.Values.Count(p => p.Outbound) + Volatile.Read(ref _dialing) < _options.MaxOutbound)
                await Dial(candidates[Random.Shared.Next(candidates.Count)]);
        }
    }

    private readonly ConcurrentQueue<Hash> _outgoing = new();
    private readonly SemaphoreSlim _outgoingSignal = new(0, 1);

    /// <summary>
    /// Announces newly admitted transactions in batches: after the first one arrives, whatever else is
    /// admitted in the next 20 ms goes in the same messages. (Transactions admitted one at a time, as a
    /// closed nonce gap releases them, used to go out one hash per message: thousands of messages a
    /// second, and the peers banned the node for flooding.)
    /// </summary>
    private async Task AnnounceTransactions()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await _outgoingSignal.WaitAsync(_stop.Token);
                await Task.Delay(TimeSpan.FromMilliseconds(20), _time, _stop.Token);
                var batch = new List<Hash>();
                while (_outgoing.TryDequeue(out var h)) batch.Add(h);
                BroadcastTxHashes(batch);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task AnnounceHeads()
    {
        var heads = _heads!.Reader;
        try
        {
            await foreach (var e in heads.ReadAllAsync(_stop.Token))
            {
                // While syncing, heads come in bursts of thousands: announce only the newest, and only to
                // peers that are behind it. (Announcing every synced block to the peer serving them once
                // looked like a flood and got the syncing node banned at about 4,300 blocks.)
                if (heads.TryPeek(out _)) continue;
                var announce = new AnnounceBlock(e.Head.Hash, e.Head.Height);
                foreach (var p in _peers.Values)
                    if (p.BestHeight < e.Head.Height) _ = SendOrDrop(p, announce);
                // A block may have carried the transaction a waiting one was missing.
                if (_gaps.Count > 0) CloseGaps(_gaps.Senders());
            }
        }
        catch (OperationCanceledException) { }
    }

    private readonly GapBuffer _gaps;

    /// <summary>
    /// Gossip can lose a transaction (a peer that disconnected before answering, a reply cut short), so
    /// pending transactions are announced again every few seconds until a block includes them. Peers
    /// that hold them ignore the announcement; others fetch them once the earlier request has aged out.
    /// </summary>
    private async Task ReannounceLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(_options.ReannounceInterval, _time, _stop.Token); }
            catch (OperationCanceledException) { return; }
            var pending = _pool.PendingHashes(4 * WireLimits.MaxHashesPerMessage);
            BroadcastTxHashes(pending);
        }
    }

    /// <summary>Admits waiting transactions whose sender's next nonce has arrived, in nonce order.</summary>
    private void CloseGaps(IEnumerable<Address> senders)
    {
        foreach (var sender in senders)
            while (_gaps.Take(sender, _pool.NextNonce(sender)) is { } next)
                if (!_pool.Admit([next.Raw])[0].Accepted) break;
    }

    private void BroadcastTxHashes(IEnumerable<Hash> hashes)
    {
        foreach (var chunk in hashes.Chunk(WireLimits.MaxHashesPerMessage)) Broadcast(new AnnounceTxs(chunk));
    }

    private void Broadcast(Message m)
    {
        foreach (var p in _peers.Values) _ = SendOrDrop(p, m);
    }

    private async Task SendOrDrop(Peer p, Message m)
    {
        try { await p.SendAsync(m, _stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
    }

    private async Task FlushOrDrop(Peer p)
    {
        try { await p.FlushRequestsAsync(_stop.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
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
            _ = Task.Run(() => RunPeer(link, outbound: false));
        }
    }

    private async Task DialLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            // Bootstrap peers first, then the ones learned from peer exchange.
            var order = _options.Bootstrap.Concat(_known.Values.OrderBy(_ => Random.Shared.Next())).DistinctBy(ep => ep.ToString());
            foreach (var ep in order)
            {
                if (_peers.Values.Count(p => p.Outbound) + Volatile.Read(ref _dialing) >= _options.MaxOutbound) break;
                if (IsSelf(ep) || ConnectedTo(ep)) continue;
                if (_dialBackoff.TryGetValue(ep.ToString(), out var until) && until > _time.GetUtcNow()) continue;
                await Dial(ep);
            }
            Pump(); // also re-issues block requests that timed out
            try { await Task.Delay(_options.DialInterval, _time, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    // Outbound links dialed but not yet through the handshake: they count against MaxOutbound.
    private int _dialing;

    private async Task Dial(IPEndPoint ep)
    {
        Interlocked.Increment(ref _dialing);
        PeerLink link;
        try { link = await _options.Transport.ConnectAsync(ep, _stop.Token); }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Interlocked.Decrement(ref _dialing);
            _dialBackoff[ep.ToString()] = _time.GetUtcNow() + _options.DialInterval * 5;
            return;
        }
        _ = Task.Run(() => RunPeer(link, outbound: true));
    }

    private async Task RunPeer(PeerLink link, bool outbound)
    {
        await using var peer = new Peer(link, outbound);
        using var life = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            bool linked;
            try { linked = await HandshakeAsync(peer, life.Token); }
            finally { if (outbound) Interlocked.Decrement(ref _dialing); }
            if (!linked) return;
            _log.LogInformation("Peer {Id} {Address} connected ({Direction}), height {Height}", peer.Id, peer.Address, outbound ? "out" : "in", peer.BestHeight);
            _tasks.Add(Task.Run(() => PingLoop(peer, life.Token)));
            if (peer.BestHeight > _chain.Head.Height) Pump();
            if (peer.ListenPort != 0 && IPAddress.TryParse(peer.Host, out var ip) && _known.TryAdd(new IPEndPoint(ip, peer.ListenPort).ToString(), new IPEndPoint(ip, peer.ListenPort)))
                SaveKnown();
            await peer.SendAsync(new GetPeers(), life.Token);
            // Announcements made before this link existed never reached it: tell it what is pending now.
            foreach (var chunk in _pool.PendingHashes(4 * WireLimits.MaxHashesPerMessage).Chunk(WireLimits.MaxHashesPerMessage))
                await peer.SendAsync(new AnnounceTxs(chunk), life.Token);
            while (!life.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(life.Token);
                idle.CancelAfter(_options.IdleTimeout);
                Message m;
                try { m = await peer.ReadAsync(idle.Token); }
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
            if (peer.NodeKey.Length > 0 && _peers.TryGetValue(Convert.ToHexStringLower(peer.NodeKey), out var registered) && registered == peer)
            {
                _peers.TryRemove(Convert.ToHexStringLower(peer.NodeKey), out _);
                lock (_syncGate)
                    foreach (var w in _windows.Values) if (w.Peer == peer && w.Blocks is null) w.Peer = null;
                Pump();
            }
            life.Cancel();
        }
    }

    private async Task<bool> HandshakeAsync(Peer peer, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.HandshakeTimeout);
        var spec = _chain.Spec;
        var ours = Handshake.CreateHello(_key, spec.ChainId, _chain.GenesisHash, (ushort)Port, _chain.Head.Height);
        try
        {
            await peer.SendAsync(ours, timeout.Token);
            if (await peer.ReadAsync(timeout.Token) is not Hello theirs) throw new ProtocolViolation("expected Hello first");
            if (Handshake.CheckHello(theirs, spec.ChainId, _chain.GenesisHash, _key.PublicKey) is { } refusal)
            {
                _log.LogWarning("Peer {Address} refused: {Detail}", peer.Address, refusal.Detail);
                await peer.SendAsync(new Disconnect(refusal.Reason, refusal.Detail), timeout.Token);
                return false;
            }
            var id = Convert.ToHexStringLower(theirs.NodeKey);
            if (_banned.TryGetValue(id, out var until) && until > _time.GetUtcNow())
            {
                await peer.SendAsync(new Disconnect(DisconnectReason.Banned, "banned"), timeout.Token);
                return false;
            }
            await peer.SendAsync(Handshake.Answer(_key, theirs, _chain.GenesisHash), timeout.Token);
            var reply = await peer.ReadAsync(timeout.Token);
            if (reply is Disconnect refused)
            {
                // The other side turned us down (it banned us, or it is full): not a violation on its part.
                _log.LogInformation("Peer {Address} refused the link: {Reason} {Detail}", peer.Address, refused.Reason, refused.Detail);
                return false;
            }
            if (reply is not HelloAck ack || !Handshake.VerifyAnswer(ours, theirs, ack, _chain.GenesisHash))
                throw new ProtocolViolation("handshake signature does not prove the node key");
            peer.NodeKey = theirs.NodeKey;
            peer.ListenPort = theirs.ListenPort;
            peer.BestHeight = theirs.BestHeight;
            // One link per node: the first one wins.
            return _peers.TryAdd(id, peer);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProtocolViolation("handshake timed out");
        }
    }

    private async Task PingLoop(Peer peer, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(_options.PingInterval, _time, ct);
                peer.Forgive();
                _pings[peer] = (_time.GetTimestamp(), (ulong)Random.Shared.NextInt64());
                await peer.SendAsync(new Ping(_pings[peer].Nonce), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
    }

    private readonly ConcurrentDictionary<Peer, (long Sent, ulong Nonce)> _pings = new();

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
                var added = false;
                foreach (var info in list.List)
                {
                    if (_known.Count >= _options.MaxKnownPeers) break;
                    var ep = new IPEndPoint(IPAddress.Parse(info.Host), info.Port);
                    if (!IsSelf(ep) && _known.TryAdd(ep.ToString(), ep)) added = true;
                }
                if (added) SaveKnown();
                break;
            case AnnounceTxs a:
                var wanted = a.Hashes.Where(h => _seenTxs.Add(h) && !_pool.Contains(h)).ToList();
                if (wanted.Count > 0) await peer.SendAsync(new GetTxs(wanted), ct);
                break;
            case GetTxs g:
                var txs = g.Hashes.Select(h => _pool.Get(h)).OfType<Transaction>().Select(t => t.Raw).ToList();
                await peer.SendAsync(new Txs(LimitBytes(txs, WireLimits.MaxTxsBytes)), ct);
                break;
            case Txs t:
                if (t.Raw.Count == 0) break;
                var results = _pool.Admit(t.Raw);
                if (results.Any(r => r.Result.Error is Core.State.TxError.Malformed or Core.State.TxError.BadSignature or Core.State.TxError.TooLarge))
                    throw new ProtocolViolation("sent a malformed or badly signed transaction");
                // Only when something waits or has to wait: decoding every gossiped transaction again would be wasted.
                if (_gaps.Count == 0 && !results.Any(r => r.Result.Error == Core.State.TxError.NonceGap)) break;
                var touched = new HashSet<Address>();
                for (var i = 0; i < results.Length; i++)
                {
                    if (results[i].Result.Error == Core.State.TxError.NonceGap) { var gap = Transaction.Decode(t.Raw[i]); _gaps.Add(gap); touched.Add(gap.Sender); }
                    else if (results[i].Accepted) touched.Add(Transaction.Decode(t.Raw[i]).Sender);
                }
                CloseGaps(touched);
                break;
            case AnnounceBlock b:
                peer.BestHeight = b.Height;
                var ourHead = _chain.Head;
                if (b.Height > ourHead.Height) Pump();
                else if (b.Height + Blockchain.MaxReorgDepth > ourHead.Height && !_chain.IsKnown(b.Hash, b.Height))
                    SendProbe(peer, b.Height, 1); // a competing branch: fetch its tip, then walk back to where it forks
                break;
            case GetBlocks g:
                await peer.SendAsync(new Blocks(_chain.Blocks.RawBlocks(g.FromHeight, (int)g.Count, WireLimits.MaxBlocksBytes - 1024)), ct);
                break;
            case Blocks b:
                await OnBlocks(peer, b);
                break;
            case Disconnect d:
                _log.LogInformation("Peer {Id} disconnected: {Reason} {Detail}", peer.Id, d.Reason, d.Detail);
                throw new IOException("peer disconnected");
            case Hello or HelloAck:
                throw new ProtocolViolation($"unexpected {m.Type} after the handshake");
        }
    }

    private static List<byte[]> LimitBytes(List<byte[]> items, int max)
    {
        long total = 0;
        return items.TakeWhile(x => (total += x.Length + 4) <= max).ToList();
    }

    // ---- Sync ----------------------------------------------------------------------------------------
    // Forward sync splits the heights between our head and the best peer's into windows of up to 128
    // blocks, asks different peers for them in parallel (at most 2 outstanding per peer), and imports the
    // windows strictly in height order through the import pipeline. A window whose first block does not
    // join our chain means the peer is on another branch: a probe then walks back (8, 16, 32, ... blocks)
    // from that peer until its blocks connect, and fork choice in the import pipeline does the rest.

    private sealed class Window
    {
        public ulong From;
        public uint Count;
        public Peer? Peer;
        public long SentAt;
        public List<Block>? Blocks;
    }

    private const int MaxWindows = 16;
    private const int MaxRequestsPerPeer = 2;
    private readonly object _syncGate = new();
    private readonly SortedDictionary<ulong, Window> _windows = new();
    private int _importing;

    private static int InFlight(Peer p) { lock (p.Requests) return p.Requests.Count; }

    /// <summary>Plans and sends block requests toward the best known height, then imports what is ready.</summary>
    private void Pump()
    {
        // Right after start, give the bootstrap peers a moment to link up, so the first (largest) sync is
        // spread over them rather than taken by whichever answered first.
        if (_time.GetElapsedTime(_startedAt) < _options.SyncGatherTime && _peers.Count < Math.Min(3, _options.Bootstrap.Count)) return;
        var sends = new HashSet<Peer>();
        lock (_syncGate)
        {
            var head = _chain.Head.Height;
            var now = _time.GetTimestamp();
            var peers = _peers.Values.ToList();
            var target = peers.Select(p => p.BestHeight).DefaultIfEmpty(0UL).Max();
            foreach (var stale in _windows.Values.Where(w => w.From + w.Count - 1 <= head && w.Blocks is null).Select(w => w.From).ToList())
                _windows.Remove(stale);
            foreach (var w in _windows.Values)
                if (w.Blocks is null && w.Peer is { } slow && _time.GetElapsedTime(w.SentAt, now) > _options.RequestTimeout)
                {
                    slow.Penalise(5, "block request timed out");
                    w.Peer = null;
                }
            var next = head + 1;
            if (_windows.Count > 0) { var last = _windows.Values.Last(); next = Math.Max(next, last.From + last.Count); }
            while (next <= target && _windows.Count < MaxWindows)
            {
                var count = (uint)Math.Min(WireLimits.MaxBlocksPerMessage, target - next + 1);
                _windows[next] = new Window { From = next, Count = count };
                next += count;
            }
            foreach (var w in _windows.Values.Where(w => w.Peer is null && w.Blocks is null))
            {
                var peer = peers.Where(p => p.BestHeight >= w.From && InFlight(p) < MaxRequestsPerPeer)
                    .OrderBy(InFlight).ThenBy(_ => Random.Shared.Next()).FirstOrDefault();
                if (peer is null) continue;
                w.Peer = peer;
                w.SentAt = now;
                peer.AddRequest(new BlockRequest(w.From, w.Count, Probe: false));
                sends.Add(peer);
            }
        }
        foreach (var peer in sends) _ = FlushOrDrop(peer);
        TryImport();
    }

    private void SendProbe(Peer peer, ulong from, uint count)
    {
        lock (peer.Requests)
        {
            if (peer.Requests.Any(r => r.Probe)) return;
            peer.AddRequest(new BlockRequest(from, count, Probe: true));
        }
        _ = FlushOrDrop(peer);
    }

    private async Task OnBlocks(Peer peer, Blocks b)
    {
        BlockRequest? request;
        lock (peer.Requests) peer.Requests.TryDequeue(out request);
        if (request is null) { peer.Penalise(20, "sent blocks nobody asked for"); return; }
        if (b.Raw.Count > request.Count) throw new ProtocolViolation($"sent {b.Raw.Count} blocks for a request of {request.Count}");
        var blocks = new List<Block>(b.Raw.Count);
        foreach (var raw in b.Raw)
        {
            Block block;
            try { block = Block.Decode(raw); }
            catch (DecodeException e) { throw new ProtocolViolation("sent an undecodable block: " + e.Message); }
            if (block.Height != request.From + (ulong)blocks.Count) throw new ProtocolViolation($"sent block {block.Height} where {request.From + (ulong)blocks.Count} was asked for");
            blocks.Add(block);
        }
        Interlocked.Add(ref peer.BlocksReceived, blocks.Count);
        if (request.Probe) { await ImportProbe(peer, blocks); return; }
        lock (_syncGate)
        {
            if (_windows.TryGetValue(request.From, out var w) && w.Blocks is null)
            {
                if (blocks.Count == 0)
                {
                    // The peer does not have these (any more): plan with what it does have.
                    w.Peer = null;
                    if (request.From > 0) peer.BestHeight = Math.Min(peer.BestHeight, request.From - 1);
                }
                else
                {
                    w.Blocks = blocks;
                    if (blocks.Count < w.Count)
                    {
                        var rest = new Window { From = w.From + (ulong)blocks.Count, Count = w.Count - (uint)blocks.Count };
                        _windows[rest.From] = rest;
                        w.Count = (uint)blocks.Count;
                    }
                }
            }
        }
        Pump();
    }

    private void TryImport()
    {
        lock (_syncGate)
            if (_windows.Count == 0 || _windows.Values.First().Blocks is null) return;
        if (Interlocked.CompareExchange(ref _importing, 1, 0) != 0) return;
        _ = Task.Run(ImportReadyWindows);
    }

    private async Task ImportReadyWindows()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Window w;
                lock (_syncGate)
                {
                    if (_windows.Count == 0 || _windows.Values.First().Blocks is null) break;
                    w = _windows.Values.First();
                    _windows.Remove(w.From);
                }
                var status = await ImportRun(w.Peer, w.Blocks!);
                if (status is ImportStatus.Orphan or ImportStatus.Rejected)
                {
                    // The rest was planned on a chain that does not join ours (or came from a bad peer).
                    lock (_syncGate) _windows.Clear();
                    if (status == ImportStatus.Orphan && w.Peer is { } forked) StartProbe(forked, w.From);
                    break;
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException) { return; }
        finally { Volatile.Write(ref _importing, 0); }
        Pump();
    }

    /// <summary>Imports consecutive blocks from one peer; the status of the last one handled (Orphan only for the first).</summary>
    private async Task<ImportStatus> ImportRun(Peer? peer, List<Block> blocks)
    {
        var status = ImportStatus.Known;
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            if (i + 1 < blocks.Count) _import.VerifyAhead(blocks[i + 1]);
            var result = await _import.ImportAsync(block);
            status = result.Status;
            if (status == ImportStatus.Orphan) return status;
            if (status == ImportStatus.Rejected)
            {
                peer?.Penalise(20, "sent an invalid block");
                _log.LogWarning("Block {Height} from {Id} rejected: {Reason}", block.Height, peer?.Id ?? "-", result.Reason);
                return status;
            }
        }
        return status;
    }

    /// <summary>Asks a forked peer for blocks further back, doubling the distance each time.</summary>
    private void StartProbe(Peer peer, ulong orphanHeight)
    {
        peer.ProbeBack = peer.ProbeBack == 0 ? 8 : peer.ProbeBack * 2;
        if (peer.ProbeBack > 2 * Blockchain.MaxReorgDepth)
        {
            _log.LogWarning("Peer {Id} is on a branch that forks more than {Depth} blocks back; ignoring it", peer.Id, Blockchain.MaxReorgDepth);
            peer.ProbeBack = 0;
            return;
        }
        var from = orphanHeight > peer.ProbeBack ? orphanHeight - peer.ProbeBack : 1;
        SendProbe(peer, from, (uint)WireLimits.MaxBlocksPerMessage);
    }

    private async Task ImportProbe(Peer peer, List<Block> blocks)
    {
        if (blocks.Count == 0) { peer.ProbeBack = 0; return; }
        var status = await ImportRun(peer, blocks);
        if (status == ImportStatus.Orphan) { StartProbe(peer, blocks[0].Height); return; }
        peer.ProbeBack = 0;
        if (status == ImportStatus.Rejected) return;
        // Joined: follow this peer's branch up to its tip; fork choice switches when it is heavier.
        var last = blocks[^1].Height;
        if (last < peer.BestHeight) SendProbe(peer, last + 1, (uint)Math.Min(WireLimits.MaxBlocksPerMessage, peer.BestHeight - last));
        else Pump();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Dispose();
        foreach (var p in _peers.Values) await p.DisposeAsync();
        _admitted?.Dispose();
        _heads?.Dispose();
        try { await Task.WhenAll(_tasks.ToArray()); } catch (Exception) { }
    }
}
