using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// Faults put on this node's links from outside (a devnet's control route, see Faults/LinkFaults): which peers
/// it may not keep a link to, and how long each message waits or whether it is lost.
/// </summary>
public interface ILinkFaults
{
    /// <summary>May this node keep a link to the peer with this id?</summary>
    bool IsCut(string peerId);

    /// <summary>How long to hold a message for this peer, or null to drop it.</summary>
    TimeSpan? Delay(string peerId, MessageType type);

    /// <summary>Raised after the settings change (the peer network drops links that are now cut).</summary>
    event Action? Changed;
}
