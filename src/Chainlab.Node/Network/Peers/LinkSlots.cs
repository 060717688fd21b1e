using System.Net;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// The rules for who may take a link slot (pure: the peer set applies them under its lock): the inbound
/// limits, and which of two links between the same nodes both ends keep.
/// </summary>
internal static class LinkSlots
{
    /// <summary>
    /// May this inbound peer take a slot: under the inbound limit, and under the limit per address? Loopback is
    /// exempt from the second (every node of a devnet connects from 127.0.0.1); the first still holds there.
    /// </summary>
    public static bool InboundHasRoom(IEnumerable<Peer> linked, Peer candidate, PeerOptions options)
    {
        var inbound = linked.Where(p => !p.Outbound).ToList();
        if (inbound.Count >= options.MaxInbound) return false;
        if (IPAddress.TryParse(candidate.Host, out var ip) && IPAddress.IsLoopback(ip)) return true;
        return inbound.Count(p => p.Host == candidate.Host) < options.MaxInboundPerAddress;
    }

    /// <summary>
    /// When two nodes dial each other at once, both keep the link dialed by the lower node key: is this link that
    /// one? (Each keeping its own dial would drop both links, and again on every retry.)
    /// </summary>
    public static bool DialedByLowerKey(Peer link, byte[] ourKey)
    {
        var (dialer, acceptor) = link.Outbound ? (ourKey, link.NodeKey) : (link.NodeKey, ourKey);
        return dialer.AsSpan().SequenceCompareTo(acceptor) < 0;
    }
}
