using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.Model;

/// <summary>
/// A signed transaction. Canonical layout (big-endian):
/// version u8 | kind u8 | chainId text | sender public key [32] | nonce u64 | fee u64 |
/// to [20] | amount u64 | payload bytes | signature [64].
/// The signature covers the domain tag "chainlab/tx/v1" followed by every field before it.
/// The transaction hash is SHA-256 over all of the canonical bytes.
/// </summary>
public sealed class Transaction
{
    public const byte CurrentVersion = 1;
    private static readonly byte[] Domain = "chainlab/tx/v1"u8.ToArray();

    private Transaction(TxKind kind, string chainId, byte[] senderKey, ulong nonce, ulong fee, Address to,
        ulong amount, byte[] payload, byte[] signature, byte[] raw)
    {
        Kind = kind; ChainId = chainId; SenderKey = senderKey; Nonce = nonce; Fee = fee; To = to;
        Amount = amount; Payload = payload; Signature = signature; Raw = raw;
        Hash = Hash.Sha256(raw);
        Sender = Address.FromPublicKey(senderKey);
    }

    public TxKind Kind { get; }
    public string ChainId { get; }
    public byte[] SenderKey { get; }
    public Address Sender { get; }
    public ulong Nonce { get; }
    public ulong Fee { get; }
    public Address To { get; }
    public ulong Amount { get; }
    public byte[] Payload { get; }
    public byte[] Signature { get; }
    /// <summary>The canonical bytes, exactly as signed and hashed.</summary>
    public byte[] Raw { get; }
    public Hash Hash { get; }

    /// <summary>Builds and signs a transaction.</summary>
    public static Transaction Create(KeyPair key, string chainId, TxKind kind, ulong nonce, ulong fee, Address to,
        ulong amount, byte[]? payload = null)
    {
        payload ??= [];
        var w = new CanonicalWriter(160 + payload.Length);
        WriteUnsigned(w, kind, chainId, key.PublicKey, nonce, fee, to, amount, payload);
        var signature = key.Sign(SigningMessage(w.WrittenSpan));
        w.Fixed(signature);
        return Decode(w.WrittenSpan);
    }

    /// <summary>Assembles a transaction from its fields and an existing signature (e.g. JSON from a client).</summary>
    public static Transaction Assemble(TxKind kind, string chainId, byte[] senderKey, ulong nonce, ulong fee, Address to,
        ulong amount, byte[] payload, byte[] signature)
    {
        if (senderKey.Length != Ed25519.PublicKeySize) throw new DecodeException("sender key must be 32 bytes");
        if (signature.Length != Ed25519.SignatureSize) throw new DecodeException("signature must be 64 bytes");
        if (System.Text.Encoding.UTF8.GetByteCount(chainId) > Limits.MaxChainIdBytes) throw new DecodeException("chain id is too long");
        if (payload.Length > Limits.MaxPayloadBytes) throw new DecodeException("payload is too large");
        var w = new CanonicalWriter(160 + payload.Length);
        WriteUnsigned(w, kind, chainId, senderKey, nonce, fee, to, amount, payload);
        w.Fixed(signature);
        return Decode(w.WrittenSpan);
    }

    private static void WriteUnsigned(CanonicalWriter w, TxKind kind, string chainId, byte[] senderKey, ulong nonce,
        ulong fee, Address to, ulong amount, byte[] payload)
    {
        w.U8(CurrentVersion);
        w.U8((byte)kind);
        w.Text(chainId);
        w.Fixed(senderKey);
        w.U64(nonce);
        w.U64(fee);
        w.Address(to);
        w.U64(amount);
        w.Bytes(payload);
    }

    private static byte[] SigningMessage(ReadOnlySpan<byte> unsigned)
    {
        var m = new byte[Domain.Length + unsigned.Length];
        Domain.CopyTo(m, 0);
        unsigned.CopyTo(m.AsSpan(Domain.Length));
        return m;
    }

    /// <summary>Checks the signature against the sender key (expensive: ~35 µs).</summary>
    public bool VerifySignature() =>
        Ed25519.Verify(SenderKey, SigningMessage(Raw.AsSpan(0, Raw.Length - Ed25519.SignatureSize)), Signature);

    /// <summary>Strict decode: bounded, no trailing bytes, known version and kind.</summary>
    public static Transaction Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > Limits.MaxTransactionBytes)
            throw new DecodeException($"transaction is {data.Length} bytes, more than the limit of {Limits.MaxTransactionBytes}");
        var r = new CanonicalReader(data);
        var version = r.U8("version");
        if (version != CurrentVersion) throw new DecodeException($"unknown transaction version {version}");
        var kindByte = r.U8("kind");
        if (kindByte is < 1 or > (byte)TxKind.VoteEvidence) throw new DecodeException($"unknown transaction kind {kindByte}");
        var chainId = r.Text(Limits.MaxChainIdBytes, "chain id");
        var senderKey = r.Fixed(Ed25519.PublicKeySize, "sender key").ToArray();
        var nonce = r.U64("nonce");
        var fee = r.U64("fee");
        var to = r.Address("recipient");
        var amount = r.U64("amount");
        var payload = r.Bytes(Limits.MaxPayloadBytes, "payload").ToArray();
        var signature = r.Fixed(Ed25519.SignatureSize, "signature").ToArray();
        r.EnsureEnd("transaction");
        return new Transaction((TxKind)kindByte, chainId, senderKey, nonce, fee, to, amount, payload, signature, data.ToArray());
    }
}
