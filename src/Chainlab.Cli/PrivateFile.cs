namespace Chainlab.Cli;

/// <summary>Files only their owner may read (keys, passwords), created that way: never world-readable, even for a moment.</summary>
public static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates a new file with mode 0600 from the start; fails if it exists.</summary>
    public static void CreateNew(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using var f = new FileStream(path, options);
        using var w = new StreamWriter(f);
        w.Write(text);
    }
}
