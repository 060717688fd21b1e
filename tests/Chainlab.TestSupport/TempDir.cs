namespace Chainlab.TestSupport;

/// <summary>
/// A scratch folder of a test, under the system's temporary folder, deleted when disposed. <see cref="Delete"/>
/// is the one way tests remove folders: it retries a moment when a process that just stopped still holds a
/// file, and a folder that cannot go is reported on stderr and left for the system's temp cleaner (a test's
/// result never depends on its clean-up).
/// </summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "chainlab") => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string this[string name] => System.IO.Path.Combine(Path, name);

    public static implicit operator string(TempDir dir) => dir.Path;

    public override string ToString() => Path;

    public void Dispose() => Delete(Path);

    /// <summary>Deletes a folder and everything in it, if it exists.</summary>
    public static void Delete(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt < 5) { Thread.Sleep(100 * attempt); continue; }
                Console.Error.WriteLine($"could not delete the test folder {path}: {e.Message}");
                return;
            }
        }
    }
}
