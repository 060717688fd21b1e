namespace Chainlab.Node.Chain;

public enum ImportStatus { Imported, Known, Rejected }

/// <summary>What the import pipeline did with a block.</summary>
public sealed record ImportResult(ImportStatus Status, string? Reason = null)
{
    public static readonly ImportResult Imported = new(ImportStatus.Imported);
    public static readonly ImportResult Known = new(ImportStatus.Known);
    public static ImportResult Rejected(string reason) => new(ImportStatus.Rejected, reason);
}
