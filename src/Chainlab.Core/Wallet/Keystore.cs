using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.Wallet;

/// <summary>
/// Password-encrypted key file (format in docs/keystore.md): the 32-byte Ed25519 seed is encrypted with
/// AES-256-GCM under a key from PBKDF2-HMAC-SHA256 (600,000 iterations or more, 16-byte salt).
/// The associated data binds the ciphertext to the version and address.
/// </summary>
public static class Keystore
{
    public const int DefaultIterations = 600_000;
    public const int MinIterations = 600_000;
    private const int MaxIterations = 50_000_000;

    public sealed record File(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("address")] string Address,
        [property: JsonPropertyName("publicKey")] string PublicKey,
        [property: JsonPropertyName("kdf")] KdfParams Kdf,
        [property: JsonPropertyName("cipher")] CipherParams Cipher,
        [property: JsonPropertyName("label")] string? Label);

    public sealed record KdfParams(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("iterations")] int Iterations,
        [property: JsonPropertyName("salt")] string Salt);

    public sealed record CipherParams(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("nonce")] string Nonce,
        [property: JsonPropertyName("ciphertext")] string Ciphertext,
        [property: JsonPropertyName("tag")] string Tag);

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static string Encrypt(KeyPair key, string password, string? label = null, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var aesKey = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        var ct = new byte[32];
        var tag = new byte[16];
        var address = key.Address.ToString();
        using (var gcm = new AesGcm(aesKey, 16))
            gcm.Encrypt(nonce, key.Seed, ct, tag, Aad(address));
        CryptographicOperations.ZeroMemory(aesKey);
        var file = new File(1, address, Convert.ToHexStringLower(key.PublicKey),
            new KdfParams("pbkdf2-hmac-sha256", iterations, Convert.ToHexStringLower(salt)),
            new CipherParams("aes-256-gcm", Convert.ToHexStringLower(nonce), Convert.ToHexStringLower(ct), Convert.ToHexStringLower(tag)),
            label);
        return JsonSerializer.Serialize(file, Options);
    }

    /// <summary>Reads only the public part (no password needed).</summary>
    public static File ReadPublic(string json)
    {
        File? f;
        try { f = JsonSerializer.Deserialize<File>(json, Options); }
        catch (JsonException e) { throw new KeystoreException($"not a chainlab key file: {e.Message}"); }
        if (f is null || f.Version != 1 || f.Kdf is null || f.Cipher is null)
            throw new KeystoreException("not a chainlab key file (version 1)");
        return f;
    }

    public static KeyPair Decrypt(string json, string password)
    {
        var f = ReadPublic(json);
        if (f.Kdf.Name != "pbkdf2-hmac-sha256" || f.Cipher.Name != "aes-256-gcm")
            throw new KeystoreException($"unsupported key file algorithms {f.Kdf.Name}/{f.Cipher.Name}");
        if (f.Kdf.Iterations < MinIterations || f.Kdf.Iterations > MaxIterations)
            throw new KeystoreException($"key file iteration count {f.Kdf.Iterations} is outside {MinIterations}..{MaxIterations}");
        byte[] salt, nonce, ct, tag;
        try
        {
            salt = Convert.FromHexString(f.Kdf.Salt);
            nonce = Convert.FromHexString(f.Cipher.Nonce);
            ct = Convert.FromHexString(f.Cipher.Ciphertext);
            tag = Convert.FromHexString(f.Cipher.Tag);
        }
        catch (FormatException) { throw new KeystoreException("key file has a field that is not hex"); }
        if (salt.Length < 16 || nonce.Length != 12 || ct.Length != 32 || tag.Length != 16)
            throw new KeystoreException("key file has fields of the wrong length");
        var aesKey = Rfc2898DeriveBytes.Pbkdf2(password, salt, f.Kdf.Iterations, HashAlgorithmName.SHA256, 32);
        var seed = new byte[32];
        try
        {
            using var gcm = new AesGcm(aesKey, 16);
            gcm.Decrypt(nonce, ct, tag, seed, Aad(f.Address));
        }
        catch (AuthenticationTagMismatchException) { throw new KeystoreException("wrong password (or the key file was altered)"); }
        finally { CryptographicOperations.ZeroMemory(aesKey); }
        var key = new KeyPair(seed);
        CryptographicOperations.ZeroMemory(seed);
        if (key.Address.ToString() != f.Address) throw new KeystoreException("key file address does not match its key");
        return key;
    }

    private static byte[] Aad(string address) => System.Text.Encoding.UTF8.GetBytes("chainlab-keystore-v1:" + address);
}

/// <summary>A key file cannot be read or decrypted.</summary>
public sealed class KeystoreException(string message) : Exception(message);
