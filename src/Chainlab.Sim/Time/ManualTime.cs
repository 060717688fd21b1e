namespace Chainlab.Sim.Time;

/// <summary>
/// A clock that moves only when the test says so; timers fire on Advance, those due at one moment in the order they
/// were set. The timers wait in a heap ordered by when they are due and then by when they were set. A timer pushed
/// back (an idle time-out renewed at every message of thousands of simulated links) keeps its place in the heap
/// and moves when that place comes up, so pushing it back costs no heap work; a timer brought forward gets a new
/// place and its old one is passed over. Either way the timers fire in the same order as if each had moved at once.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private readonly object _lock = new();
    // A timer's places: (timer, the Set it was queued with), ordered by (due ticks, Set). A place is live while the
    // timer's Queued equals that Set; any other is passed over when it comes up.
    private readonly PriorityQueue<(ManualTimer Timer, long Set), (long Due, long Set)> _heap = new(ByDue.Instance);
    private List<(ManualTimer, long)>? _due = new();
    private DateTimeOffset _now = start;
    private long _sequence;
    private int _armed;

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    // Timestamps (elapsed-time measurements: rate limits, time-outs) follow this clock too.
    public override long GetTimestamp() { lock (_lock) return _now.UtcTicks; }
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Timers waiting now.</summary>
    public int Waiting { get { lock (_lock) return _armed; } }

    /// <summary>When the earliest timer is due, or null when none is set.</summary>
    public DateTimeOffset? NextDue
    {
        get { lock (_lock) return Earliest() is { } t ? t.Due : null; }
    }

    /// <summary>
    /// The armed timer due first, with the heap's top made its live place: places passed over are dropped, and a
    /// timer pushed back since its place was taken moves to where it is due now.
    /// </summary>
    private ManualTimer? Earliest()
    {
        while (_heap.TryPeek(out var top, out _))
        {
            var (t, set) = top;
            if (t.Queued != set || !t.Armed) { _heap.Dequeue(); if (t.Queued == set) t.Queued = 0; continue; }
            if (t.Set == set) return t; // its place is where it is due
            t.Queued = t.Set; // pushed back: to its place now
            t.QueuedDue = t.Due.UtcTicks;
            _heap.DequeueEnqueue((t, t.Set), (t.QueuedDue, t.Set));
        }
        return null;
    }

    /// <summary>
    /// Moves the clock to the earliest due timer (never past <paramref name="limit"/>) and fires the timers
    /// due then, in the order they were set. Returns false when no timer is due by the limit (the clock then
    /// stands at the limit). This is one step of a discrete-event simulation.
    /// </summary>
    public bool AdvanceToNextTimer(DateTimeOffset limit)
    {
        List<(ManualTimer Timer, long Set)> due;
        lock (_lock)
        {
            var next = Earliest()?.Due ?? DateTimeOffset.MaxValue;
            if (next > limit)
            {
                if (limit > _now) _now = limit;
                return false;
            }
            if (next > _now) _now = next;
            due = TakeDue();
        }
        FireAll(due);
        return true;
    }

    public void Advance(TimeSpan by)
    {
        List<(ManualTimer Timer, long Set)> due;
        lock (_lock)
        {
            _now += by;
            due = TakeDue();
        }
        FireAll(due);
    }

    public void SetTo(DateTimeOffset when)
    {
        if (when > GetUtcNow()) Advance(when - GetUtcNow());
    }

    /// <summary>Takes the timers due by now out of the heap, in order; each fires unless changed or disposed meanwhile.</summary>
    private List<(ManualTimer, long)> TakeDue()
    {
        // The list is reused from one step to the next (a step fires its timers before the next one takes any); a
        // step taken from inside a timer's callback gets a list of its own.
        var due = _due ?? new();
        _due = null;
        while (Earliest() is { } t && t.Due <= _now)
        {
            _heap.Dequeue();
            t.Queued = 0;
            t.Armed = false;
            _armed--;
            due.Add((t, t.Set));
        }
        return due;
    }

    private void FireAll(List<(ManualTimer Timer, long Set)> due)
    {
        foreach (var (t, set) in due) t.Fire(set);
        due.Clear();
        lock (_lock) _due = due;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        return t;
    }

    private sealed class ByDue : IComparer<(long Due, long Set)>
    {
        public static readonly ByDue Instance = new();
        public int Compare((long Due, long Set) x, (long Due, long Set) y)
        {
            var c = x.Due.CompareTo(y.Due);
            return c != 0 ? c : x.Set.CompareTo(y.Set);
        }
    }

    private sealed class ManualTimer(ManualTime owner, TimerCallback callback, object? state) : ITimer
    {
        // When the timer is due and the sequence number it was set with (its order among timers due together);
        // Queued is the Set of its live place in the heap (0: none), which may be earlier than Due (pushed back).
        public DateTimeOffset Due = DateTimeOffset.MaxValue;
        public long Set;
        public long Queued;
        public long QueuedDue;
        public bool Armed;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        private void Disarm()
        {
            if (Armed) { Armed = false; owner._armed--; } // its place is passed over when it comes up
        }

        private void Arm(DateTimeOffset due)
        {
            Due = due;
            Set = ++owner._sequence;
            if (!Armed) { Armed = true; owner._armed++; }
            // A live place no later than the new due time serves: the timer moves there when it comes up. Otherwise
            // (none, or a later one) it takes a new place and the old one is passed over.
            if (Queued != 0 && QueuedDue <= due.UtcTicks) return;
            Queued = Set;
            QueuedDue = due.UtcTicks;
            owner._heap.Enqueue((this, Set), (QueuedDue, Set));
        }

        /// <summary>Fires the timer as it was set at <paramref name="set"/>; a timer changed or disposed since does not fire.</summary>
        public void Fire(long set)
        {
            lock (owner._lock)
            {
                if (_disposed || set != Set) return;
                Disarm();
                if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan) Arm(Due + _period);
                else Due = DateTimeOffset.MaxValue;
            }
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            long fire = -1;
            lock (owner._lock)
            {
                if (_disposed) return false;
                Disarm();
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan) { Due = DateTimeOffset.MaxValue; Set = ++owner._sequence; }
                else
                {
                    Arm(owner._now + dueTime);
                    if (dueTime == TimeSpan.Zero) fire = Set;
                }
            }
            if (fire >= 0) Fire(fire);
            return true;
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                _disposed = true;
                Disarm();
                // Its place stays in the heap until it comes up: let go of what the callback holds meanwhile.
                callback = static _ => { };
                state = null;
            }
        }

        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
