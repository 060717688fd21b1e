using Chainlab.Core.Crypto;
using Chainlab.Core.Files;

namespace Chainlab.Node.Storage;

/// <summary>A file this node keeps: the root of a DAG whose blocks are all stored, with when it may go (null: kept).</summary>
public sealed record StoredFile(Cid Cid, ulong Size, string? Name, string? MediaType, long AddedMs, long? ExpiresMs);

/// <summary>A file anchored by a canonical block: where, by whom, and what the anchor said.</summary>
public sealed record FileAnchor(ulong Height, Hash TxHash, Address AnchoredBy, FileRef Ref);

/// <summary>
/// Content-addressed blocks beside the chain, in the same database. Blocks of one file are written as they
/// come through an <see cref="IFileWriter"/> and the file's record lands last: a file whose upload or fetch
/// stops half-way leaves no record, and its blocks go when the writer is disposed (or, after a crash, at the
/// next collection). Anchored files (a canonical block's file anchor names their CID) are never collected.
/// </summary>
public interface IFileStore
{
    byte[]? FileBlock(Cid cid);
    bool HasFileBlock(Cid cid);
    /// <summary>Starts writing the blocks of one file; its blocks count as added at nowMs (for the orphan grace).</summary>
    IFileWriter WriteFile(long nowMs);
    StoredFile? StoredFile(Cid root);
    /// <summary>Kept files, newest first, after the given CID (paging).</summary>
    IReadOnlyList<StoredFile> StoredFiles(int limit, int offset);
    /// <summary>Bytes of all stored file blocks (the quota counts these).</summary>
    long FileBlockBytes();
    /// <summary>Bytes of the stored blocks a kept file references (every block under its root); 0 for a file not kept.</summary>
    long FileBytes(Cid root);
    /// <summary>
    /// Removes file records whose time is up and that are not pinned, then blocks that no file record uses and
    /// that are older than <paramref name="orphanBeforeMs"/> (so a writer still at work keeps its blocks).
    /// Pinned: the given set, or, when none is given, every file a canonical anchor names.
    /// </summary>
    (int Files, int Blocks) CollectFiles(long nowMs, long orphanBeforeMs, IReadOnlySet<Cid>? pinned = null);
    /// <summary>Anchors in canonical blocks, oldest first; by one address when given.</summary>
    IReadOnlyList<FileAnchor> FileAnchors(Address? anchoredBy, int limit, int offset);
    /// <summary>Anchors of this CID in canonical blocks.</summary>
    IReadOnlyList<FileAnchor> AnchorsOf(Cid cid);
}

/// <summary>Blocks of one file on their way in. Dispose without <see cref="Complete"/> removes the blocks no other file uses.</summary>
public interface IFileWriter : IDisposable
{
    /// <summary>Stores a block already checked against its CID. The array is the writer's to keep. True when the block was not stored before.</summary>
    bool Put(Cid cid, byte[] block);
    /// <summary>
    /// A block already stored that this file needs (found on the node rather than put): referenced by the file
    /// like the blocks put, so the collector keeps it while the file is kept, and checked to be there when the
    /// file is recorded. The caller names every such block, the whole DAG under it included.
    /// </summary>
    void Reference(Cid cid);
    /// <summary>Commits the blocks put so far, so that the writer holds no lock on the store while it waits (for room in the quota).</summary>
    void Flush();
    /// <summary>Flushes and records the file (its root must be among the blocks put or referenced); the file then counts as kept.</summary>
    void Complete(StoredFile file);
}
