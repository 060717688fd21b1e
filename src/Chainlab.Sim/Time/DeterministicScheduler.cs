namespace Chainlab.Sim.Time;

/// <summary>
/// A task scheduler that runs nothing on its own: queued work waits until <see cref="RunUntilIdle"/> runs it,
/// one item at a time, first in first out, on the calling thread. Node parts started on it (and every await
/// continuation inside them) therefore run in one order that depends only on what happened before, which is
/// what makes two runs with the same seed identical.
/// </summary>
public sealed class DeterministicScheduler : TaskScheduler
{
    private readonly Queue<Task> _queue = new();
    private readonly object _gate = new();
    private int _running;

    public override int MaximumConcurrencyLevel => 1;

    protected override void QueueTask(Task task)
    {
        lock (_gate) _queue.Enqueue(task);
    }

    // Never inline: inlining would let the order depend on which thread happened to wait.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate) return _queue.ToArray();
    }

    public int Pending { get { lock (_gate) return _queue.Count; } }

    private long _executed;

    /// <summary>Work items run so far (a simulation's measure of how much happened).</summary>
    public long Executed => Interlocked.Read(ref _executed);

    /// <summary>Runs queued work (and the work it queues) until none is left; returns how many items ran.</summary>
    public int RunUntilIdle(int limit = 10_000_000)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("RunUntilIdle is not reentrant");
        var ran = 0;
        // Work must not see the caller's synchronization context (a test framework's): awaits would capture it
        // instead of this scheduler and resume elsewhere.
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            while (true)
            {
                Task? next;
                lock (_gate) if (!_queue.TryDequeue(out next)) return ran;
                TryExecuteTask(next);
                Interlocked.Increment(ref _executed);
                if (++ran > limit) throw new InvalidOperationException($"more than {limit} work items without going idle: a busy loop?");
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Starts work on this scheduler.</summary>
    public Task Start(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();
}
