namespace Chainlab.Core.Model;

/// <summary>The outcome of a transaction in a block.</summary>
public sealed record Receipt(Crypto.Hash TxHash, ulong Height, int Index, bool Success, ulong FeePaid, string? Error);
