namespace Chainlab.Node.Faults;

/// <summary>
/// A wall clock that can be set ahead or behind by the adversary lab (clock skew for one node). Only the
/// wall-clock reading moves; timers and elapsed-time stamps keep the real pace, as a skewed machine's would.
/// </summary>
public sealed class SkewedClock(TimeProvider inner) : TimeProvider
{
    private long _skewTicks;

    public TimeSpan Skew
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _skewTicks));
        set => Interlocked.Exchange(ref _skewTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Skew;
    public override long GetTimestamp() => inner.GetTimestamp();
    public override long TimestampFrequency => inner.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
