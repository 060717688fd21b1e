using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.Model;

/// <summary>
/// Block header. Canonical layout: version u8 | height u64 | parent [32] | timestamp ms u64 |
/// producer key [32] | tx root [32] | state root [32] | files root [32] | tx count u32 | seal bytes.
/// The block hash is SHA-256 over the whole header including the seal; the seal itself signs
/// (or works over) the domain tag "chainlab/header/v1" followed by everything before the seal.
/// </summary>
public sealed record BlockHeader(
    ulong Height,
    Hash Parent,
    ulong TimestampMs,
    byte[] Producer,
    Hash TxRoot,
    Hash StateRoot,
    Hash FilesRoot,
    uint TxCount,
    byte[] Seal)
{
    public const byte CurrentVersion = 1;
    private static readonly byte[] Domain = "chainlab/header/v1"u8.ToArray();

    private byte[]? _encoded;
    private Hash? _hash;

    /// <summary>Copy for `with`: the cached encoding and hash belong to the original, never to the copy.</summary>
    private BlockHeader(BlockHeader o)
    {
        Height = o.Height; Parent = o.Parent; TimestampMs = o.TimestampMs; Producer = o.Producer; TxRoot = o.TxRoot;
        StateRoot = o.StateRoot; FilesRoot = o.FilesRoot; TxCount = o.TxCount; Seal = o.Seal;
    }

    public byte[] Encode()
    {
        if (_encoded is not null) return _encoded;
        var w = new CanonicalWriter(256);
        WriteUnsealed(w);
        w.Bytes(Seal);
        return _encoded = w.ToArray();
    }

    public Hash Hash => _hash ??= Hash.Sha256(Encode());

    /// <summary>The bytes a seal commits to.</summary>
    public byte[] SealingMessage()
    {
        var w = new CanonicalWriter(256);
        w.Fixed(Domain);
        WriteUnsealed(w);
        return w.ToArray();
    }

    private void WriteUnsealed(CanonicalWriter w)
    {
        w.U8(CurrentVersion);
        w.U64(Height);
        w.Hash(Parent);
        w.U64(TimestampMs);
        w.Fixed(Producer);
        w.Hash(TxRoot);
        w.Hash(StateRoot);
        w.Hash(FilesRoot);
        w.U32(TxCount);
    }

    public static BlockHeader Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > Limits.MaxHeaderBytes) throw new DecodeException("header is larger than the limit");
        var r = new CanonicalReader(data);
        var version = r.U8("header version");
        if (version != CurrentVersion) throw new DecodeException($"unknown header version {version}");
        var h = new BlockHeader(
            r.U64("height"), r.Hash("parent"), r.U64("timestamp"), r.Fixed(32, "producer").ToArray(),
            r.Hash("tx root"), r.Hash("state root"), r.Hash("files root"), r.U32("tx count"),
            r.Bytes(Limits.MaxSealBytes, "seal").ToArray());
        r.EnsureEnd("header");
        return h;
    }
}
