using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;

namespace Chainlab.Core.Finality;

/// <summary>
/// One voter's finality vote: "the link from checkpoint <see cref="Source"/> (justified in my view) to the later
/// checkpoint <see cref="Target"/>". Canonical layout (big-endian):
/// version u8 (= 1) | chainId text | source height u64 | source hash [32] | target height u64 | target hash [32] |
/// voter key [32] | signature [64].
/// The signature covers the domain tag "chainlab/vote/v1" followed by every field before it; the vote's id is
/// SHA-256 over all of the canonical bytes. Decoding is strict: known version, a chain id of at most 32 bytes,
/// a source strictly below the target, no trailing bytes.
/// </summary>
public sealed class Vote
{
    public const byte CurrentVersion = 1;
    /// <summary>The largest canonical vote (a chain id of 32 bytes).</summary>
    public const int MaxEncodedSize = 1 + 4 + Limits.MaxChainIdBytes + 2 * Checkpoint.EncodedSize + Ed25519.PublicKeySize + Ed25519.SignatureSize;
    public const int MinEncodedSize = 1 + 4 + 2 * Checkpoint.EncodedSize + Ed25519.PublicKeySize + Ed25519.SignatureSize;
    private static readonly byte[] Domain = "chainlab/vote/v1"u8.ToArray();

    private Vote(string chainId, Checkpoint source, Checkpoint target, byte[] voterKey, byte[] signature, byte[] raw)
    {
        ChainId = chainId; Source = source; Target = target; VoterKey = voterKey; Signature = signature; Raw = raw;
        Id = Hash.Sha256(raw);
    }

    public string ChainId { get; }
    public Checkpoint Source { get; }
    public Checkpoint Target { get; }
    public byte[] VoterKey { get; }
    public byte[] Signature { get; }
    /// <summary>The canonical bytes, exactly as signed (minus the signature) and hashed.</summary>
    public byte[] Raw { get; }
    public Hash Id { get; }

    /// <summary>The signed part without the domain tag: every field but the signature.</summary>
    public ReadOnlySpan<byte> Unsigned => Raw.AsSpan(0, Raw.Length - Ed25519.SignatureSize);

    /// <summary>Builds and signs a vote.</summary>
    public static Vote Create(KeyPair key, string chainId, Checkpoint source, Checkpoint target)
    {
        if (source.Height >= target.Height) throw new ArgumentException("a vote's source must be below its target");
        var w = new CanonicalWriter(MaxEncodedSize);
        WriteUnsigned(w, chainId, source, target, key.PublicKey);
        w.Fixed(key.Sign(SigningMessage(w.WrittenSpan)));
        return Decode(w.WrittenSpan);
    }

    /// <summary>Assembles a vote from its fields and an existing signature; refuses what decoding would refuse.</summary>
    public static Vote Assemble(string chainId, Checkpoint source, Checkpoint target, byte[] voterKey, byte[] signature)
    {
        if (voterKey.Length != Ed25519.PublicKeySize) throw new DecodeException("voter key must be 32 bytes");
        if (signature.Length != Ed25519.SignatureSize) throw new DecodeException("signature must be 64 bytes");
        if (System.Text.Encoding.UTF8.GetByteCount(chainId) > Limits.MaxChainIdBytes) throw new DecodeException("chain id is too long");
        var w = new CanonicalWriter(MaxEncodedSize);
        WriteUnsigned(w, chainId, source, target, voterKey);
        w.Fixed(signature);
        return Decode(w.WrittenSpan);
    }

    private static void WriteUnsigned(CanonicalWriter w, string chainId, Checkpoint source, Checkpoint target, byte[] voterKey)
    {
        w.U8(CurrentVersion);
        w.Text(chainId);
        source.Write(w);
        target.Write(w);
        w.Fixed(voterKey);
    }

    /// <summary>The bytes the signature covers: the domain tag, then every field but the signature.</summary>
    public byte[] SigningMessage() => SigningMessage(Unsigned);

    private static byte[] SigningMessage(ReadOnlySpan<byte> unsigned)
    {
        var m = new byte[Domain.Length + unsigned.Length];
        Domain.CopyTo(m, 0);
        unsigned.CopyTo(m.AsSpan(Domain.Length));
        return m;
    }

    /// <summary>Checks the signature against the voter key (expensive: ~35 µs; callers may check many in parallel).</summary>
    public bool VerifySignature() => Ed25519.Verify(VoterKey, SigningMessage(Unsigned), Signature);

    /// <summary>True when the two votes say the same thing (same chain, voter, source and target), whatever their signatures.</summary>
    public bool SameContent(Vote other) => Unsigned.SequenceEqual(other.Unsigned);

    /// <summary>Strict decode: bounded, known version, source below target, no trailing bytes.</summary>
    public static Vote Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxEncodedSize) throw new DecodeException($"vote is {data.Length} bytes, more than the limit of {MaxEncodedSize}");
        var r = new CanonicalReader(data);
        var version = r.U8("version");
        if (version != CurrentVersion) throw new DecodeException($"unknown vote version {version}");
        var chainId = r.Text(Limits.MaxChainIdBytes, "chain id");
        var source = Checkpoint.Read(ref r, "source");
        var target = Checkpoint.Read(ref r, "target");
        if (source.Height >= target.Height)
            throw new DecodeException($"the source (height {source.Height}) is not below the target (height {target.Height})");
        var voter = r.Fixed(Ed25519.PublicKeySize, "voter key").ToArray();
        var signature = r.Fixed(Ed25519.SignatureSize, "signature").ToArray();
        r.EnsureEnd("vote");
        return new Vote(chainId, source, target, voter, signature, data.ToArray());
    }

    public override string ToString() => $"vote {Source} -> {Target} by {Convert.ToHexStringLower(VoterKey)[..12]}";
}
