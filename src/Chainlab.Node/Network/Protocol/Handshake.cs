using System.Security.Cryptography;
using Chainlab.Core.Crypto;

namespace Chainlab.Node.Network.Protocol;

/// <summary>
/// The handshake rules: both sides send Hello with a fresh 32-byte challenge; each answers with a
/// signature by its node key over the domain tag, the other side's challenge, its own node key and the
/// genesis hash. A link is kept only when version, chain id and genesis match and the signature holds.
/// </summary>
public static class Handshake
{
    private static readonly byte[] Domain = "chainlab/p2p/handshake/v1"u8.ToArray();

    public static Hello CreateHello(KeyPair nodeKey, string chainId, Hash genesis, ushort listenPort, ulong bestHeight) =>
        new(WireLimits.ProtocolVersion, chainId, genesis, nodeKey.PublicKey, RandomNumberGenerator.GetBytes(32), listenPort, bestHeight);

    /// <summary>Checks the peer's Hello against our chain; null when acceptable, else the reason.</summary>
    public static (DisconnectReason Reason, string Detail)? CheckHello(Hello theirs, string chainId, Hash genesis, ReadOnlySpan<byte> ourNodeKey)
    {
        if (theirs.Version != WireLimits.ProtocolVersion)
            return (DisconnectReason.BadHandshake, $"protocol version {theirs.Version}, expected {WireLimits.ProtocolVersion}");
        if (theirs.ChainId != chainId) return (DisconnectReason.WrongChain, $"chain '{theirs.ChainId}', expected '{chainId}'");
        if (theirs.Genesis != genesis) return (DisconnectReason.WrongChain, $"genesis {theirs.Genesis.Short}, expected {genesis.Short}");
        if (theirs.NodeKey.AsSpan().SequenceEqual(ourNodeKey)) return (DisconnectReason.BadHandshake, "peer presents our own node key");
        return null;
    }

    /// <summary>Our answer to the peer's challenge.</summary>
    public static HelloAck Answer(KeyPair nodeKey, Hello theirs, Hash genesis) =>
        new(nodeKey.Sign(SignedBytes(theirs.Challenge, nodeKey.PublicKey, genesis)));

    /// <summary>Does the peer's answer prove it holds the key it presented in its Hello?</summary>
    public static bool VerifyAnswer(Hello ours, Hello theirs, HelloAck answer, Hash genesis) =>
        Ed25519.Verify(theirs.NodeKey, SignedBytes(ours.Challenge, theirs.NodeKey, genesis), answer.Signature);

    private static byte[] SignedBytes(byte[] challenge, byte[] signerKey, Hash genesis)
    {
        var m = new byte[Domain.Length + 32 + 32 + 32];
        Domain.CopyTo(m, 0);
        challenge.CopyTo(m, Domain.Length);
        signerKey.CopyTo(m, Domain.Length + 32);
        genesis.WriteTo(m.AsSpan(Domain.Length + 64));
        return m;
    }
}
