namespace Chainlab.Core.Files;

/// <summary>
/// CARv1 (https://ipld.io/specs/transport/car/carv1/): a header naming the roots (dag-cbor
/// {"roots": [CID…], "version": 1}), then one section per block: varint length, CID, block bytes.
/// </summary>
public static class Car
{
    /// <summary>The largest block a CAR section may carry here (kubo's blocks are at most 1 MiB; 2 MiB leaves room).</summary>
    public const int MaxBlockBytes = 2 * 1024 * 1024;
    public const int MaxHeaderBytes = 4096, MaxRoots = 64;

    public static byte[] Header(IReadOnlyList<Cid> roots)
    {
        var h = new MemoryStream();
        h.WriteByte(0xa2);                       // map of 2, keys in dag-cbor order (shorter first)
        CborText(h, "roots");
        CborHead(h, 4, (ulong)roots.Count);      // array
        foreach (var r in roots)
        {
            h.WriteByte(0xd8); h.WriteByte(42);  // tag 42: a CID
            CborHead(h, 2, (ulong)r.Bytes.Length + 1);
            h.WriteByte(0);                      // the identity multibase prefix
            h.Write(r.Bytes);
        }
        CborText(h, "version");
        h.WriteByte(0x01);
        var body = h.ToArray();
        return [.. Varint.Encode((ulong)body.Length), .. body];
    }

    public static async Task WriteHeaderAsync(Stream to, IReadOnlyList<Cid> roots, CancellationToken ct) => await to.WriteAsync(Header(roots), ct);

    public static async Task WriteBlockAsync(Stream to, Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        var cidBytes = cid.ToBytes();
        await to.WriteAsync(Varint.Encode((ulong)(cidBytes.Length + block.Length)), ct);
        await to.WriteAsync(cidBytes, ct);
        await to.WriteAsync(block, ct);
    }

    private static void CborHead(Stream s, int major, ulong n)
    {
        var m = (byte)(major << 5);
        if (n < 24) s.WriteByte((byte)(m | n));
        else if (n < 256) { s.WriteByte((byte)(m | 24)); s.WriteByte((byte)n); }
        else { s.WriteByte((byte)(m | 25)); s.WriteByte((byte)(n >> 8)); s.WriteByte((byte)n); }
    }

    private static void CborText(Stream s, string text)
    {
        CborHead(s, 3, (ulong)text.Length);
        s.Write(System.Text.Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Reads the header; the stream is then at the first section.</summary>
    public static async Task<IReadOnlyList<Cid>> ReadHeaderAsync(Stream from, CancellationToken ct)
    {
        var length = await Varint.ReadAsync(from, ct) ?? throw new FormatException("CAR: empty file");
        if (length == 0 || length > MaxHeaderBytes) throw new FormatException($"CAR: header of {length} bytes (at most {MaxHeaderBytes})");
        var header = new byte[length];
        await ReadExactly(from, header, "header", ct);
        return ParseHeader(header);
    }

    internal static IReadOnlyList<Cid> ParseHeader(ReadOnlySpan<byte> h)
    {
        var at = 0;
        var (major, count) = Head(h, ref at);
        if (major != 5) throw new FormatException("CAR: the header is not a dag-cbor map");
        List<Cid>? roots = null;
        ulong? version = null;
        for (ulong i = 0; i < count; i++)
        {
            var (km, kl) = Head(h, ref at);
            if (km != 3 || kl > 16 || at + (int)kl > h.Length) throw new FormatException("CAR: a header key is not a short string");
            var key = System.Text.Encoding.ASCII.GetString(h.Slice(at, (int)kl));
            at += (int)kl;
            if (key == "version")
            {
                var (vm, v) = Head(h, ref at);
                if (vm != 0) throw new FormatException("CAR: version is not a number");
                version = v;
            }
            else if (key == "roots")
            {
                var (am, n) = Head(h, ref at);
                if (am != 4 || n > MaxRoots) throw new FormatException($"CAR: roots is not an array of at most {MaxRoots} CIDs");
                roots = new List<Cid>();
                for (ulong r = 0; r < n; r++)
                {
                    var (tm, tag) = Head(h, ref at);
                    var (bm, bl) = Head(h, ref at);
                    if (tm != 6 || tag != 42 || bm != 2 || bl < 2 || at + (int)bl > h.Length || h[at] != 0) throw new FormatException("CAR: a root is not a CID (tag 42)");
                    roots.Add(Cid.FromBytes(h.Slice(at + 1, (int)bl - 1)));
                    at += (int)bl;
                }
            }
            else throw new FormatException($"CAR: unknown header key '{key}'");
        }
        if (at != h.Length) throw new FormatException("CAR: bytes after the header map");
        if (version == 2) throw new FormatException("CAR: version 2 is not supported (CARv1 only)");
        if (version != 1) throw new FormatException($"CAR: version {version?.ToString() ?? "missing"} (CARv1 only)");
        if (roots is null || roots.Count == 0) throw new FormatException("CAR: no roots");
        return roots;
    }

    private static (int Major, ulong Value) Head(ReadOnlySpan<byte> h, ref int at)
    {
        if (at >= h.Length) throw new FormatException("CAR: header cut short");
        var b = h[at++];
        var major = b >> 5;
        var info = b & 31;
        ulong value;
        if (info < 24) value = (ulong)info;
        else if (info is >= 24 and <= 27)
        {
            var n = 1 << (info - 24);
            if (at + n > h.Length) throw new FormatException("CAR: header cut short");
            value = 0;
            for (var i = 0; i < n; i++) value = value << 8 | h[at++];
        }
        else throw new FormatException("CAR: the header uses CBOR this reader does not take");
        return (major, value);
    }

    /// <summary>The next block, checked against its CID; null at the end of the file.</summary>
    public static async Task<(Cid Cid, byte[] Block)?> ReadBlockAsync(Stream from, CancellationToken ct)
    {
        ulong? length;
        try { length = await Varint.ReadAsync(from, ct); }
        catch (FormatException e) { throw new FormatException("CAR: " + e.Message); }
        if (length is null) return null;
        if (length == 0 || length > MaxBlockBytes + 64) throw new FormatException($"CAR: a section of {length} bytes (blocks are at most {MaxBlockBytes})");
        var section = new byte[length.Value];
        await ReadExactly(from, section, "section", ct);
        var cid = Cid.Read(section, out var used);
        var block = section[used..];
        if (!cid.Matches(block)) throw new FormatException($"CAR: block {cid} does not match its CID");
        return (cid, block);
    }

    private static async Task ReadExactly(Stream from, byte[] into, string what, CancellationToken ct)
    {
        var n = await from.ReadAtLeastAsync(into, into.Length, throwOnEndOfStream: false, ct);
        if (n < into.Length) throw new FormatException($"CAR: truncated {what} ({n} of {into.Length} bytes)");
    }
}
