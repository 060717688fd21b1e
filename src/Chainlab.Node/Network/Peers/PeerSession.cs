using System.Net;
using System.Net.Sockets;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// One linked peer's session: the read loop with its idle time-out, message budget and score, pings, the
/// messages about the link itself (ping, pong, peer exchange, disconnect), and everything else handed to the
/// protocols above (<see cref="IPeerHandler"/>). A protocol violation or a score at the ban line ends it
/// with a <see cref="ProtocolViolation"/>, which the peer set turns into a ban.
/// </summary>
internal sealed class PeerSession(Peer peer, PeerSet set, IPeerHandler handler)
{
    private sealed record PingSent(long Sent, ulong Nonce);
    // Written by the ping loop, read by the read loop: one reference, so a read never sees half of it.
    private volatile PingSent? _ping;
    private PeerOptions Options => set.Options;

    public async Task RunAsync(CancellationToken life)
    {
        _ = set.Spawn(() => PingLoop(life));
        await peer.SendAsync(new GetPeers(), life);
        await handler.OnSessionStartedAsync(peer, life);
        // One idle timer for the session, pushed back before each read (not two token sources per message).
        // Handling a message can outlast the idle time (a long import): then the timer fired with no read waiting,
        // and fresh sources are made, so a busy honest peer is never taken for an idle one. (Checked after the push:
        // a timer that fires before it leaves the source cancelled; one pushed back cannot fire for the idle time.)
        var idle = new CancellationTokenSource(Options.IdleTimeout, set.Time);
        var read = CancellationTokenSource.CreateLinkedTokenSource(life, idle.Token);
        try
        {
            while (!life.IsCancellationRequested)
            {
                idle.CancelAfter(Options.IdleTimeout);
                if (idle.IsCancellationRequested)
                {
                    read.Dispose();
                    idle.Dispose();
                    idle = new CancellationTokenSource(Options.IdleTimeout, set.Time);
                    read = CancellationTokenSource.CreateLinkedTokenSource(life, idle.Token);
                }
                // Read and handled here rather than in a method of its own: each async layer a message passes
                // through is one more resumption per message (a simulator runs millions of them).
                Message? m;
                try { m = await peer.ReadOrEndAsync(read.Token); }
                catch (OperationCanceledException) when (!life.IsCancellationRequested) { throw new ProtocolViolation("idle for too long"); }
                if (m is null) return; // the link closed: the session ends
                peer.Count(m.Type);
                set.CountReceived(m.Type);
                if (!peer.TakeToken(set.Time.GetTimestamp(), Options.MessagesPerSecond, Options.MessageBurst, set.Time)) peer.Penalise(1, "flooding (" + peer.TopMessages() + ")");
                await HandleAsync(m, life);
                if (peer.Score <= Peer.BanScore) throw new ProtocolViolation($"score fell to {peer.Score}: {peer.LastPenalty}");
            }
        }
        finally
        {
            read.Dispose();
            idle.Dispose();
        }
    }

    private async Task HandleAsync(Message m, CancellationToken ct)
    {
        switch (m)
        {
            case Ping p: await peer.SendAsync(new Pong(p.Nonce), ct); break;
            case Pong p:
                if (_ping is { } sent && sent.Nonce == p.Nonce) peer.LatencyMs = set.Time.GetElapsedTime(sent.Sent).TotalMilliseconds;
                break;
            case GetPeers:
                await peer.SendAsync(new Protocol.Peers(set.Linked.Where(x => x != peer && x.ListenPort != 0).Take(WireLimits.MaxPeersPerMessage)
                    .Select(x => new PeerInfo(x.Host, x.ListenPort, x.NodeKey)).ToList()), ct);
                break;
            case Protocol.Peers list:
                // One peer may teach us only so many addresses (614 bogus ones once filled peers.txt).
                var room = Options.MaxAddressesPerPeer - peer.AddressesGiven;
                if (room > 0) peer.AddressesGiven += set.LearnAddresses(list.List.Select(i => new IPEndPoint(IPAddress.Parse(i.Host), i.Port)), room);
                await handler.HandleAsync(peer, m, ct); // the DHT learns contacts from it too
                break;
            case Disconnect d:
                set.LogDisconnect(peer, d);
                throw new IOException("peer disconnected");
            case Hello or HelloAck:
                throw new ProtocolViolation($"unexpected {m.Type} after the handshake");
            default:
                await handler.HandleAsync(peer, m, ct);
                break;
        }
    }

    /// <summary>Pings at the ping interval, forgives a little score each time, and closes a short-lived link nobody uses.</summary>
    private async Task PingLoop(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Not thrown when the session ends (every link's end would throw one otherwise): checked after.
                await Task.Delay(Options.PingInterval, set.Time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
                if (ct.IsCancellationRequested) return;
                peer.Forgive();
                if (peer.Ephemeral && set.Time.GetElapsedTime(peer.LastUsed) > Options.EphemeralIdle)
                {
                    await set.Send(peer, new Disconnect(DisconnectReason.Shutdown, "done asking"));
                    await peer.DisposeAsync();
                    return;
                }
                var nonce = set.NextNonce();
                _ping = new PingSent(set.Time.GetTimestamp(), nonce);
                await peer.SendAsync(new Ping(nonce), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
    }
}
