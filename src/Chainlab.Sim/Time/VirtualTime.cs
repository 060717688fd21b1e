namespace Chainlab.Sim.Time;

/// <summary>
/// Runs node parts in virtual time: all their work on one <see cref="DeterministicScheduler"/>, all their
/// clocks on one <see cref="ManualTime"/>. Each step runs the queued work until idle, then jumps the clock to
/// the next timer. Nothing waits on the wall clock, and the same inputs give the same run.
/// </summary>
public sealed class VirtualTime(DateTimeOffset start)
{
    public ManualTime Clock { get; } = new(start);
    public DeterministicScheduler Scheduler { get; } = new();

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Runs everything due until the clock reaches now + span.</summary>
    public void RunFor(TimeSpan span)
    {
        var until = Now + span;
        while (true)
        {
            Scheduler.RunUntilIdle();
            if (!Clock.AdvanceToNextTimer(until)) { Scheduler.RunUntilIdle(); return; }
        }
    }

    /// <summary>Runs until the condition holds (checked whenever the work goes idle); throws TimeoutException after the virtual deadline.</summary>
    public void RunUntil(Func<bool> condition, TimeSpan deadline, string what)
    {
        var until = Now + deadline;
        while (true)
        {
            Scheduler.RunUntilIdle();
            if (condition()) return;
            if (!Clock.AdvanceToNextTimer(until))
            {
                Scheduler.RunUntilIdle();
                if (condition()) return;
                throw new TimeoutException($"not within {deadline.TotalSeconds:0.#} virtual seconds: {what}");
            }
        }
    }

    /// <summary>Runs an asynchronous action on the scheduler to completion (start-up, disposal), pumping as it goes.</summary>
    public T Run<T>(Func<Task<T>> work)
    {
        var task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler).Unwrap();
        while (!task.IsCompleted)
        {
            if (Scheduler.RunUntilIdle() == 0 && !task.IsCompleted)
            {
                // Work may be finishing on the thread pool (signature checks); give it a moment to post back.
                if (!SpinWait.SpinUntil(() => Scheduler.Pending > 0 || task.IsCompleted, TimeSpan.FromSeconds(10)))
                    Clock.AdvanceToNextTimer(Now + TimeSpan.FromMinutes(1));
            }
        }
        return task.GetAwaiter().GetResult();
    }

    public void Run(Func<Task> work) => Run(async () => { await work(); return 0; });
}
