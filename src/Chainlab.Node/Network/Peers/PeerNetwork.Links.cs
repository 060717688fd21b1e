using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Encoding;
using Chainlab.Node.Network.Protocol;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Network.Peers;

/// <summary>Making and keeping links: accepting, dialing, rotation, the handshake, the read loop and its score, one link per node.</summary>
public sealed partial class PeerNetwork
{
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

    private async Task DialLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            // Bootstrap peers first, then the ones learned from peer exchange, in a random order; dials run in
            // parallel, each bounded by the dial time-out, so one dead address never holds up the others.
            var learned = _addresses.Known.ToList();
            for (var i = learned.Count - 1; i > 0; i--) { var j = Next(i + 1); (learned[i], learned[j]) = (learned[j], learned[i]); }
            var named = await ResolveBootstrapHosts();
            foreach (var ep in _options.Bootstrap.Concat(named).Concat(learned).DistinctBy(ep => ep.ToString()))
            {
                if (_peers.Values.Count(p => p.Outbound && !p.Ephemeral) + Volatile.Read(ref _dialing) >= _options.MaxOutbound) break;
                if (IsSelf(ep) || ConnectedTo(ep) || _addresses.InBackoff(ep) || _dialingTo.ContainsKey(ep.ToString())) continue;
                Interlocked.Increment(ref _dialing);
                _dialingTo[ep.ToString()] = 0;
                _ = Spawn(() => Dial(ep));
            }
            _sync.Pump(); // also re-issues block requests that timed out
            // Without any peer yet (a node starting beside others that are starting too), look again sooner.
            var wait = _peers.IsEmpty ? _options.DialInterval / 4 : _options.DialInterval;
            try { await Delay(wait); }
            catch (OperationCanceledException) { return; }
        }
    }

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
            if (ephemeralFor is not null && _linkWaiters.TryGetValue(ephemeralFor, out var failed)) failed.TrySetResult(null);
            return;
        }
        _dialingTo.TryRemove(ep.ToString(), out _);
        _addresses.DialSucceeded(ep);
        _ = Spawn(() => RunPeer(link, outbound: true, ephemeralFor));
    }

    private async Task RunPeer(PeerLink link, bool outbound, string? ephemeralFor = null)
    {
        await using var peer = new Peer(link, outbound, _options.SendTimeout, _time) { Ephemeral = ephemeralFor is not null, LastUsed = _time.GetTimestamp(), Faults = _options.Faults };
        using var life = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var registered = false;
        try
        {
            bool linked;
            try { linked = await new PeerHandshake(_key, _chain, _options, _time, _log).RunAsync(peer, (ushort)Port, _banned, life.Token); }
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
            Dht.Seen(peer);
            var key = Convert.ToHexStringLower(peer.NodeKey);
            if (_linkWaiters.TryGetValue(key, out var waiter)) waiter.TrySetResult(peer);
            else if (ephemeralFor is not null && _linkWaiters.TryGetValue(ephemeralFor, out var other)) other.TrySetResult(null); // another node answered at that address
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
                Interlocked.Increment(ref _received[(byte)m.Type]);
                if (!peer.TakeToken(_time.GetTimestamp(), _options.MessagesPerSecond, _options.MessageBurst, _time)) peer.Penalise(1, "flooding (" + peer.TopMessages() + ")");
                await HandleAsync(peer, m, life.Token);
                if (peer.Score <= Peer.BanScore) throw new ProtocolViolation($"score fell to {peer.Score}: {peer.LastPenalty}");
            }
        }
        catch (Exception e) when (e is DecodeException or ProtocolViolation)
        {
            Interlocked.Increment(ref Violations);
            _log.LogWarning("Peer {Address} {Id} broke the protocol: {Reason}; {Outcome}", peer.Address, peer.NodeKey.Length > 0 ? peer.Id : "-", e.Message,
                _options.BanOffenders ? "banned" : "disconnected, NOT banned (the ban defence is switched off)");
            if (peer.NodeKey.Length > 0) RecordBan(peer, e.Message);
            try { await peer.SendAsync(new Disconnect(DisconnectReason.ProtocolViolation, e.Message), CancellationToken.None); }
            catch (Exception sendFailed) { _log.LogDebug("Could not tell {Id} why it is cut off: {Message}", peer.Id, sendFailed.Message); } // it goes either way
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
    /// Adds a linked peer, under one lock so that the limits hold however many handshakes finish at once. The
    /// inbound limit is checked here, when links complete, and not only when sockets are accepted (3,000
    /// handshakes in a burst all passed the accept-time check). One link per node: when two nodes dial each
    /// other at the same moment, both ends keep the same one of the two links, the one dialed by the lower
    /// node key, and drop the other; otherwise each end would keep its own dial, drop the other's, and both
    /// links would die (and again on every retry).
    /// </summary>
    private (bool Registered, bool Full) Register(Peer peer)
    {
        var id = Convert.ToHexStringLower(peer.NodeKey);
        if (_options.Faults?.IsCut(peer.Id) == true) return (false, false); // a partition of the adversary lab
        lock (_linkGate)
        {
            if (_peers.TryGetValue(id, out var old))
            {
                if (old.Outbound == peer.Outbound || !DialedByLowerKey(peer)) return (false, false);
                _peers[id] = peer;
                _ = old.DisposeAsync().AsTask();
                return (true, false);
            }
            if (!peer.Outbound && !InboundHasRoom(_peers.Values, peer, _options)) return (false, true);
            _peers[id] = peer;
            return (true, false);
        }
    }

    /// <summary>
    /// May this inbound peer take a slot: under the inbound limit, and under the limit per address? Loopback is
    /// exempt from the second (every node of a devnet connects from 127.0.0.1); the first still holds there.
    /// </summary>
    internal static bool InboundHasRoom(IEnumerable<Peer> linked, Peer candidate, PeerOptions options)
    {
        var inbound = linked.Where(p => !p.Outbound).ToList();
        if (inbound.Count >= options.MaxInbound) return false;
        if (IPAddress.TryParse(candidate.Host, out var ip) && IPAddress.IsLoopback(ip)) return true;
        return inbound.Count(p => p.Host == candidate.Host) < options.MaxInboundPerAddress;
    }

    private bool DialedByLowerKey(Peer p)
    {
        var (dialer, acceptor) = p.Outbound ? (_key.PublicKey, p.NodeKey) : (p.NodeKey, _key.PublicKey);
        return dialer.AsSpan().SequenceCompareTo(acceptor) < 0;
    }
}
