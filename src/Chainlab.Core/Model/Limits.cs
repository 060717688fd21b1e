namespace Chainlab.Core.Model;

/// <summary>Hard protocol bounds that every decoder enforces before allocating.</summary>
public static class Limits
{
    public const int MaxChainIdBytes = 32;
    public const int MaxPayloadBytes = 64 * 1024;
    public const int MaxTransactionBytes = 1 + 1 + 4 + MaxChainIdBytes + 32 + 8 + 8 + 20 + 8 + 4 + MaxPayloadBytes + 64;
    public const int MinTransactionBytes = 1 + 1 + 4 + 32 + 8 + 8 + 20 + 8 + 4 + 64;
    public const int MaxSealBytes = 512;
    public const int MaxHeaderBytes = 1024;
    public const int MaxBlockTransactions = 200_000;
    public const int MaxFileRefs = 1024;
    /// <summary>A FileRef: CID (up to 36 bytes), size, name (up to 255 bytes) and media type (up to 127), with their length prefixes.</summary>
    public const int MaxFileRefBytes = 512;
    public const int MaxBlockBytes = 64 * 1024 * 1024;
}
