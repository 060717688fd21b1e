namespace Chainlab.Node.Files;

/// <summary>Limits of the node's file store.</summary>
public sealed record FileStoreOptions
{
    /// <summary>Largest file (or CAR) one upload may bring.</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;
    /// <summary>Most bytes of file blocks the node keeps in all.</summary>
    public long QuotaBytes { get; init; } = 10L << 30;
    /// <summary>
    /// The part of the quota that anchored files may keep for good: anchors pin files oldest anchor first while
    /// their stored bytes fit; a file anchored past that expires like an unanchored one, so anchoring (one
    /// minimum fee per file) cannot pin a node's whole disk.
    /// </summary>
    public double AnchoredShare { get; init; } = 0.5;
    /// <summary>How long a file nobody anchored is kept after its last upload.</summary>
    public TimeSpan UnanchoredTtl { get; init; } = TimeSpan.FromHours(24);
    /// <summary>How often expired files and orphan blocks are removed.</summary>
    public TimeSpan CollectInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Blocks no file uses are removed only when older than this (a writer may still be at work).</summary>
    public TimeSpan OrphanGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Links one import or fetch may bring (each is held until the DAG is checked complete): far more than a file
    /// of the largest size needs, so a DAG of link-only blocks cannot take the node's memory.
    /// </summary>
    public int MaxLinks { get; init; } = 262_144;
    /// <summary>Blocks one import, fetch or read may visit: every link's block and the root.</summary>
    public long MaxBlocks => MaxLinks + 1L;
    /// <summary>After this long, a fetch whose providers have sent less than <see cref="FetchMinBytesPerSecond"/> on average is given up.</summary>
    public TimeSpan FetchGrace { get; init; } = TimeSpan.FromSeconds(10);
    public long FetchMinBytesPerSecond { get; init; } = 64 * 1024;
    /// <summary>A provider that takes longer than this to answer a block is not asked again in that fetch while others are left.</summary>
    public TimeSpan SlowBlockAnswer { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The record of a file kept from nowMs, expiring after the unanchored time.</summary>
    public Storage.StoredFile NewFile(Chainlab.Core.Files.Cid cid, ulong size, string? name, string? mediaType, long nowMs) =>
        new(cid, size, name, mediaType, nowMs, nowMs + (long)UnanchoredTtl.TotalMilliseconds);
}
