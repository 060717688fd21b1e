using Chainlab.Core.Crypto;

namespace Chainlab.Core.Tests.Crypto;

public sealed class Ed25519Tests
{
    // RFC 8032 section 7.1, tests 1-3 and the 1023-byte test's key pair.
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    [InlineData("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")]
    public void Rfc8032_vectors_sign_and_verify(string seed, string pub, string msg, string sig)
    {
        var s = Convert.FromHexString(seed);
        var m = Convert.FromHexString(msg);
        Assert.Equal(pub, Convert.ToHexStringLower(Ed25519.PublicKeyFromSeed(s)));
        Assert.Equal(sig, Convert.ToHexStringLower(Ed25519.Sign(s, m)));
        // A key pair signs with the public key it already holds: the same signature, nothing derived again.
        Assert.Equal(sig, Convert.ToHexStringLower(new KeyPair(s).Sign(m)));
        Assert.True(Ed25519.Verify(Convert.FromHexString(pub), m, Convert.FromHexString(sig)));
    }

    [Fact]
    public void Verify_rejects_a_flipped_bit_in_message_signature_or_key()
    {
        var key = new KeyPair(new byte[32]);
        var msg = "hello"u8.ToArray();
        var sig = key.Sign(msg);
        Assert.True(Ed25519.Verify(key.PublicKey, msg, sig));
        for (var i = 0; i < 64; i += 7)
        {
            var bad = (byte[])sig.Clone(); bad[i] ^= 1;
            Assert.False(Ed25519.Verify(key.PublicKey, msg, bad));
        }
        var badMsg = (byte[])msg.Clone(); badMsg[0] ^= 1;
        Assert.False(Ed25519.Verify(key.PublicKey, badMsg, sig));
        var badKey = (byte[])key.PublicKey.Clone(); badKey[3] ^= 1;
        Assert.False(Ed25519.Verify(badKey, msg, sig));
        Assert.False(Ed25519.Verify(key.PublicKey, msg, sig.AsSpan(0, 63)));
    }

    [Fact]
    public void Address_text_round_trips_and_catches_typos()
    {
        foreach (var key in Build.Keys(50))
        {
            var text = key.Address.ToString();
            Assert.StartsWith("cl", text);
            Assert.Equal(key.Address, Address.Parse(text));
            // Change one character: the checksum must catch it.
            var i = 2 + text.Length / 2;
            var typo = text[..i] + (text[i] == 'a' ? 'b' : 'a') + text[(i + 1)..];
            Assert.False(Address.TryParse(typo, out _, out var err));
            Assert.Matches("checksum|length|base58", err);
        }
        Assert.False(Address.TryParse("0x1234", out _, out _));
        Assert.False(Address.TryParse("cl0OIl0OIl0OIl0OIl0OIl0OIl", out _, out var e2));
        Assert.Contains("base58", e2);
    }
}
