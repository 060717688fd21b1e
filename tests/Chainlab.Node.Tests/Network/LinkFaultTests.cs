using Chainlab.Node.Faults;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Tests.Network;

/// <summary>The adversary lab's faults inside a node's transport: cut links, delay with jitter, loss of gossip only, a skewed clock.</summary>
public sealed class LinkFaultTests
{
    [Fact]
    public void Cut_peers_are_refused_and_an_empty_setting_heals_them()
    {
        var f = new LinkFaults(new Random(1));
        var changed = 0;
        f.Changed += () => changed++;
        f.Set(new FaultSettings(Cut: ["aaaa000011112222"]));
        Assert.True(f.IsCut("AAAA000011112222"));
        Assert.False(f.IsCut("bbbb000011112222"));
        f.Set(FaultSettings.None);
        Assert.False(f.IsCut("aaaa000011112222"));
        Assert.Equal(2, changed);
    }

    [Fact]
    public void Delays_stay_within_latency_plus_or_minus_jitter_and_only_gossip_is_lost()
    {
        var f = new LinkFaults(new Random(7));
        f.Set(new FaultSettings(Links: new Dictionary<string, LinkShape> { ["*"] = new(100, 30, 0.5), ["cccc000011112222"] = new(5, 0, 0) }));
        var gossipLost = 0;
        for (var i = 0; i < 2000; i++)
        {
            var reply = f.Delay("dddd000011112222", MessageType.Blocks);
            Assert.NotNull(reply); // answers to requests are never lost
            Assert.InRange(reply!.Value.TotalMilliseconds, 70, 130);
            if (f.Delay("dddd000011112222", MessageType.AnnounceBlock) is null) gossipLost++;
        }
        Assert.InRange(gossipLost, 850, 1150); // half of 2000, give or take
        Assert.Equal(5, f.Delay("cccc000011112222", MessageType.Txs)!.Value.TotalMilliseconds);
    }

    [Theory]
    [InlineData(-1, 0, 0)]
    [InlineData(0, -1, 0)]
    [InlineData(0, 0, 1.5)]
    [InlineData(0, 0, double.NaN)]
    public void A_shape_out_of_range_is_refused_and_the_old_settings_stay(double latency, double jitter, double loss)
    {
        var f = new LinkFaults(new Random(1));
        f.Set(new FaultSettings(Cut: ["aaaa000011112222"]));
        Assert.Throws<ArgumentException>(() => f.Set(new FaultSettings(Links: new Dictionary<string, LinkShape> { ["*"] = new(latency, jitter, loss) })));
        Assert.True(f.IsCut("aaaa000011112222"));
    }

    [Fact]
    public void A_skewed_clock_moves_the_wall_clock_only()
    {
        var inner = new ManualTime(DateTimeOffset.Parse("2026-11-30T12:00:00Z"));
        var clock = new SkewedClock(inner) { Skew = TimeSpan.FromSeconds(-30) };
        Assert.Equal(DateTimeOffset.Parse("2026-11-30T11:59:30Z"), clock.GetUtcNow());
        Assert.Equal(inner.GetTimestamp(), clock.GetTimestamp());
    }
}
