using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;

namespace Chainlab.Core.Tests.Wallet;

public sealed class KeystoreTests
{
    [Fact]
    public void Encrypted_key_round_trips_and_a_wrong_password_is_a_clear_error()
    {
        var key = KeyPair.Generate();
        var json = Keystore.Encrypt(key, "correct horse", "alice");
        Assert.DoesNotContain(Convert.ToHexStringLower(key.Seed), json);
        var pub = Keystore.ReadPublic(json);
        Assert.Equal(key.Address.ToString(), pub.Address);
        Assert.Equal(600_000, pub.Kdf.Iterations);
        Assert.Equal(key.PublicKey, Keystore.Decrypt(json, "correct horse").PublicKey);
        var e = Assert.Throws<KeystoreException>(() => Keystore.Decrypt(json, "wrong"));
        Assert.Contains("wrong password", e.Message);
    }

    [Fact]
    public void Altered_or_weakened_files_are_refused()
    {
        var key = KeyPair.Generate();
        var json = Keystore.Encrypt(key, "pw");
        var weak = json.Replace("\"iterations\": 600000", "\"iterations\": 1000");
        Assert.Contains("iteration", Assert.Throws<KeystoreException>(() => Keystore.Decrypt(weak, "pw")).Message);
        var other = KeyPair.Generate().Address.ToString();
        var swapped = json.Replace(key.Address.ToString(), other);
        Assert.Throws<KeystoreException>(() => Keystore.Decrypt(swapped, "pw"));
        Assert.Throws<KeystoreException>(() => Keystore.ReadPublic("{\"nope\":1}"));
        Assert.Throws<KeystoreException>(() => Keystore.ReadPublic("not json"));
    }
}
