using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// What the protocols above the peer set (gossip, sync, the DHT) do with a session: the peer set runs the
/// link, its budget, score and pings, and hands everything else here.
/// </summary>
public interface IPeerHandler
{
    /// <summary>A peer passed the handshake and took a slot.</summary>
    Task OnLinkedAsync(Peer peer, CancellationToken ct);

    /// <summary>A message the session does not answer itself.</summary>
    Task HandleAsync(Peer peer, Message message, CancellationToken ct);

    /// <summary>The link is gone.</summary>
    void OnGone(Peer peer);

    /// <summary>Once per dial round: a chance to retry what timed out.</summary>
    void OnRound();
}
