namespace Chainlab.TestSupport;

/// <summary>Files of the repository the tests run from (scenarios, docs, the Dockerfile).</summary>
public static class RepoFiles
{
    /// <summary>The folder holding Chainlab.sln, found upwards from the test binaries.</summary>
    public static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(System.IO.Path.Combine(d.FullName, "Chainlab.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("Chainlab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
