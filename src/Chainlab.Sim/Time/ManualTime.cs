namespace Chainlab.Sim.Time;

/// <summary>
/// A clock that moves only when the test says so; timers fire on Advance. Timers wait in a set ordered by when
/// they are due and then by when they were set, so finding the next one, setting one and cancelling one take
/// logarithmic time however many thousands of simulated links and nodes have one waiting.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private readonly object _lock = new();
    private readonly SortedSet<ManualTimer> _timers = new(ByDue.Instance);
    private DateTimeOffset _now = start;
    private long _sequence;

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    // Timestamps (elapsed-time measurements: rate limits, time-outs) follow this clock too.
    public override long GetTimestamp() { lock (_lock) return _now.UtcTicks; }
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Timers waiting now.</summary>
    public int Waiting { get { lock (_lock) return _timers.Count; } }

    /// <summary>When the earliest timer is due, or null when none is set.</summary>
    public DateTimeOffset? NextDue
    {
        get { lock (_lock) return _timers.Count == 0 ? null : _timers.Min!.Due; }
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
            var next = _timers.Count == 0 ? DateTimeOffset.MaxValue : _timers.Min!.Due;
            if (next > limit)
            {
                if (limit > _now) _now = limit;
                return false;
            }
            if (next > _now) _now = next;
            due = TakeDue();
        }
        foreach (var (t, set) in due) t.Fire(set);
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
        foreach (var (t, set) in due) t.Fire(set);
    }

    public void SetTo(DateTimeOffset when)
    {
        if (when > GetUtcNow()) Advance(when - GetUtcNow());
    }

    /// <summary>Takes the timers due by now out of the set, in order; each fires unless changed or disposed meanwhile.</summary>
    private List<(ManualTimer, long)> TakeDue()
    {
        var due = new List<(ManualTimer, long)>();
        while (_timers.Count > 0 && _timers.Min!.Due <= _now)
        {
            var t = _timers.Min;
            _timers.Remove(t);
            t.Armed = false;
            due.Add((t, t.Set));
        }
        return due;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        return t;
    }

    private sealed class ByDue : IComparer<ManualTimer>
    {
        public static readonly ByDue Instance = new();
        public int Compare(ManualTimer? x, ManualTimer? y)
        {
            var c = x!.Due.CompareTo(y!.Due);
            return c != 0 ? c : x.Set.CompareTo(y.Set);
        }
    }

    private sealed class ManualTimer(ManualTime owner, TimerCallback callback, object? state) : ITimer
    {
        // Due and Set are the timer's key in the owner's set: changed only while it is out of the set.
        public DateTimeOffset Due = DateTimeOffset.MaxValue;
        public long Set;
        public bool Armed;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        private void Disarm()
        {
            if (Armed) { owner._timers.Remove(this); Armed = false; }
        }

        private void Arm(DateTimeOffset due)
        {
            Due = due;
            Set = ++owner._sequence;
            owner._timers.Add(this);
            Armed = true;
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
            lock (owner._lock) { _disposed = true; Disarm(); }
        }

        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
