using System.Net;
using System.Threading.RateLimiting;

namespace Chainlab.Node.Api;

/// <summary>
/// How many transactions each client (by address) may submit through the API per second, counted per
/// transaction, not per request: one batch request can carry 20,000 signature checks. A token bucket with
/// a burst of two seconds' worth.
/// </summary>
public sealed class SubmissionBudget(int transactionsPerSecond) : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _buckets = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip =>
        RateLimitPartition.GetTokenBucketLimiter(ip, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 2 * transactionsPerSecond,
            TokensPerPeriod = transactionsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public int PerSecond => transactionsPerSecond;

    /// <summary>Takes count transactions from the client's budget; false (and nothing taken) when it has not enough.</summary>
    public bool TryTake(IPAddress? client, int count)
    {
        if (count == 0) return true;
        if (count > 2 * transactionsPerSecond) return false;
        using var lease = _buckets.AttemptAcquire(client ?? IPAddress.None, count);
        return lease.IsAcquired;
    }

    public void Dispose() => _buckets.Dispose();
}
