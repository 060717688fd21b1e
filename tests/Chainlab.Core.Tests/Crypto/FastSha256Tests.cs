using System.Security.Cryptography;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.Tests.Crypto;

public sealed class FastSha256Tests
{
    [Fact]
    public void Matches_the_framework_sha256_for_every_length_up_to_300_bytes()
    {
        var rng = new Random(256);
        Span<byte> ours = stackalloc byte[32];
        for (var n = 0; n <= 300; n++)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            FastSha256.Hash(data, ours);
            Assert.Equal(SHA256.HashData(data), ours.ToArray());
        }
        // FIPS 180-2 "abc" vector.
        FastSha256.Hash("abc"u8, ours);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(ours));
    }

    [Fact]
    public void Runs_on_openssl_on_this_machine()
    {
        // The fallback is correct but ~7x slower; on Linux with .NET, libcrypto.so.3 is always present.
        if (OperatingSystem.IsLinux()) Assert.True(FastSha256.UsesOpenSsl);
    }
}
