namespace Chainlab.Core.Files;

/// <summary>
/// Where the importer puts the blocks it makes, children before parents. Each block's memory is the
/// sink's to keep: the importer never writes to it again.
/// </summary>
public interface IBlockSink
{
    ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct);
}

/// <summary>The settings of kubo's `ipfs add`: CIDv0 with dag-pb leaves, or `--cid-version 1` with raw leaves.</summary>
public sealed record ImportOptions
{
    public const int DefaultChunkSize = 256 * 1024, DefaultMaxLinks = 174;
    /// <summary>kubo switches a directory to a HAMT shard above this estimate (names plus CIDs); we refuse such directories.</summary>
    public const int HamtThresholdBytes = 256 * 1024;

    public int CidVersion { get; init; }
    public int ChunkSize { get; init; } = DefaultChunkSize;
    public int MaxLinks { get; init; } = DefaultMaxLinks;
    public bool RawLeaves => CidVersion == 1;

    public static readonly ImportOptions V0 = new(), V1 = new() { CidVersion = 1 };
}

/// <summary>A node the importer made: its CID, the file bytes under it and the cumulative size of its blocks (a link's Tsize).</summary>
public sealed record ImportedNode(Cid Cid, ulong FileSize, ulong Tsize);

/// <summary>
/// Turns a stream into a UnixFS DAG exactly as kubo's `ipfs add` does with default settings: fixed-size
/// chunks, a balanced tree of at most MaxLinks children per node built left to right, a single chunk
/// standing for the whole file. Reads the stream once, a chunk at a time, and hands every block to the sink
/// as soon as it is made, so a file of any size costs one chunk of memory plus one list of links per level.
/// </summary>
public static class UnixFsImporter
{
    public static async Task<ImportedNode> AddFileAsync(Stream content, IBlockSink sink, ImportOptions options, CancellationToken ct = default, Action<long>? progress = null)
    {
        var levels = new List<List<ImportedNode>> { new() };
        var madeAtLevel = new List<int> { 0 };
        long total = 0;
        while (true)
        {
            // A fresh buffer per chunk: with raw leaves the chunk itself is the block the sink keeps.
            var buffer = new byte[options.ChunkSize];
            var n = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            if (n == 0 && madeAtLevel[0] > 0) break;
            total += n;
            progress?.Invoke(total);
            await Add(0, await Leaf(buffer.AsMemory(0, n), sink, options, ct));
            if (n < buffer.Length) break;
        }
        // Close every level from the bottom: what is left at a level becomes one more parent, until one node is left on top.
        for (var level = 0; ; level++)
        {
            var top = level == levels.Count - 1;
            if (top && madeAtLevel[level] == 1) return levels[level][0];
            if (levels[level].Count > 0) await Add(level + 1, await Parent(levels[level], sink, options, ct));
            levels[level].Clear();
        }

        async Task Add(int level, ImportedNode node)
        {
            if (level == levels.Count) { levels.Add(new()); madeAtLevel.Add(0); }
            levels[level].Add(node);
            madeAtLevel[level]++;
            if (levels[level].Count == options.MaxLinks)
            {
                var full = levels[level].ToList();
                levels[level].Clear();
                await Add(level + 1, await Parent(full, sink, options, ct));
            }
        }
    }

    private static async Task<ImportedNode> Leaf(ReadOnlyMemory<byte> chunk, IBlockSink sink, ImportOptions options, CancellationToken ct)
    {
        if (options.RawLeaves)
        {
            var cid = Cid.Of(1, Cid.Raw, chunk.Span);
            await sink.PutAsync(cid, chunk, ct);
            return new ImportedNode(cid, (ulong)chunk.Length, (ulong)chunk.Length);
        }
        var block = FileLeaf(chunk.Span);
        var leafCid = Cid.Of(options.CidVersion, Cid.DagPb, block);
        await sink.PutAsync(leafCid, block, ct);
        return new ImportedNode(leafCid, (ulong)chunk.Length, (ulong)block.Length);
    }

    /// <summary>
    /// A dag-pb leaf holding UnixFS file data, written straight into one array: the same bytes as
    /// PbNode([], UnixFsData(File, chunk, length)).Encode(), without the copies in between.
    /// </summary>
    internal static byte[] FileLeaf(ReadOnlySpan<byte> chunk)
    {
        var n = (ulong)chunk.Length;
        var unixfs = ProtoWriter.VarintSize(1, (ulong)UnixFsType.File) + (n > 0 ? ProtoWriter.BytesSize(2, chunk.Length) : 0) + ProtoWriter.VarintSize(3, n);
        var block = new byte[ProtoWriter.BytesSize(1, unixfs)];
        var at = Varint.Write(block, 1 << 3 | 2);
        at += Varint.Write(block.AsSpan(at), (ulong)unixfs);
        var w = new ProtoWriter(block.AsSpan(at));
        w.Varint(1, (ulong)UnixFsType.File);
        if (n > 0) w.Bytes(2, chunk);
        w.Varint(3, n);
        return block;
    }

    private static async Task<ImportedNode> Parent(List<ImportedNode> children, IBlockSink sink, ImportOptions options, CancellationToken ct)
    {
        ulong size = 0, tsize = 0;
        foreach (var c in children) { size += c.FileSize; tsize += c.Tsize; }
        var data = new UnixFsData(UnixFsType.File, null, size, children.Select(c => c.FileSize).ToList()).Encode();
        var block = new PbNode(children.Select(c => new PbLink(c.Cid, "", c.Tsize)).ToList(), data).Encode();
        var cid = Cid.Of(options.CidVersion, Cid.DagPb, block);
        await sink.PutAsync(cid, block, ct);
        return new ImportedNode(cid, size, tsize + (ulong)block.Length);
    }

    /// <summary>
    /// A directory node over entries already imported, links sorted by the bytes of their names, as
    /// `ipfs add -r` makes it. A directory big enough that kubo would shard it (HAMT) is refused.
    /// </summary>
    public static async Task<ImportedNode> AddDirectoryAsync(IReadOnlyList<(string Name, ImportedNode Node)> entries, IBlockSink sink, ImportOptions options, CancellationToken ct = default)
    {
        long estimate = 0;
        foreach (var (name, node) in entries)
        {
            if (name.Length == 0 || name.Contains('/') || name is "." or "..") throw new ArgumentException($"'{name}' cannot name a directory entry");
            estimate += System.Text.Encoding.UTF8.GetByteCount(name) + node.Cid.Bytes.Length;
        }
        if (estimate > ImportOptions.HamtThresholdBytes)
            throw new NotSupportedException($"a directory of {entries.Count} entries ({estimate} bytes of names and CIDs) is past kubo's {ImportOptions.HamtThresholdBytes}-byte threshold for HAMT sharding, which this node does not make");
        var sorted = entries.OrderBy(e => System.Text.Encoding.UTF8.GetBytes(e.Name), ByteOrder.Instance).ToList();
        for (var i = 1; i < sorted.Count; i++)
            if (sorted[i].Name == sorted[i - 1].Name) throw new ArgumentException($"two entries named '{sorted[i].Name}'");
        var block = new PbNode(sorted.Select(e => new PbLink(e.Node.Cid, e.Name, e.Node.Tsize)).ToList(), new UnixFsData(UnixFsType.Directory).Encode()).Encode();
        var cid = Cid.Of(options.CidVersion, Cid.DagPb, block);
        await sink.PutAsync(cid, block, ct);
        return new ImportedNode(cid, 0, (ulong)block.Length + sorted.Aggregate(0UL, (s, e) => s + e.Node.Tsize));
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
