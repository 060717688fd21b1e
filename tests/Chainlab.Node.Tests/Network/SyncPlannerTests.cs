using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Sync;

namespace Chainlab.Node.Tests.Network;

/// <summary>The sync window planner on its own: no sockets, no clock, no threads.</summary>
public sealed class SyncPlannerTests
{
    private sealed record P(string Name);
    private static readonly P A = new("a"), B = new("b"), C = new("c");

    private static SyncPlanner<P> Planner(int seed = 1) => new(new Random(seed), windowSize: 128, maxWindows: 16, maxRequestsPerPeer: 2, requestTimeoutMs: 10_000);

    private static SyncPlanner<P>.PeerView View(P p, ulong best, int inFlight = 0) => new(p, best, inFlight);

    private static List<Block> Blocks(ulong from, int n) =>
        Enumerable.Range(0, n).Select(i => new Block(new BlockHeader(from + (ulong)i, Hash.Zero, 0, new byte[32], Hash.Zero, Hash.Zero, Hash.Zero, 0, []), [], [])).ToList();

    [Fact]
    public void Heights_up_to_the_best_peer_are_split_into_windows_spread_over_peers_at_most_two_each()
    {
        var plan = Planner().Next(head: 10, [View(A, 1000), View(B, 1000), View(C, 200)], nowMs: 0);
        // Windows of 128 from 11, the lowest first; C only has blocks up to 200, so it can serve only the
        // first two windows, and only if A and B have not taken them.
        Assert.InRange(plan.Requests.Count, 4, 6);
        Assert.Equal(Enumerable.Range(0, plan.Requests.Count).Select(i => 11 + 128 * (ulong)i), plan.Requests.Select(r => r.From).Order());
        Assert.Equal(2, plan.Requests.Count(r => r.Peer == A));
        Assert.Equal(2, plan.Requests.Count(r => r.Peer == B));
        Assert.All(plan.Requests, r => Assert.Equal(128u, r.Count));
        Assert.All(plan.Requests.GroupBy(r => r.Peer), g => Assert.True(g.Count() <= 2));
        Assert.All(plan.Requests.Where(r => r.Peer == C), r => Assert.True(r.From <= 200));
        Assert.Empty(plan.TimedOut);
    }

    [Fact]
    public void The_last_window_ends_at_the_best_height_and_no_more_than_sixteen_are_planned()
    {
        var p = Planner();
        var plan = p.Next(head: 0, [View(A, 300)], 0);
        Assert.Equal([(1UL, 128u), (129UL, 128u)], plan.Requests.Select(r => (r.From, r.Count)));
        Assert.Equal(3, p.Windows.Count);
        Assert.Equal(300UL, p.Windows.Last().Last);
        var many = Planner();
        many.Next(head: 0, [View(A, 1_000_000)], 0);
        Assert.Equal(16, many.Windows.Count);
    }

    [Fact]
    public void A_peer_that_does_not_answer_in_time_is_reported_and_its_window_goes_to_another()
    {
        var p = Planner();
        var first = p.Next(head: 0, [View(A, 100)], nowMs: 0);
        Assert.Equal(A, Assert.Single(first.Requests).Peer);
        Assert.Empty(p.Next(head: 0, [View(A, 100, inFlight: 1), View(B, 100)], nowMs: 10_000).Requests); // not yet late
        var late = p.Next(head: 0, [View(A, 100, inFlight: 1), View(B, 100)], nowMs: 10_001);
        Assert.Equal([(A, 1UL)], late.TimedOut);
        Assert.Equal(B, Assert.Single(late.Requests).Peer);
    }

    [Fact]
    public void Windows_are_handed_out_only_in_height_order_and_a_short_answer_leaves_the_rest_planned()
    {
        var p = Planner();
        p.Next(head: 0, [View(A, 256), View(B, 256)], 0);
        Assert.Null(p.Delivered(129, Blocks(129, 128)));
        Assert.False(p.HasReady); // the second window arrived first: nothing may be imported yet
        Assert.Null(p.Delivered(1, Blocks(1, 50)));
        var ready = p.TakeReady()!;
        Assert.Equal((1UL, 50u), (ready.From, ready.Count));
        Assert.Null(p.TakeReady()); // 51..128 still missing
        var again = p.Next(head: 50, [View(A, 256), View(B, 256)], 1);
        Assert.Equal((51UL, 78u), (Assert.Single(again.Requests).From, again.Requests[0].Count));
    }

    [Fact]
    public void A_peer_without_the_blocks_gets_its_height_lowered_and_a_departed_peer_frees_its_windows()
    {
        var p = Planner();
        var plan = p.Next(head: 0, [View(A, 128)], 0);
        Assert.Equal(1UL, p.Delivered(1, []));
        Assert.Single(p.Next(head: 0, [View(B, 128)], 1).Requests);
        p.Forget(B);
        Assert.Equal(C, Assert.Single(p.Next(head: 0, [View(C, 128)], 2).Requests).Peer);
        Assert.Single(plan.Requests);
    }

    [Fact]
    public void The_same_seed_makes_the_same_choices()
    {
        List<P> Choices(int seed)
        {
            var p = Planner(seed);
            return p.Next(0, [View(A, 10_000), View(B, 10_000), View(C, 10_000)], 0).Requests.Select(r => r.Peer).ToList();
        }
        Assert.Equal(Choices(5), Choices(5));
        Assert.Contains(Enumerable.Range(0, 20), s => !Choices(s).SequenceEqual(Choices(5)));
    }

    [Fact]
    public void Windows_go_to_preferred_peers_while_they_have_room_and_strangers_only_get_the_rest()
    {
        var strangers = Enumerable.Range(0, 30).Select(i => View(new P($"s{i}"), 10_000)).ToList();
        var plan = Planner().Next(head: 0, [.. strangers, View(A, 10_000) with { Preferred = true }], 0);
        // A (dialed by us, or already proven) gets the first two windows, the lowest heights; strangers the rest.
        Assert.Equal([1UL, 129UL], plan.Requests.Where(r => r.Peer == A).Select(r => r.From));
        Assert.Equal(A, plan.Requests.MinBy(r => r.From).Peer);
    }

    [Fact]
    public void A_preferred_peer_that_arrives_late_takes_over_the_lowest_windows_strangers_hold()
    {
        var p = Planner();
        var strangers = Enumerable.Range(0, 10).Select(i => View(new P($"s{i}"), 10_000)).ToList();
        p.Next(head: 0, strangers, 0);
        Assert.All(p.Windows, w => Assert.StartsWith("s", w.Peer!.Name));
        var held = strangers.Select(s => s with { InFlight = p.Windows.Count(w => w.Peer == s.Peer) }).ToList();
        var plan = p.Next(head: 0, [.. held, View(A, 10_000) with { Preferred = true }], 1);
        Assert.Equal([(A, 1UL), (A, 129UL)], plan.Requests.Select(r => (r.Peer, r.From)));
        Assert.Equal(A, p.Windows.First().Peer);
        // Whoever answers first fills the window; the stranger's late answer changes nothing.
        Assert.Null(p.Delivered(1, Blocks(1, 128)));
        Assert.Null(p.Delivered(1, Blocks(1, 5)));
        Assert.Equal(128u, p.TakeReady()!.Count);
    }
}
