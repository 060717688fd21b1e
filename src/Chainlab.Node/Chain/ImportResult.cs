namespace Chainlab.Node.Chain;

/// <summary>
/// Imported: the block is on the canonical chain now (possibly after a reorganisation). Known: seen before.
/// Side: valid header on a lighter branch, kept in case that branch overtakes. Orphan: its parent is unknown
/// (ask the peer for earlier blocks). Rejected: invalid.
/// </summary>
public enum ImportStatus { Imported, Known, Side, Orphan, Rejected }

/// <summary>What the import pipeline did with a block.</summary>
/// <param name="Forged">Rejected for a fault the block shows by itself (a seal that does not check, roots that do not
/// match its body): no honest node serves such a block, so its sender is banned at once.</param>
public sealed record ImportResult(ImportStatus Status, string? Reason = null, bool Forged = false)
{
    public static readonly ImportResult Imported = new(ImportStatus.Imported);
    public static readonly ImportResult Known = new(ImportStatus.Known);
    public static readonly ImportResult Side = new(ImportStatus.Side);
    public static ImportResult Orphan(string reason) => new(ImportStatus.Orphan, reason);
    public static ImportResult Rejected(string reason) => new(ImportStatus.Rejected, reason);
    public static ImportResult ForgedBlock(string reason) => new(ImportStatus.Rejected, reason, Forged: true);
}
