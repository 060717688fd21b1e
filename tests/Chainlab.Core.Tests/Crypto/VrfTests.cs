using Chainlab.Core.Crypto;

namespace Chainlab.Core.Tests.Crypto;

public sealed class VrfTests
{
    // RFC 9381 appendix B.3, ECVRF-EDWARDS25519-SHA512-TAI examples 16-18 (keys are RFC 8032's tests 1-3).
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
        "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
        "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
        "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
        "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031")]
    [InlineData("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "af82",
        "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
        "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f")]
    public void Rfc9381_vectors_prove_and_verify(string sk, string alpha, string pi, string beta)
    {
        var seed = Convert.FromHexString(sk);
        var a = Convert.FromHexString(alpha);
        var proof = Vrf.Prove(seed, a);
        Assert.Equal(pi, Convert.ToHexStringLower(proof));
        var output = Vrf.Verify(Ed25519.PublicKeyFromSeed(seed), proof, a);
        Assert.NotNull(output);
        Assert.Equal(beta, Convert.ToHexStringLower(output));
        Assert.Equal(beta, Convert.ToHexStringLower(Vrf.ProofToHash(proof)!));
    }

    [Fact]
    public void A_proof_is_rejected_for_another_input_key_or_any_flipped_bit()
    {
        var rng = new Random(9381);
        var key = KeyPair.FromRandom(rng);
        var other = KeyPair.FromRandom(rng);
        var alpha = "epoch 7 slot 41"u8.ToArray();
        var proof = Vrf.Prove(key.Seed, alpha);
        Assert.NotNull(Vrf.Verify(key.PublicKey, proof, alpha));
        Assert.Null(Vrf.Verify(key.PublicKey, proof, "epoch 7 slot 42"u8.ToArray()));
        Assert.Null(Vrf.Verify(other.PublicKey, proof, alpha));
        for (var bit = 0; bit < Vrf.ProofSize * 8; bit++)
        {
            var bad = (byte[])proof.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Null(Vrf.Verify(key.PublicKey, bad, alpha));
        }
    }

    [Fact]
    public void Malformed_proofs_and_keys_are_rejected_without_throwing()
    {
        var key = KeyPair.FromRandom(new Random(1));
        var alpha = new byte[] { 1, 2, 3 };
        var proof = Vrf.Prove(key.Seed, alpha);
        Assert.Null(Vrf.Verify(key.PublicKey, proof[..79], alpha));
        Assert.Null(Vrf.Verify(key.PublicKey, [.. proof, 0], alpha));
        Assert.Null(Vrf.Verify(key.PublicKey[..31], proof, alpha));

        // s not below the group order
        var bigS = (byte[])proof.Clone();
        for (var i = 48; i < 80; i++) bigS[i] = 0xff;
        Assert.Null(Vrf.Verify(key.PublicKey, bigS, alpha));

        // Gamma replaced by: a non-canonical y (>= p), the identity (small order), a point of order 8,
        // and a y with no x on the curve (y = 2 is not on edwards25519).
        var notCanonical = Enumerable.Repeat((byte)0xff, 32).ToArray(); notCanonical[31] = 0x7f;
        var identity = new byte[32]; identity[0] = 1;
        var order8 = Convert.FromHexString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
        var offCurve = new byte[32]; offCurve[0] = 2;
        foreach (var g in new[] { notCanonical, identity, order8, offCurve })
        {
            var bad = (byte[])proof.Clone();
            g.CopyTo(bad, 0);
            Assert.Null(Vrf.Verify(key.PublicKey, bad, alpha));
            Assert.Null(Vrf.Verify(g, proof, alpha)); // the same points as public keys
        }
    }

    [Fact]
    public void Outputs_look_uniform_over_seeded_inputs()
    {
        // The lottery uses the first 8 bytes of beta as a fraction of 2^64: over 2,000 inputs the mean
        // should sit near one half (standard error of the mean ~0.0065; we allow 5 of them).
        var key = KeyPair.FromRandom(new Random(5));
        double sum = 0;
        const int n = 2000;
        for (var i = 0; i < n; i++)
        {
            var beta = Vrf.ProofToHash(Vrf.Prove(key.Seed, BitConverter.GetBytes(i)))!;
            sum += System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(beta) / (double)ulong.MaxValue;
        }
        Assert.InRange(sum / n, 0.5 - 0.033, 0.5 + 0.033);
    }
}
