namespace Chainlab.Core.Files;

/// <summary>Where blocks come from when reading a DAG: a store, or a store that fetches from peers.</summary>
public interface IBlockSource
{
    /// <summary>The block, already checked against its CID; null when it cannot be had.</summary>
    ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct);
}

/// <summary>A block the reader needed and the source did not have.</summary>
public sealed class BlockMissingException(Cid cid) : Exception($"block {cid} is not available")
{
    public Cid Cid { get; } = cid;
}

/// <summary>Caps on what one walk may visit: a hostile DAG may be deep or wide, never endless.</summary>
public sealed record DagLimits
{
    public int MaxDepth { get; init; } = 64;
    public long MaxBlocks { get; init; } = 2_000_000;
    public static readonly DagLimits Default = new();
}

public enum EntryKind { File, Directory }

/// <summary>What a CID names: a file (Size: its bytes) or a directory (Size: the bytes of its whole DAG, as the links' sizes say; Links: its entries).</summary>
public sealed record EntryInfo(Cid Cid, EntryKind Kind, ulong Size, IReadOnlyList<PbLink> Links);

/// <summary>
/// Reads UnixFS DAGs: what a CID is, a path below a directory, the bytes of a file in order, and every
/// block of a DAG once (for CAR files and fetching). Only dag-pb with UnixFS and raw blocks are read;
/// HAMT shards, symlinks and other codecs fail with a clear error.
/// </summary>
public static class UnixFsReader
{
    public static async Task<EntryInfo> StatAsync(Cid cid, IBlockSource source, CancellationToken ct)
    {
        var block = await Need(cid, source, ct);
        if (cid.Codec == Cid.Raw) return new EntryInfo(cid, EntryKind.File, (ulong)block.Length, []);
        var (node, fs) = Decode(cid, block);
        return fs.Type switch
        {
            UnixFsType.File or UnixFsType.Raw => new EntryInfo(cid, EntryKind.File, fs.FileSize ?? (ulong)(fs.Data?.Length ?? 0), node.Links),
            UnixFsType.Directory => new EntryInfo(cid, EntryKind.Directory, (ulong)block.Length + node.Links.Aggregate(0UL, (s, l) => s + (l.Tsize ?? 0)), node.Links),
            UnixFsType.HamtShard => throw new NotSupportedException($"{cid} is a HAMT-sharded directory, which this node does not read"),
            _ => throw new NotSupportedException($"{cid} is a UnixFS {fs.Type.ToString().ToLowerInvariant()}, which this node does not serve"),
        };
    }

    /// <summary>Follows path segments (directory entry names) from root; the blocks on the way are reported to onBlock.</summary>
    public static async Task<EntryInfo> ResolveAsync(Cid root, IReadOnlyList<string> path, IBlockSource source, CancellationToken ct, Action<Cid, byte[]>? onBlock = null)
    {
        var entry = await StatAsync(root, source, ct);
        if (path.Count > DagLimits.Default.MaxDepth) throw new FormatException($"a path of {path.Count} segments (at most {DagLimits.Default.MaxDepth})");
        foreach (var segment in path)
        {
            if (entry.Kind != EntryKind.Directory) throw new KeyNotFoundException($"'{segment}': {entry.Cid} is a file, not a directory");
            if (onBlock is not null) onBlock(entry.Cid, await Need(entry.Cid, source, ct));
            var link = entry.Links.FirstOrDefault(l => l.Name == segment) ?? throw new KeyNotFoundException($"no entry '{segment}' in directory {entry.Cid}");
            entry = await StatAsync(link.Hash, source, ct);
        }
        return entry;
    }

    /// <summary>Writes the bytes of the file under cid to output, in order, checking the sizes its nodes claim.</summary>
    public static async Task WriteFileAsync(Cid cid, IBlockSource source, Stream output, CancellationToken ct, DagLimits? limits = null, Action<long>? progress = null)
    {
        limits ??= DagLimits.Default;
        long written = 0, blocks = 0;
        var claimed = await Write(cid, 0);
        if ((ulong)written != claimed) throw new FormatException($"file {cid} says it holds {claimed} bytes but its blocks hold {written}");

        async Task<ulong> Write(Cid c, int depth)
        {
            if (depth > limits.MaxDepth) throw new FormatException($"file {cid} is deeper than {limits.MaxDepth} levels");
            if (++blocks > limits.MaxBlocks) throw new FormatException($"file {cid} has more than {limits.MaxBlocks} blocks");
            var block = await Need(c, source, ct);
            if (c.Codec == Cid.Raw)
            {
                await Emit(block);
                return (ulong)block.Length;
            }
            var (node, fs) = Decode(c, block);
            if (fs.Type is not (UnixFsType.File or UnixFsType.Raw)) throw new FormatException($"{c} inside file {cid} is a {fs.Type.ToString().ToLowerInvariant()}, not part of a file");
            if (node.Links.Count > 0 && fs.BlockSizes.Count != node.Links.Count) throw new FormatException($"{c} has {node.Links.Count} links but {fs.BlockSizes.Count} block sizes");
            ulong total = 0;
            if (fs.Data is { Length: > 0 } data) { await Emit(data); total += (ulong)data.Length; }
            for (var i = 0; i < node.Links.Count; i++)
            {
                var got = await Write(node.Links[i].Hash, depth + 1);
                if (got != fs.BlockSizes[i]) throw new FormatException($"{node.Links[i].Hash} holds {got} bytes where its parent {c} says {fs.BlockSizes[i]}");
                total += got;
            }
            if (fs.FileSize is { } claimedHere && claimedHere != total) throw new FormatException($"{c} says it holds {claimedHere} bytes but holds {total}");
            return total;
        }

        async Task Emit(byte[] bytes)
        {
            if (bytes.Length == 0) return; // nothing to say yet: an answer not begun can still be an error
            await output.WriteAsync(bytes, ct);
            written += bytes.Length;
            progress?.Invoke(written);
        }
    }

    /// <summary>
    /// Every block of the DAG under root, depth first, each once (a file with repeated chunks has one block for
    /// all of them). With entityOnly, a directory's children are not followed (the trustless gateway's dag-scope=entity).
    /// </summary>
    public static async IAsyncEnumerable<(Cid Cid, byte[] Block)> WalkAsync(Cid root, IBlockSource source, bool entityOnly, DagLimits? limits = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        limits ??= DagLimits.Default;
        var seen = new HashSet<Cid>();
        var stack = new Stack<(Cid Cid, int Depth)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (cid, depth) = stack.Pop();
            if (!seen.Add(cid)) continue;
            if (seen.Count > limits.MaxBlocks) throw new FormatException($"the DAG under {root} has more than {limits.MaxBlocks} blocks");
            if (depth > limits.MaxDepth) throw new FormatException($"the DAG under {root} is deeper than {limits.MaxDepth} levels");
            var block = await Need(cid, source, ct);
            yield return (cid, block);
            if (cid.Codec != Cid.DagPb) continue;
            var (node, fs) = Decode(cid, block);
            if (entityOnly && fs.Type == UnixFsType.Directory) continue;
            for (var i = node.Links.Count - 1; i >= 0; i--) stack.Push((node.Links[i].Hash, depth + 1));
        }
    }

    /// <summary>The dag-pb node and its UnixFS data, or a clear error for a block that is not UnixFS.</summary>
    public static (PbNode Node, UnixFsData Data) Decode(Cid cid, ReadOnlySpan<byte> block)
    {
        var node = PbNode.Decode(block);
        if (node.Data is null) throw new FormatException($"{cid} is a dag-pb node without UnixFS data");
        return (node, UnixFsData.Decode(node.Data));
    }

    private static async ValueTask<byte[]> Need(Cid cid, IBlockSource source, CancellationToken ct) =>
        await source.GetAsync(cid, ct) ?? throw new BlockMissingException(cid);
}
