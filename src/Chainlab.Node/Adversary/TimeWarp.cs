
namespace Chainlab.Node.Adversary;

/// <summary>
/// time-warp (proof of work, a miner): stamps its blocks to make each retarget window look longer than it was,
/// so that the difficulty falls. A window is measured from its first block's time to its last block's: the
/// first block this miner mines in a window gets the earliest time the rules allow (just after its parent),
/// the last one the latest (nine tenths of a block time ahead of the clock; honest nodes refuse more than one
/// block time). What it can gain is bounded by those two rules: about two block times per window.
/// </summary>
public sealed class TimeWarp : IMisbehaviour
{
    public string Name => "time-warp";
    public string What => "stamps the first block of each retarget window as early and the last as late as the rules allow (proof of work)";
    public IReadOnlyList<string> Engines => ["pow"];

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var spec = c.Chain.Spec;
        if (spec.Consensus.Engine != "pow" || c.ProducerClock is not { } clock)
            throw new InvalidOperationException("time-warp needs a proof-of-work miner");
        var n = spec.Consensus.RetargetInterval;
        var last = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), c.Time, ct);
            var next = c.Chain.Head.Height + 1; // the height being mined now
            // A window's first block is the one at (height - 1) % n == 0; its last the one before the next first.
            var skew = (next - 1) % n == 0 ? TimeSpan.FromHours(-1)
                : (next - 1) % n == n - 1 ? TimeSpan.FromMilliseconds(spec.BlockTimeMs * 9 / 10)
                : TimeSpan.Zero;
            if (skew == last) continue;
            clock.Skew = last = skew;
            if (skew != TimeSpan.Zero)
                c.Log.LogWarning("Misbehaving (time-warp): block {Height} stamped {How}", next, skew < TimeSpan.Zero ? "as early as allowed (just after its parent)" : "as late as allowed");
        }
    }
}
