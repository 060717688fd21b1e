using System.Security.Cryptography;

namespace Chainlab.Core.Files;

/// <summary>
/// A content identifier (https://github.com/multiformats/cid) as this node supports it: version 0
/// (dag-pb, SHA-256, base58btc text "Qm…") or version 1 with the dag-pb or raw codec and SHA-256
/// (base32 text "b…"). Anything else parses to a clear error naming what is not supported.
/// </summary>
public sealed class Cid : IEquatable<Cid>
{
    public const ulong DagPb = 0x70, Raw = 0x55, Sha256 = 0x12;
    private const int DigestLength = 32;

    public int Version { get; }
    public ulong Codec { get; }
    /// <summary>The SHA-256 digest of the block.</summary>
    public byte[] Digest { get; }
    private readonly byte[] _bytes;

    private Cid(int version, ulong codec, byte[] digest)
    {
        Version = version; Codec = codec; Digest = digest;
        var mh = new byte[2 + DigestLength];
        mh[0] = (byte)Sha256; mh[1] = DigestLength;
        digest.CopyTo(mh, 2);
        _bytes = version == 0 ? mh : [.. Varint.Encode(1), .. Varint.Encode(codec), .. mh];
    }

    /// <summary>The CID of a block with this content.</summary>
    public static Cid Of(int version, ulong codec, ReadOnlySpan<byte> block)
    {
        if (version == 0 && codec != DagPb) throw new ArgumentException("CIDv0 is always dag-pb");
        return new Cid(version, codec, SHA256.HashData(block));
    }

    /// <summary>Does this block hash to this CID?</summary>
    public bool Matches(ReadOnlySpan<byte> block)
    {
        Span<byte> h = stackalloc byte[DigestLength];
        SHA256.HashData(block, h);
        return h.SequenceEqual(Digest);
    }

    /// <summary>The binary form: the multihash alone for v0; version, codec and multihash for v1.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    public Cid ToVersion(int version) => version == Version ? this : version == 0 && Codec != DagPb
        ? throw new InvalidOperationException("a raw block has no CIDv0") : new Cid(version, Codec, Digest);

    public override string ToString() => Version == 0
        ? SimpleBase.Base58.Bitcoin.Encode(_bytes)
        : "b" + SimpleBase.Base32.Rfc4648.Encode(_bytes, padding: false).ToLowerInvariant();

    /// <summary>Reads a binary CID that takes exactly the whole span.</summary>
    public static Cid FromBytes(ReadOnlySpan<byte> data)
    {
        var cid = Read(data, out var used);
        if (used != data.Length) throw new FormatException("bytes after the end of the CID");
        return cid;
    }

    /// <summary>Reads a binary CID at the start of data (a CAR section, a dag-pb link).</summary>
    public static Cid Read(ReadOnlySpan<byte> data, out int used)
    {
        if (data.Length >= 2 && data[0] == Sha256 && data[1] == DigestLength)
        {
            if (data.Length < 2 + DigestLength) throw new FormatException("CIDv0 cut short");
            used = 2 + DigestLength;
            return new Cid(0, DagPb, data.Slice(2, DigestLength).ToArray());
        }
        var at = Varint.Read(data, out var version);
        if (version != 1) throw new FormatException(version == 0x12 ? "CIDv0 multihash with a digest length other than 32" : $"unsupported CID version {version}");
        at += Varint.Read(data[at..], out var codec);
        if (codec is not (DagPb or Raw)) throw new FormatException($"unsupported codec 0x{codec:x} (dag-pb 0x70 and raw 0x55 are supported)");
        at += Varint.Read(data[at..], out var hash);
        if (hash != Sha256) throw new FormatException($"unsupported hash function 0x{hash:x} (sha2-256 0x12 is supported)");
        at += Varint.Read(data[at..], out var length);
        if (length != DigestLength) throw new FormatException($"a sha2-256 digest of {length} bytes");
        if (data.Length < at + DigestLength) throw new FormatException("CID digest cut short");
        used = at + DigestLength;
        return new Cid(1, codec, data.Slice(at, DigestLength).ToArray());
    }

    /// <summary>Parses the text form: "Qm…" (v0), or multibase "b" (base32), "B" (base32 upper), "z" (base58btc), "f" (hex).</summary>
    public static Cid Parse(string text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 200) throw new FormatException("not a CID: empty or too long");
        byte[] raw;
        try
        {
            raw = text.Length == 46 && text.StartsWith("Qm", StringComparison.Ordinal) ? SimpleBase.Base58.Bitcoin.Decode(text)
                : text[0] switch
                {
                    'b' => text.Skip(1).All(c => c is >= 'a' and <= 'z' or >= '2' and <= '7') ? SimpleBase.Base32.Rfc4648.Decode(text.AsSpan(1)) : throw new ArgumentException("base32"),
                    'B' => text.Skip(1).All(c => c is >= 'A' and <= 'Z' or >= '2' and <= '7') ? SimpleBase.Base32.Rfc4648.Decode(text.AsSpan(1)) : throw new ArgumentException("base32"),
                    'z' => SimpleBase.Base58.Bitcoin.Decode(text.AsSpan(1)),
                    'f' => Convert.FromHexString(text.AsSpan(1)),
                    _ => throw new FormatException($"not a CID: '{Short(text)}' is neither CIDv0 (Qm…) nor a multibase string this node reads (b, B, z, f)"),
                };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException || (e is FormatException && !e.Message.StartsWith("not a CID")))
        { throw new FormatException($"not a CID: '{Short(text)}' has characters outside its base"); }
        var cid = FromBytes(raw);
        if (cid.Version == 0 && text[0] != 'Q') throw new FormatException("not a CID: a CIDv0 is written in base58btc without a multibase prefix");
        return cid;
    }

    public static bool TryParse(string text, out Cid? cid, out string? error)
    {
        try { cid = Parse(text); error = null; return true; }
        catch (FormatException e) { cid = null; error = e.Message; return false; }
    }

    private static string Short(string s) => s.Length <= 24 ? s : s[..24] + "…";

    public bool Equals(Cid? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);
    public override bool Equals(object? obj) => Equals(obj as Cid);
    public override int GetHashCode() => BitConverter.ToInt32(Digest, 0);
    public static bool operator ==(Cid? a, Cid? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Cid? a, Cid? b) => !(a == b);
}
