using Chainlab.Core.Files;

namespace Chainlab.Client.Models;

/// <summary>A file or directory as the API shows it.</summary>
public sealed record FileDto(string Cid, string Kind, ulong Size, string? Name, string? MediaType, bool Kept, long? ExpiresMs,
    IReadOnlyList<DirEntryDto>? Entries, IReadOnlyList<FileAnchorDto> Anchors);

public sealed record DirEntryDto(string Name, string Cid, ulong? Size);

/// <summary>A file this node keeps (uploaded, imported or fetched).</summary>
public sealed record StoredFileDto(string Cid, ulong Size, string? Name, string? MediaType, long AddedMs, long? ExpiresMs);

public sealed record FileRefDto(string Cid, ulong Size, string Name, string MediaType)
{
    public static FileRefDto Of(FileRef f) => new(f.Cid.ToString(), f.Size, f.Name, f.MediaType);
}

public sealed record FileAnchorDto(ulong Height, string TxHash, string AnchoredBy, FileRefDto File);

/// <summary>A page of kept files, or of anchors (with ?anchoredBy=).</summary>
public sealed record FileListDto(IReadOnlyList<StoredFileDto>? Files, IReadOnlyList<FileAnchorDto>? Anchors, int? NextOffset);

