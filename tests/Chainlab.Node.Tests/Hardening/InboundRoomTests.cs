using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>The inbound slot rule on its own, with links from addresses a test may not actually reach.</summary>
public sealed class InboundRoomTests
{
    private static Peer From(string ip, bool outbound = false)
    {
        var (a, _) = Chainlab.Sim.Network.MemoryStreamEnd.Pair();
        return new Peer(new PeerLink(a, new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), 40_000)), outbound);
    }

    [Fact]
    public void One_address_gets_at_most_its_share_of_inbound_slots_but_loopback_is_exempt()
    {
        var options = new PeerOptions { MaxInbound = 32, MaxInboundPerAddress = 4 };
        var linked = Enumerable.Range(0, 4).Select(_ => From("203.0.113.7")).ToList();
        Assert.False(LinkSlots.InboundHasRoom(linked, From("203.0.113.7"), options));
        Assert.True(LinkSlots.InboundHasRoom(linked, From("203.0.113.8"), options));
        // Outbound links to that address do not count against it.
        Assert.True(LinkSlots.InboundHasRoom([.. linked.Take(3), From("203.0.113.7", outbound: true)], From("203.0.113.7"), options));
        var devnet = Enumerable.Range(0, 20).Select(_ => From("127.0.0.1")).ToList();
        Assert.True(LinkSlots.InboundHasRoom(devnet, From("127.0.0.1"), options));
        Assert.False(LinkSlots.InboundHasRoom([.. devnet, .. Enumerable.Range(0, 12).Select(_ => From("127.0.0.1"))], From("127.0.0.1"), options));
    }
}
