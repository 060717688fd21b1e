namespace Chainlab.Node.Mempool;

/// <summary>Mempool limits.</summary>
public sealed record MempoolOptions
{
    /// <summary>Most transactions held at once; beyond it the lowest-fee tail transaction is evicted.</summary>
    public int Capacity { get; init; } = 200_000;
    /// <summary>Most pending transactions per sender (1 gives a "one pending transaction per wallet" policy).</summary>
    public int PerSenderLimit { get; init; } = 5_000;
    /// <summary>How many recent rejections are remembered for status queries.</summary>
    public int RejectedMemory { get; init; } = 10_000;
}
