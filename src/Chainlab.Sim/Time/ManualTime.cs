namespace Chainlab.Sim.Time;

/// <summary>A clock that moves only when the test says so; timers fire on Advance.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private readonly object _lock = new();
    private readonly List<ManualTimer> _timers = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    // Timestamps (elapsed-time measurements: rate limits, time-outs) follow this clock too.
    public override long GetTimestamp() { lock (_lock) return _now.UtcTicks; }
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>When the earliest timer is due, or null when none is set.</summary>
    public DateTimeOffset? NextDue
    {
        get { lock (_lock) return _timers.Count == 0 ? null : _timers.Min(t => t.Due); }
    }

    /// <summary>
    /// Moves the clock to the earliest due timer (never past <paramref name="limit"/>) and fires the timers
    /// due then, in the order they were set. Returns false when no timer is due by the limit (the clock then
    /// stands at the limit). This is one step of a discrete-event simulation.
    /// </summary>
    public bool AdvanceToNextTimer(DateTimeOffset limit)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            var next = _timers.Count == 0 ? DateTimeOffset.MaxValue : _timers.Min(t => t.Due);
            if (next > limit)
            {
                if (limit > _now) _now = limit;
                return false;
            }
            if (next > _now) _now = next;
            due = _timers.Where(t => t.Due <= _now).ToList();
        }
        foreach (var t in due) t.Fire(this);
        return true;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            _now += by;
            due = _timers.Where(t => t.Due <= _now).ToList();
        }
        foreach (var t in due) t.Fire(this);
    }

    public void SetTo(DateTimeOffset when)
    {
        if (when > GetUtcNow()) Advance(when - GetUtcNow());
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        return t;
    }

    private sealed class ManualTimer(ManualTime owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset Due = DateTimeOffset.MaxValue;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public void Fire(ManualTime clock)
        {
            lock (owner._lock)
            {
                if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan) Due += _period;
                else { Due = DateTimeOffset.MaxValue; owner._timers.Remove(this); }
            }
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var fireNow = false;
            lock (owner._lock)
            {
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan) { Due = DateTimeOffset.MaxValue; owner._timers.Remove(this); }
                else
                {
                    Due = owner._now + dueTime;
                    if (!owner._timers.Contains(this)) owner._timers.Add(this);
                    fireNow = dueTime == TimeSpan.Zero;
                }
            }
            if (fireNow) Fire(owner);
            return true;
        }

        public void Dispose() { lock (owner._lock) owner._timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
