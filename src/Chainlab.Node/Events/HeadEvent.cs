namespace Chainlab.Node.Events;

/// <summary>A new head block.</summary>
public sealed record HeadEvent(ulong Height, string Hash, uint TxCount, ulong TimestampMs, string StateRoot);
