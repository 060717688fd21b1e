using System.Collections.Concurrent;

namespace Chainlab.Node.Common;

/// <summary>
/// An unbounded queue with one asynchronous consumer that resumes on the scheduler it awaited on, and never
/// on the writer's thread or by way of the thread pool. (System.Threading.Channels and SemaphoreSlim with a
/// cancellation token both resume through the thread pool; that would take a consumer off a simulator's
/// deterministic scheduler.)
/// </summary>
public sealed class WorkQueue<T>
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly object _gate = new();
    private TaskCompletionSource? _waiter;
    private volatile bool _completed;

    /// <summary>Adds an item; false once the queue is completed.</summary>
    public bool TryWrite(T item)
    {
        if (_completed) return false;
        _items.Enqueue(item);
        Wake();
        return true;
    }

    /// <summary>No more items: the consumer drains what is there, then its wait returns false.</summary>
    public void Complete()
    {
        _completed = true;
        Wake();
    }

    private void Wake()
    {
        TaskCompletionSource? w;
        lock (_gate) { w = _waiter; _waiter = null; }
        w?.TrySetResult();
    }

    public bool TryRead(out T item) => _items.TryDequeue(out item!);

    public bool TryPeek(out T item) => _items.TryPeek(out item!);

    /// <summary>Waits until an item can be read (true), or the queue is completed and empty (false).</summary>
    /// <remarks>A value task from a pool of state machines (await it once): a queue waited on after every item would
    /// otherwise make one each time, and a wait on an idle link lives long enough to be promoted by the collector.</remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitToReadAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (!_items.IsEmpty) return true;
            if (_completed) return false;
            ct.ThrowIfCancellationRequested();
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                // An item (or the end) may have arrived since the checks above: then do not wait.
                if (!_items.IsEmpty || _completed) continue;
                _waiter = waiter;
            }
            using (ct.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), waiter))
                await waiter.Task;
        }
    }
}
