using System.Diagnostics;
using Chainlab.Cli.Processes;

namespace Chainlab.TestSupport;

/// <summary>
/// A throwaway PostgreSQL 15 cluster in a temporary folder on a free loopback port, with password
/// authentication. Run as the postgres user when the tests run as root (the server refuses root).
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    public const string BinDir = "/usr/lib/postgresql/15/bin";
    public const string User = "chainlab";
    public const string Password = "chainlab-test-pw";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "chainlab-pg-" + Guid.NewGuid().ToString("n")[..10]);
    private int _schemas;

    public int Port { get; private set; }
    private string DataDir => Path.Combine(_dir, "data");

    public string ConnectionString(string? schema = null, string? password = null) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={password ?? Password};Database=postgres;Timeout=5;Pooling=true"
        + (schema is null ? "" : $";Search Path={schema}");

    /// <summary>A connection string for a schema no test has used yet.</summary>
    public string FreshSchema() => ConnectionString($"t{Interlocked.Increment(ref _schemas)}_{Guid.NewGuid():n}"[..20]);

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException($"PostgreSQL server binaries are missing ({BinDir}/initdb): apt-get install -y postgresql-15");
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(Path.Combine(_dir, "pw"), Password);
        if (IsRoot) await Run("chown", "-R", "postgres:postgres", _dir);
        await RunPg("initdb", "-D", DataDir, "-U", User, "--auth=scram-sha-256", "--pwfile=" + Path.Combine(_dir, "pw"), "--no-sync");
        Port = LoopbackPort.Free();
        await RunPg("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");
    }

    public async Task DisposeAsync()
    {
        try { await RunPg("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop"); }
        catch (InvalidOperationException) { }
        TempDir.Delete(_dir);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPg(string tool, params string[] args) =>
        IsRoot ? Run("runuser", ["-u", "postgres", "--", Path.Combine(BinDir, tool), .. args]) : Run(Path.Combine(BinDir, tool), args);

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {await err} {output}");
    }
}

