using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>An Ed25519 signing key (seed) with its public key and address.</summary>
public sealed class KeyPair
{
    private readonly byte[] _seed;
    private readonly byte[] _publicKey; // our own copy: PublicKey is handed out and could be changed by a caller

    public KeyPair(ReadOnlySpan<byte> seed)
    {
        _seed = seed.ToArray();
        _publicKey = Ed25519.PublicKeyFromSeed(_seed);
        PublicKey = (byte[])_publicKey.Clone();
        Address = Address.FromPublicKey(PublicKey);
    }

    public byte[] PublicKey { get; }
    public Address Address { get; }
    public ReadOnlySpan<byte> Seed => _seed;

    public static KeyPair Generate() => new(RandomNumberGenerator.GetBytes(Ed25519.SeedSize));

    /// <summary>Deterministic key from a random source, for tests and dev accounts.</summary>
    public static KeyPair FromRandom(Random random)
    {
        var seed = new byte[Ed25519.SeedSize];
        random.NextBytes(seed);
        return new KeyPair(seed);
    }

    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Sign(_seed, _publicKey, message);
}
