namespace Chainlab.Core.Files;

public enum UnixFsType { Raw = 0, Directory = 1, File = 2, Metadata = 3, Symlink = 4, HamtShard = 5 }

/// <summary>
/// The UnixFS Data message in a dag-pb node's Data (https://specs.ipfs.tech/unixfs/): what the node is
/// (file, directory, …), the bytes it holds itself, and for a file the sizes of its parts.
/// </summary>
public sealed record UnixFsData(UnixFsType Type, byte[]? Data = null, ulong? FileSize = null, IReadOnlyList<ulong>? BlockSizes = null)
{
    public IReadOnlyList<ulong> BlockSizes { get; init; } = BlockSizes ?? [];

    public byte[] Encode()
    {
        var size = ProtoWriter.VarintSize(1, (ulong)Type)
            + (Data is { Length: > 0 } ? ProtoWriter.BytesSize(2, Data.Length) : 0)
            + (FileSize is { } fs ? ProtoWriter.VarintSize(3, fs) : 0)
            + BlockSizes.Sum(b => ProtoWriter.VarintSize(4, b));
        var buffer = new byte[size];
        var w = new ProtoWriter(buffer);
        w.Varint(1, (ulong)Type);
        if (Data is { Length: > 0 }) w.Bytes(2, Data);
        if (FileSize is { } f) w.Varint(3, f);
        foreach (var b in BlockSizes) w.Varint(4, b);
        return buffer;
    }

    public static UnixFsData Decode(ReadOnlySpan<byte> bytes)
    {
        UnixFsType? type = null;
        byte[]? data = null;
        ulong? fileSize = null;
        var blockSizes = new List<ulong>();
        var r = new ProtoReader(bytes, "UnixFS data");
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1:
                    r.Expect(0);
                    if (r.Value > 5) throw new FormatException($"UnixFS data: unknown type {r.Value}");
                    type = (UnixFsType)r.Value;
                    break;
                case 2: r.Expect(2); data = r.Span.ToArray(); break;
                case 3: r.Expect(0); fileSize = r.Value; break;
                case 4:
                    if (r.WireType == 2) // packed, as some encoders write repeated numbers
                    {
                        var packed = r.Span;
                        while (packed.Length > 0) { packed = packed[Varint.Read(packed, out var v, 10)..]; blockSizes.Add(v); }
                    }
                    else { r.Expect(0); blockSizes.Add(r.Value); }
                    break;
                case 5 or 6 or 7: r.Expect(0); break; // hashType, fanout, mode: not used for reading files
                case 8: r.Expect(2); break;            // mtime
                default: throw new FormatException($"UnixFS data: unknown field {r.Field}");
            }
        }
        return new UnixFsData(type ?? throw new FormatException("UnixFS data without a Type"), data, fileSize, blockSizes);
    }
}
