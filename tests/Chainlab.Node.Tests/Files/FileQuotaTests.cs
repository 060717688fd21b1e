using Chainlab.Node.Files;
using Chainlab.Node.Storage.Memory;

namespace Chainlab.Node.Tests.Files;

/// <summary>The quota's order among writers that reserve a block at a time: the older goes first, the younger give way.</summary>
public sealed class FileQuotaTests
{
    private static FileQuota Quota(long bytes) => new(new MemoryChainStore(), bytes);

    [Fact]
    public async Task A_block_that_fits_beside_every_writer_is_reserved_at_once()
    {
        var q = Quota(100);
        var a = q.Begin();
        var b = q.Begin();
        await q.ReserveAsync(a, 40, null, default);
        await q.ReserveAsync(b, 60, null, default);
        Assert.Equal(100, q.Used);
        q.End(a, 0);
        q.End(b, 0);
        Assert.Equal(0, q.Used);
    }

    [Fact]
    public async Task A_writer_that_would_not_fit_beside_the_older_ones_alone_is_refused()
    {
        var q = Quota(100);
        var old = q.Begin();
        var young = q.Begin();
        await q.ReserveAsync(old, 70, null, default);
        var e = await Assert.ThrowsAsync<FileRefusedException>(() => q.ReserveAsync(young, 40, null, default).AsTask());
        Assert.Equal("quota-exceeded", e.Type);
        Assert.Equal(70, q.Used);
    }

    [Fact]
    public async Task An_older_writer_waits_while_the_younger_give_way_and_then_gets_the_room()
    {
        var q = Quota(100);
        var old = q.Begin();
        var middle = q.Begin();
        var young = q.Begin();
        await q.ReserveAsync(old, 30, null, default);
        await q.ReserveAsync(middle, 30, null, default);
        await q.ReserveAsync(young, 30, null, default);

        var waiting = q.ReserveAsync(old, 30, null, default).AsTask(); // 120 > 100: the youngest gives way
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        await Assert.ThrowsAsync<FileRefusedException>(() => q.ReserveAsync(young, 1, null, default).AsTask());
        // The middle one was not asked to give way: it fits beside the oldest once the youngest ends, and waits too.
        var middleWaiting = q.ReserveAsync(middle, 10, null, default).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted || middleWaiting.IsCompleted);

        q.End(young, 0); // refused, it ends and gives back its 30
        await Task.WhenAll(waiting, middleWaiting).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(100, q.Used);
        q.End(old, 60);
        q.End(middle, 40);
        Assert.Equal(100, q.Used);
    }

    [Fact]
    public async Task Six_writers_that_need_twice_the_room_between_them_do_not_all_fail()
    {
        // Each reserves a block at a time in turn, as six uploads streaming together do.
        var q = Quota(100);
        var writers = Enumerable.Range(0, 6).Select(_ => q.Begin()).ToArray();
        var done = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                for (var i = 0; i < 30; i++) { await q.ReserveAsync(w, 1, null, default); await Task.Yield(); }
                q.End(w, w.ReservedBytes);
                return true;
            }
            catch (FileRefusedException) { q.End(w, 0); return false; }
        }));
        Assert.InRange(done.Count(ok => ok), 1, 3);
        Assert.True(done[0], "the oldest writer completes");
        Assert.Equal(done.Count(ok => ok) * 30, q.Used);
    }

    [Fact]
    public async Task A_writer_that_begins_later_does_not_take_the_room_an_older_one_waits_for()
    {
        var q = Quota(100);
        var old = q.Begin();
        var young = q.Begin();
        await q.ReserveAsync(old, 50, null, default);
        await q.ReserveAsync(young, 50, null, default);
        var waiting = q.ReserveAsync(old, 30, null, default).AsTask();
        q.End(young, 0);
        var late = q.Begin();
        await Assert.ThrowsAsync<FileRefusedException>(() => q.ReserveAsync(late, 40, null, default).AsTask());
        q.End(late, 0);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(80, q.Used);
    }

    [Fact]
    public async Task A_waiting_writer_stops_when_its_request_is_cancelled()
    {
        var q = Quota(100);
        var old = q.Begin();
        var young = q.Begin();
        await q.ReserveAsync(old, 50, null, default);
        await q.ReserveAsync(young, 50, null, default);
        using var cts = new CancellationTokenSource();
        var waiting = q.ReserveAsync(old, 10, null, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(100, q.Used);
    }
}
