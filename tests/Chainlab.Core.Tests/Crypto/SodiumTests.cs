using Chainlab.Core.Crypto;

namespace Chainlab.Core.Tests.Crypto;

public sealed class SodiumTests
{
    [Fact]
    public void The_libsodium_in_use_is_the_one_shipped_beside_the_application_not_the_system_one()
    {
        var key = KeyPair.FromRandom(new Random(1));
        Assert.True(Ed25519.Verify(key.PublicKey, "m"u8, key.Sign("m"u8.ToArray())));
        var maps = File.ReadAllLines("/proc/self/maps").Where(l => l.Contains("libsodium")).Select(l => l[(l.IndexOf('/'))..]).Distinct().ToList();
        var shipped = Path.Combine(AppContext.BaseDirectory, "runtimes");
        Assert.Contains(maps, m => m.StartsWith(shipped, StringComparison.Ordinal));
        Assert.DoesNotContain(maps, m => m.StartsWith("/usr/lib", StringComparison.Ordinal) || m.StartsWith("/lib", StringComparison.Ordinal));
    }
}
