using Chainlab.Core.Rules;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Hosting;

/// <summary>The node's data folder: its lock, the copy of the chain spec and the node's identity key.</summary>
internal static class DataFolder
{
    /// <summary>Creates the folder if needed and takes its LOCK file, so that one node at a time uses it.</summary>
    public static FileStream Lock(string dataDir)
    {
        try { Directory.CreateDirectory(dataDir); }
        catch (Exception e) { throw new NodeStartException($"cannot create data folder {dataDir}: {e.Message}", e); }
        var path = Path.Combine(dataDir, "LOCK");
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (UnauthorizedAccessException) { throw new NodeStartException($"data folder {dataDir} is not writable"); }
        catch (IOException e) when (IsDiskFull(e)) { throw new NodeStartException($"disk full: cannot write in {dataDir}"); }
        catch (IOException e) when (IsReadOnly(e)) { throw new NodeStartException($"data folder {dataDir} is read-only"); }
        catch (IOException) { throw new NodeStartException($"data folder {dataDir} is in use by another node (LOCK is held)"); }
    }

    /// <summary>The node's identity key for peer links (not a funds key), kept in the data folder.</summary>
    public static KeyPair LoadOrCreateNodeKey(string dataDir)
    {
        var path = Path.Combine(dataDir, "node.key");
        if (File.Exists(path))
        {
            try { return new KeyPair(Convert.FromHexString(File.ReadAllText(path).Trim())); }
            catch (Exception e) when (e is FormatException or ArgumentException) { throw new NodeStartException($"{path} is not a 32-byte hex node key"); }
        }
        var key = KeyPair.Generate();
        // Created with mode 0600 from the start, never readable by others even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(path, options)) f.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key.Seed)));
        return key;
    }

    private static bool IsDiskFull(IOException e) => e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
    private static bool IsReadOnly(IOException e) => e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase);

    public static ChainSpec LoadOrSaveSpec(NodeOptions options)
    {
        var path = Path.Combine(options.DataDir, NodeCore.SpecFileName);
        if (File.Exists(path))
        {
            ChainSpec saved;
            try { saved = ChainSpec.FromJson(File.ReadAllText(path)); }
            catch (FormatException e) { throw new NodeStartException($"{path}: {e.Message}"); }
            if (options.Spec is { } given && given.GenesisBlock().Hash != saved.GenesisBlock().Hash)
                throw new NodeStartException($"the chain spec given differs from the one in {path}; use a new data folder or reset it");
            return saved;
        }
        var spec = options.Spec ?? throw new NodeStartException($"no chain spec: {path} does not exist and none was given (--spec)");
        spec.Validate();
        try { File.WriteAllText(path, spec.ToJson()); }
        catch (UnauthorizedAccessException) { throw new NodeStartException($"data folder {options.DataDir} is not writable"); }
        catch (IOException e) when (IsDiskFull(e)) { throw new NodeStartException($"disk full: cannot write {path}"); }
        catch (IOException e) { throw new NodeStartException($"cannot write {path}: {e.Message}"); }
        return spec;
    }
}
