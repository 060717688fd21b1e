using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>Ed25519 signatures (RFC 8032) through libsodium.</summary>
public static class Ed25519
{
    public const int PublicKeySize = 32;
    public const int SeedSize = 32;
    public const int SignatureSize = 64;

    /// <summary>Derives the public key from a 32-byte seed (the RFC 8032 private key).</summary>
    public static unsafe byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException("Ed25519 seed must be 32 bytes", nameof(seed));
        Sodium.EnsureLoaded();
        var pk = new byte[PublicKeySize];
        Span<byte> sk = stackalloc byte[64];
        fixed (byte* p = pk) fixed (byte* s = sk) fixed (byte* sd = seed)
            Sodium.crypto_sign_seed_keypair(p, s, sd);
        CryptographicOperations.ZeroMemory(sk);
        return pk;
    }

    /// <summary>
    /// Signs with a seed whose public key is already known (a <see cref="KeyPair"/>'s): libsodium's secret key is the
    /// seed followed by the public key, so nothing is derived again (half the work of <see cref="Sign(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>).
    /// The public key must be the seed's (a signature under a wrong one leaks the private scalar to whoever sees both),
    /// so only <see cref="KeyPair"/>, with its own copy of the key it derived, calls it.
    /// </summary>
    internal static unsafe byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        if (seed.Length != SeedSize || publicKey.Length != PublicKeySize) throw new ArgumentException("Ed25519 seed and public key must be 32 bytes each");
        Sodium.EnsureLoaded();
        var sig = new byte[SignatureSize];
        Span<byte> sk = stackalloc byte[64];
        seed.CopyTo(sk);
        publicKey.CopyTo(sk[32..]);
        fixed (byte* s = sk) fixed (byte* sg = sig) fixed (byte* m = message)
        {
            ulong len;
            Sodium.crypto_sign_detached(sg, &len, m, (ulong)message.Length, s);
        }
        CryptographicOperations.ZeroMemory(sk);
        return sig;
    }

    /// <summary>Signs a message with the key derived from a 32-byte seed.</summary>
    public static unsafe byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        if (seed.Length != SeedSize) throw new ArgumentException("Ed25519 seed must be 32 bytes", nameof(seed));
        Sodium.EnsureLoaded();
        var sig = new byte[SignatureSize];
        Span<byte> pk = stackalloc byte[32];
        Span<byte> sk = stackalloc byte[64];
        fixed (byte* p = pk) fixed (byte* s = sk) fixed (byte* sd = seed)
        fixed (byte* sg = sig) fixed (byte* m = message)
        {
            Sodium.crypto_sign_seed_keypair(p, s, sd);
            ulong len;
            Sodium.crypto_sign_detached(sg, &len, m, (ulong)message.Length, s);
        }
        CryptographicOperations.ZeroMemory(sk);
        return sig;
    }

    /// <summary>Verifies a detached signature; rejects non-canonical signatures and small-order keys.</summary>
    public static unsafe bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize) return false;
        Sodium.EnsureLoaded();
        fixed (byte* p = publicKey) fixed (byte* m = message) fixed (byte* s = signature)
            return Sodium.crypto_sign_verify_detached(s, m, (ulong)message.Length, p) == 0;
    }
}
