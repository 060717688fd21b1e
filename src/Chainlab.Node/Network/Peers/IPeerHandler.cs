using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// What the protocols above the peer set (gossip, sync, the DHT) do with a session: the peer set runs the
/// link, its budget, score and pings, and hands everything else here.
/// </summary>
public interface IPeerHandler
{
    /// <summary>A peer passed the handshake and took a slot (before anyone waiting for the link hears of it).</summary>
    void OnLinked(Peer peer);

    /// <summary>The session has started: pings run and the peer was asked for its peers.</summary>
    Task OnSessionStartedAsync(Peer peer, CancellationToken ct);

    /// <summary>A message the session does not answer itself.</summary>
    Task HandleAsync(Peer peer, Message message, CancellationToken ct);

    /// <summary>The link is gone.</summary>
    void OnGone(Peer peer);

    /// <summary>Once per dial round: a chance to retry what timed out.</summary>
    void OnRound();

    /// <summary>
    /// Nothing in flight that later rounds must look after (requests that may time out): with every outbound slot
    /// taken as well, the dial loop sleeps until a link goes or a request is sent.
    /// </summary>
    bool Idle { get; }
}
