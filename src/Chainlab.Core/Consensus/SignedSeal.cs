using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Core.Consensus;

/// <summary>Seals that end in an Ed25519 signature over the header and the seal bytes before it.</summary>
public static class SignedSeal
{
    public static byte[] Message(BlockHeader header, ReadOnlySpan<byte> prefix) => [.. header.SealingMessage(), .. prefix];

    public static byte[] Sign(BlockHeader draft, KeyPair key) => [.. draft.Seal, .. key.Sign(Message(draft, draft.Seal))];

    /// <summary>Checks a seal of exactly prefixLength + 64 bytes; null when valid.</summary>
    public static string? Verify(BlockHeader header, int prefixLength)
    {
        if (header.Seal.Length != prefixLength + Ed25519.SignatureSize)
            return $"seal must be {prefixLength + Ed25519.SignatureSize} bytes, not {header.Seal.Length}";
        var prefix = header.Seal.AsSpan(0, prefixLength);
        return Ed25519.Verify(header.Producer, Message(header, prefix), header.Seal.AsSpan(prefixLength)) ? null : "seal signature is invalid";
    }
}
