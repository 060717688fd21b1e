namespace Chainlab.Core.Files;

/// <summary>
/// The sizes a file's blocks claim, checked where a block can be checked on its own (a node's size against its
/// data and the sizes it gives its parts) and between a node and each part it names (the part's own size), so a
/// root that claims 5 bytes, or 2^64 − 1, over parts that hold 10 is refused when it arrives, not served.
/// </summary>
public static class UnixFsClaims
{
    /// <summary>The file bytes a block holds by its own account: a raw block's length; a file node's size. Null for other blocks (directories).</summary>
    public static ulong? ContentSize(Cid cid, ReadOnlySpan<byte> block)
    {
        if (cid.Codec == Cid.Raw) return (ulong)block.Length;
        if (cid.Codec != Cid.DagPb) return null;
        var (node, fs) = UnixFsReader.Decode(cid, block);
        return fs.Type is UnixFsType.File or UnixFsType.Raw ? fs.FileSize ?? Total(cid, node, fs) : null;
    }

    /// <summary>
    /// Checks a block's own claims and returns what it claims of each part it names: (part, bytes). A file node
    /// must give one size per link and a file size equal to its own data plus those sizes; a directory's entries
    /// must have names a path can reach (not empty, `.` or `..`, without `/` or control characters). Raw blocks
    /// and other nodes claim nothing. A claim that does not hold is a <see cref="FormatException"/>.
    /// </summary>
    public static IReadOnlyList<(Cid Part, ulong Size)> Check(Cid cid, ReadOnlySpan<byte> block)
    {
        if (cid.Codec != Cid.DagPb) return [];
        var (node, fs) = UnixFsReader.Decode(cid, block);
        if (fs.Type == UnixFsType.Directory)
            foreach (var l in node.Links)
                if (l.Name is null or "" or "." or ".." || l.Name.Any(ch => ch == '/' || char.IsControl(ch)))
                    throw new FormatException($"directory {cid} has an entry named {System.Text.Json.JsonSerializer.Serialize(l.Name)}, which no path can name");
        if (fs.Type is not (UnixFsType.File or UnixFsType.Raw)) return [];
        var total = Total(cid, node, fs);
        if (fs.FileSize is { } claimed && claimed != total) throw new FormatException($"{cid} says it holds {claimed} bytes but its data and parts hold {total}");
        return node.Links.Select((l, i) => (l.Hash, fs.BlockSizes[i])).ToList();
    }

    private static ulong Total(Cid cid, PbNode node, UnixFsData fs)
    {
        if (fs.BlockSizes.Count != node.Links.Count) throw new FormatException($"{cid} has {node.Links.Count} links but {fs.BlockSizes.Count} block sizes");
        try { return checked(fs.BlockSizes.Aggregate((ulong)(fs.Data?.Length ?? 0), (s, b) => s + b)); }
        catch (OverflowException) { throw new FormatException($"the block sizes of {cid} add up to more than 2^64 − 1"); }
    }

    /// <summary>Checks a part against what its parent claimed of it.</summary>
    public static void CheckPart(Cid part, ReadOnlySpan<byte> block, ulong claimed)
    {
        if (ContentSize(part, block) is { } holds) CheckPart(part, holds, claimed);
    }

    /// <summary>Checks what a part holds against what its parent claimed of it.</summary>
    public static void CheckPart(Cid part, ulong holds, ulong claimed)
    {
        if (holds != claimed) throw new FormatException($"{part} holds {holds} bytes where its parent says {claimed}");
    }
}
