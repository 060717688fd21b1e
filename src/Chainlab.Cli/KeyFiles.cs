using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli;

/// <summary>The local keystore folder and reading key files with clear errors.</summary>
public static class KeyFiles
{
    public static string DefaultKeystore =>
        Environment.GetEnvironmentVariable("CHAINLAB_KEYSTORE")
        ?? Path.Combine(Environment.GetEnvironmentVariable("CHAINLAB_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".chainlab"), "keys");

    public static string ReadText(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new CliException($"key file {path} does not exist", ExitCodes.BadInput);
            if (info.Length > 64 * 1024) throw new CliException($"{path} is too large to be a key file", ExitCodes.BadInput);
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
    }

    public static Keystore.File ReadPublic(string path)
    {
        try { return Keystore.ReadPublic(ReadText(path)); }
        catch (KeystoreException e) { throw new CliException($"{path}: {e.Message}", ExitCodes.BadInput); }
    }

    public static KeyPair Unlock(string path, string? passwordFile)
    {
        var text = ReadText(path);
        try { Keystore.ReadPublic(text); }
        catch (KeystoreException e) { throw new CliException($"{path}: {e.Message}", ExitCodes.BadInput); }
        var pw = Passwords.Get(passwordFile, $"unlock {Path.GetFileName(path)}");
        try { return Keystore.Decrypt(text, pw); }
        catch (KeystoreException e) { throw new CliException($"{path}: {e.Message}", ExitCodes.BadInput); }
    }

    /// <summary>A key file path, or an address whose file is in the keystore folder.</summary>
    public static string Resolve(string fileOrAddress, string? keystore)
    {
        if (File.Exists(fileOrAddress)) return fileOrAddress;
        if (Address.TryParse(fileOrAddress, out var a, out _))
        {
            var p = Path.Combine(keystore ?? DefaultKeystore, a + ".json");
            if (File.Exists(p)) return p;
            throw new CliException($"no key file for {a} in {keystore ?? DefaultKeystore}", ExitCodes.BadInput);
        }
        throw new CliException($"'{fileOrAddress}' is neither a key file nor an address in the keystore", ExitCodes.BadInput);
    }

    public static void WriteNew(string path, string json)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            PrivateFile.CreateNew(path, json);
        }
        catch (IOException) when (File.Exists(path)) { throw new CliException($"{path} already exists", ExitCodes.BadInput); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CliException($"cannot write {path}: {e.Message}", ExitCodes.Failure); }
    }
}
