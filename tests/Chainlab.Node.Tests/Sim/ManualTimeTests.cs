namespace Chainlab.Node.Tests.Sim;

public sealed class ManualTimeTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    [Fact]
    public void Timers_fire_earliest_first_and_those_due_at_one_instant_in_the_order_they_were_set()
    {
        var clock = new ManualTime(T0);
        var fired = new List<string>();
        foreach (var (name, ms) in new[] { ("c", 30), ("a1", 10), ("b", 20), ("a2", 10), ("a3", 10) })
            clock.CreateTimer(_ => fired.Add(name), null, TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
        Assert.Equal(T0.AddMilliseconds(10), clock.NextDue);
        Assert.True(clock.AdvanceToNextTimer(T0.AddSeconds(1)));
        Assert.Equal(["a1", "a2", "a3"], fired);
        Assert.Equal(T0.AddMilliseconds(10), clock.GetUtcNow());
        while (clock.AdvanceToNextTimer(T0.AddSeconds(1))) { }
        Assert.Equal(["a1", "a2", "a3", "b", "c"], fired);
        Assert.Equal(T0.AddSeconds(1), clock.GetUtcNow());
        Assert.Null(clock.NextDue);
    }

    [Fact]
    public void A_timer_disposed_or_moved_by_an_earlier_callback_of_the_same_instant_does_not_fire_then()
    {
        var clock = new ManualTime(T0);
        var fired = new List<string>();
        ITimer? later = null, moved = null;
        clock.CreateTimer(_ => { fired.Add("first"); later!.Dispose(); moved!.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan); }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        later = clock.CreateTimer(_ => fired.Add("disposed"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        moved = clock.CreateTimer(_ => fired.Add("moved"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["first"], fired);
        Assert.Equal(T0.AddSeconds(6), clock.NextDue);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["first", "moved"], fired);
        Assert.Equal(0, clock.Waiting);
    }

    [Fact]
    public void A_periodic_timer_fires_every_period_until_disposed_and_a_zero_due_time_fires_at_once()
    {
        var clock = new ManualTime(T0);
        var ticks = 0;
        var now = 0;
        using var periodic = clock.CreateTimer(_ => ticks++, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        clock.CreateTimer(_ => now++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        Assert.Equal(1, now);
        while (clock.AdvanceToNextTimer(T0.AddSeconds(9))) { }
        Assert.Equal(4, ticks);
        periodic.Dispose();
        Assert.False(clock.AdvanceToNextTimer(T0.AddSeconds(20)));
        Assert.Equal(4, ticks);
    }

    [Fact]
    public void Ten_thousand_timers_set_and_half_cancelled_in_a_seeded_order_fire_in_due_then_set_order()
    {
        var clock = new ManualTime(T0);
        var random = new Random(11);
        var expected = new List<(long Due, int Set)>();
        var fired = new List<(long, int)>();
        var timers = new List<ITimer>();
        for (var i = 0; i < 10_000; i++)
        {
            var due = random.Next(1, 500);
            var set = i;
            timers.Add(clock.CreateTimer(_ => fired.Add((due, set)), null, TimeSpan.FromMilliseconds(due), Timeout.InfiniteTimeSpan));
            expected.Add((due, set));
        }
        for (var i = 0; i < 10_000; i += 2) timers[i].Dispose();
        while (clock.AdvanceToNextTimer(T0.AddSeconds(1))) { }
        Assert.Equal(expected.Where(e => e.Set % 2 == 1).OrderBy(e => e.Due).ThenBy(e => e.Set).Select(e => ((long)e.Due, e.Set)), fired);
    }

    [Fact]
    public void Timers_pushed_back_brought_forward_and_cancelled_at_random_fire_as_a_plain_ordered_list_says()
    {
        // The heap moves a pushed-back timer only when its old place comes up: the order must be the same as if
        // every change took effect at once. A plain list, sorted at each step, is the reference.
        var clock = new ManualTime(T0);
        var random = new Random(23);
        var fired = new List<int>();
        var expected = new List<int>();
        var timers = new ITimer[300];
        var model = new (long Due, long Set, bool Armed)[timers.Length];
        long sequence = 0, now = 0;
        for (var i = 0; i < timers.Length; i++)
        {
            var id = i;
            timers[i] = clock.CreateTimer(_ => fired.Add(id), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        for (var step = 0; step < 20_000; step++)
        {
            var i = random.Next(timers.Length);
            switch (random.Next(10))
            {
                case < 6: // set, push back or bring forward
                    var ms = random.Next(1, 400);
                    timers[i].Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
                    model[i] = (now + ms, ++sequence, true);
                    break;
                case < 7:
                    timers[i].Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    model[i].Armed = false;
                    break;
                default:
                    var by = random.Next(0, 40);
                    now += by;
                    clock.Advance(TimeSpan.FromMilliseconds(by));
                    var due = Enumerable.Range(0, timers.Length).Where(t => model[t].Armed && model[t].Due <= now)
                        .OrderBy(t => model[t].Due).ThenBy(t => model[t].Set).ToList();
                    foreach (var t in due) { expected.Add(t); model[t].Armed = false; }
                    Assert.Equal(model.Count(m => m.Armed), clock.Waiting);
                    var next = model.Where(m => m.Armed).Select(m => (long?)m.Due).Min();
                    Assert.Equal(next is { } n ? T0.AddMilliseconds(n) : null, clock.NextDue);
                    break;
            }
        }
        Assert.True(expected.Count > 1000, $"only {expected.Count} timers fired");
        Assert.Equal(expected, fired);
    }
}
