using Chainlab.Core.Encoding;

namespace Chainlab.Core.Files;

/// <summary>
/// A file anchored on chain: its CID, size in bytes, a name and a media type. A file anchor transaction
/// carries 1..MaxPerTransaction of them; a block lists the refs of its file anchor transactions, in order,
/// and its header's files root commits to them. Canonical layout: CID bytes | size u64 | name | media type
/// (each variable part as u32 length + bytes).
/// </summary>
public sealed record FileRef(Cid Cid, ulong Size, string Name, string MediaType)
{
    public const int MaxNameBytes = 255, MaxMediaTypeBytes = 127, MaxPerTransaction = 16;
    /// <summary>The largest size a file anchor may claim (2^53 - 1); the encoding itself carries any u64.</summary>
    public const ulong MaxAnchoredSize = (1UL << 53) - 1;

    public byte[] Encode()
    {
        var w = new CanonicalWriter(128);
        w.Bytes(Cid.Bytes);
        w.U64(Size);
        w.Text(Name);
        w.Text(MediaType);
        return w.ToArray();
    }

    public static FileRef Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var f = Read(ref r);
        r.EnsureEnd("file ref");
        return f;
    }

    private static FileRef Read(ref CanonicalReader r)
    {
        Cid cid;
        try { cid = Cid.FromBytes(r.Bytes(64, "file CID")); }
        catch (FormatException e) { throw new DecodeException("file ref: " + e.Message); }
        var f = new FileRef(cid, r.U64("file size"), r.Text(MaxNameBytes, "file name"), r.Text(MaxMediaTypeBytes, "media type"));
        if (f.Problem() is { } p) throw new DecodeException("file ref: " + p);
        return f;
    }

    /// <summary>What is wrong with the name or media type, or null.</summary>
    public string? Problem() => NameProblem(Name) ?? MediaTypeProblem(MediaType);

    /// <summary>A file name is one path segment: not empty, no "/", no control characters, not "." or "..", at most 255 bytes.</summary>
    public static string? NameProblem(string name) =>
        name.Length == 0 || name.Contains('/') || name.Any(char.IsControl) || name is "." or ".." || System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes
            ? $"file name '{(name.Length > 40 ? name[..40] + "…" : name)}' is empty, a path, too long, or has control characters" : null;

    /// <summary>A media type is type/subtype in token characters, without parameters, at most 127 bytes.</summary>
    public static string? MediaTypeProblem(string mediaType)
    {
        var slash = mediaType.IndexOf('/');
        return slash <= 0 || slash == mediaType.Length - 1 || mediaType.Length > MaxMediaTypeBytes
            || mediaType.Any(c => c <= ' ' || c >= 127 || c is '"' or '(' or ')' or ',' or ';' or ':' or '\\' or '<' or '>' or '@' or '[' or ']' or '?' or '=')
            ? $"media type '{(mediaType.Length > 40 ? mediaType[..40] + "…" : mediaType)}' is not type/subtype" : null;
    }

    /// <summary>The payload of a file anchor transaction: a count, then each ref as length-prefixed bytes.</summary>
    public static byte[] EncodePayload(IReadOnlyList<FileRef> refs)
    {
        var w = new CanonicalWriter(64 + 128 * refs.Count);
        w.U32((uint)refs.Count);
        foreach (var f in refs) w.Bytes(f.Encode());
        return w.ToArray();
    }

    public static IReadOnlyList<FileRef> DecodePayload(ReadOnlySpan<byte> payload)
    {
        var r = new CanonicalReader(payload);
        var n = r.Count(MaxPerTransaction, 4 + 50, "file refs");
        if (n == 0) throw new DecodeException("a file anchor names no files");
        var list = new FileRef[n];
        for (var i = 0; i < n; i++) list[i] = Decode(r.Bytes(Model.Limits.MaxFileRefBytes, "file ref"));
        r.EnsureEnd("file anchor payload");
        return list;
    }
}
