namespace Chainlab.Core.Files;

/// <summary>A link of a dag-pb node: the child's CID, its name in a directory, and the cumulative size of its DAG.</summary>
public sealed record PbLink(Cid Hash, string? Name, ulong? Tsize);

/// <summary>
/// A dag-pb node (https://ipld.io/specs/codecs/dag-pb/spec/): links, then optional data. Encoding is the
/// canonical form (links first, link fields in order Hash, Name, Tsize); decoding is as strict as the
/// reference decoders: unknown fields, wrong wire types, duplicate sections and links without a hash fail.
/// </summary>
public sealed record PbNode(IReadOnlyList<PbLink> Links, byte[]? Data)
{
    public byte[] Encode()
    {
        var linkSizes = new int[Links.Count];
        var size = 0;
        for (var i = 0; i < Links.Count; i++)
        {
            linkSizes[i] = LinkSize(Links[i]);
            size += ProtoWriter.BytesSize(2, linkSizes[i]);
        }
        if (Data is not null) size += ProtoWriter.BytesSize(1, Data.Length);
        var buffer = new byte[size];
        var w = new ProtoWriter(buffer);
        for (var i = 0; i < Links.Count; i++)
        {
            var link = new byte[linkSizes[i]];
            var lw = new ProtoWriter(link);
            var l = Links[i];
            lw.Bytes(1, l.Hash.Bytes);
            if (l.Name is not null) lw.Bytes(2, System.Text.Encoding.UTF8.GetBytes(l.Name));
            if (l.Tsize is { } t) lw.Varint(3, t);
            w.Bytes(2, link);
        }
        if (Data is not null) w.Bytes(1, Data);
        return buffer;
    }

    private static int LinkSize(PbLink l) =>
        ProtoWriter.BytesSize(1, l.Hash.Bytes.Length)
        + (l.Name is null ? 0 : ProtoWriter.BytesSize(2, System.Text.Encoding.UTF8.GetByteCount(l.Name)))
        + (l.Tsize is { } t ? ProtoWriter.VarintSize(3, t) : 0);

    public static PbNode Decode(ReadOnlySpan<byte> block)
    {
        var links = new List<PbLink>();
        byte[]? data = null;
        var r = new ProtoReader(block, "dag-pb node");
        while (r.Next())
        {
            r.Expect(2);
            switch (r.Field)
            {
                case 1:
                    if (data is not null) throw new FormatException("dag-pb node: two Data sections");
                    data = r.Span.ToArray();
                    break;
                case 2:
                    if (data is not null) throw new FormatException("dag-pb node: Links after Data");
                    links.Add(DecodeLink(r.Span));
                    break;
                default:
                    throw new FormatException($"dag-pb node: unknown field {r.Field}");
            }
        }
        return new PbNode(links, data);
    }

    private static PbLink DecodeLink(ReadOnlySpan<byte> bytes)
    {
        Cid? hash = null;
        string? name = null;
        ulong? tsize = null;
        var last = 0;
        var r = new ProtoReader(bytes, "dag-pb link");
        while (r.Next())
        {
            if (r.Field <= last) throw new FormatException($"dag-pb link: field {r.Field} out of order or repeated");
            last = r.Field;
            switch (r.Field)
            {
                case 1:
                    r.Expect(2);
                    hash = Cid.FromBytes(r.Span);
                    break;
                case 2:
                    r.Expect(2);
                    name = Utf8(r.Span);
                    break;
                case 3:
                    r.Expect(0);
                    tsize = r.Value;
                    break;
                default:
                    throw new FormatException($"dag-pb link: unknown field {r.Field}");
            }
        }
        return new PbLink(hash ?? throw new FormatException("dag-pb link without a Hash"), name, tsize);
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    internal static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (System.Text.DecoderFallbackException) { throw new FormatException("dag-pb link name is not UTF-8"); }
    }
}
