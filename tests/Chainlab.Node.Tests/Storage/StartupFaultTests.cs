using Chainlab.Node.Hosting;
using System.Diagnostics;
using Chainlab.Cli.Processes;
using Microsoft.Data.Sqlite;

namespace Chainlab.Node.Tests.Storage;

/// <summary>
/// Each start-up fault gives one clear line and a non-zero exit, and the data stays intact.
/// Disk-full and read-only use a private mount namespace (unshare -m), which needs root, as in CI.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection("postgres")]
public sealed class StartupFaultTests(PostgresCluster pg) : IDisposable
{
    private readonly string _dir = TestNode.NewDir();
    private string Spec => Path.Combine(_dir, "spec.json");
    private string Data => Path.Combine(_dir, "data");

    private async Task WriteSpec()
    {
        var all = Build.Keys(3, seed: 41);
        await File.WriteAllTextAsync(Spec, TestNode.SpecFor(all[0], all[1..]).ToJson());
    }

    private static async Task<(int Code, string Err)> Shell(string script)
    {
        var psi = new ProcessStartInfo("unshare", ["-m", "sh", "-c", script]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await err);
    }

    private string NodeRun(string data) =>
        $"exec dotnet {NodeProcess.ChainlabDll} node run --data {data} --spec {Spec} --port 0 --log-level Warning";

    private static void AssertOneLine(string err, string expected, int code, int expectedCode = 1)
    {
        Assert.True(code == expectedCode, $"exit {code}: {err}");
        var lines = err.Trim().Split('\n');
        Assert.True(lines.Length == 1, "expected one line, got: " + err);
        Assert.Contains(expected, lines[0]);
    }

    /// <summary>Starts the node once so the folder holds a chain, then stops it with SIGTERM.</summary>
    private async Task<string> MakeChain()
    {
        await using var node = await NodeProcess.StartAsync(["node", "run", "--data", Data, "--spec", Spec, "--log-level", "Warning"], LoopbackPort.Free());
        var head = (await node.Status())["headHash"]!.GetValue<string>();
        Assert.Equal(0, await node.StopAsync());
        return head;
    }

    private async Task AssertStillStarts(string head)
    {
        await using var node = await NodeProcess.StartAsync(["node", "run", "--data", Data, "--spec", Spec, "--log-level", "Warning"], LoopbackPort.Free());
        Assert.Equal(head, (await node.Status())["headHash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Disk_full_at_start_is_one_clear_line()
    {
        Assert.True(Environment.UserName == "root", "this test needs root for a private tmpfs (CI runs as root)");
        await WriteSpec();
        var small = Path.Combine(_dir, "small");
        Directory.CreateDirectory(small);
        var (code, err) = await Shell($"mount -t tmpfs -o size=12k tmpfs {small} && {NodeRun(Path.Combine(small, "data"))}");
        AssertOneLine(err, "disk full", code);
    }

    [Fact]
    public async Task A_read_only_data_folder_is_one_clear_line_and_the_chain_is_untouched()
    {
        Assert.True(Environment.UserName == "root", "this test needs root for a read-only bind mount (CI runs as root)");
        await WriteSpec();
        var head = await MakeChain();
        var (code, err) = await Shell($"mount --bind {Data} {Data} && mount -o remount,ro,bind {Data} && {NodeRun(Data)}");
        AssertOneLine(err, "read-only", code);
        await AssertStillStarts(head);
    }

    [Fact]
    public async Task A_corrupted_database_file_is_one_clear_line()
    {
        await WriteSpec();
        await MakeChain();
        var db = Path.Combine(Data, Chainlab.Node.Storage.ChainStores.DatabaseFileName);
        await using (var f = new FileStream(db, FileMode.Open, FileAccess.Write)) f.Write(new byte[100].Select((_, i) => (byte)(i * 7)).ToArray());
        var (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Data, "--spec", Spec, "--port", "0");
        AssertOneLine(err, "corrupted", code);
    }

    [Fact]
    public async Task A_newer_schema_version_is_one_clear_line_and_the_data_is_left_alone()
    {
        await WriteSpec();
        var head = await MakeChain();
        var db = Path.Combine(Data, Chainlab.Node.Storage.ChainStores.DatabaseFileName);
        var current = new Chainlab.Node.Storage.Sqlite.SqliteChainStore(Path.Combine(Path.GetTempPath(), $"schema-probe-{Guid.NewGuid():n}.db")) is var probe ? probe.SchemaVersion : 0;
        probe.Dispose();
        SetSchemaVersion(db, current + 1);
        var (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Data, "--spec", Spec, "--port", "0");
        AssertOneLine(err, "newer than this binary", code);
        SetSchemaVersion(db, current);
        await AssertStillStarts(head);
    }

    private static void SetSchemaVersion(string db, int version)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE meta SET value=$v WHERE key='schema_version'";
        cmd.Parameters.AddWithValue("$v", BitConverter.GetBytes(version));
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_folder_in_use_by_another_node_is_one_clear_line()
    {
        await WriteSpec();
        await using var first = await NodeProcess.StartAsync(["node", "run", "--data", Data, "--spec", Spec, "--log-level", "Warning"], LoopbackPort.Free());
        var (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Data, "--spec", Spec, "--port", "0");
        AssertOneLine(err, "in use by another node", code);
        Assert.Equal("test-chain", (await first.Status())["chainId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Postgres_unreachable_or_refusing_credentials_is_one_clear_line()
    {
        await WriteSpec();
        var down = $"Host=127.0.0.1;Port={LoopbackPort.Free()};Username=u;Password=p;Database=postgres;Timeout=3";
        var (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Data, "--spec", Spec, "--port", "0", "--db", down);
        AssertOneLine(err, "unreachable", code);
        (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Data, "--spec", Spec, "--port", "0", "--db", pg.ConnectionString("faults", password: "nope"));
        AssertOneLine(err, "refused the credentials", code);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDir.Delete(_dir);
    }
}
