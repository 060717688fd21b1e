using System.Diagnostics;
using Chainlab.Cli.Processes;
using Chainlab.Node.Storage.Postgres;

namespace Chainlab.Cli.Devnets;

/// <summary>
/// Controls a devnet from another terminal: find it by its PID file, stop it, copy its data to a
/// snapshot and back, and start it again in the background.
/// </summary>
public static class DevnetControl
{
    public static string PidFile(string root) => Path.Combine(root, "devnet.pid");
    public static string SnapshotDir(string root, string name) => Path.Combine(root, "snapshots", name);

    /// <summary>The PID of the running devnet, or null.</summary>
    public static int? RunningPid(string root)
    {
        if (!File.Exists(PidFile(root)) || !int.TryParse(File.ReadAllText(PidFile(root)).Trim(), out var pid)) return null;
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited ? null : pid;
        }
        catch (ArgumentException) { return null; }
    }

    /// <summary>Stops a running devnet with SIGTERM and waits for it; true when one was running.</summary>
    public static async Task<bool> StopAsync(string root, CancellationToken ct)
    {
        if (RunningPid(root) is not { } pid) return false;
        using var p = Process.GetProcessById(pid);
        Chainlab.Cli.Processes.Signals.Send(pid, Chainlab.Cli.Processes.Signals.Term);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { throw new CliException($"devnet (pid {pid}) did not stop within 30 s", ExitCodes.Timeout); }
        return true;
    }

    /// <summary>Starts `devnet up` for this folder as a background process logging to devnet.log.</summary>
    public static async Task<int> StartInBackgroundAsync(string root, CancellationToken ct)
    {
        var s = DevnetSettings.Load(root);
        var psi = ChainlabProcess.Self(["devnet", "up", "--dir", root, "--port", s.ApiPort.ToString(), "--p2p-port", s.P2PPort.ToString()]);
        psi.RedirectStandardOutput = false;
        var log = Path.Combine(root, "devnet.log");
        // Detach through the shell so the devnet outlives this command and writes to its log.
        var sh = new ProcessStartInfo("sh") { UseShellExecute = false };
        sh.ArgumentList.Add("-c");
        sh.ArgumentList.Add("nohup \"$0\" \"$@\" >> " + Quote(log) + " 2>&1 &");
        sh.ArgumentList.Add(psi.FileName);
        foreach (var a in psi.ArgumentList) sh.ArgumentList.Add(a);
        Process.Start(sh)!.WaitForExit();
        // The pid file appears once every node answers: four .NET processes starting at once on two busy cores
        // have taken more than 10 s, so wait up to a minute.
        for (var i = 0; i < 1200; i++)
        {
            if (RunningPid(root) is { } pid) return pid;
            await Task.Delay(50, ct);
        }
        throw new CliException($"the devnet did not come back up; see {log}");
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public static void Save(string root, string name)
    {
        var snap = SnapshotDir(root, name);
        if (Directory.Exists(snap)) Directory.Delete(snap, true);
        var settings = DevnetSettings.Load(root);
        for (var i = 1; i <= settings.Nodes; i++)
        {
            CopyDir(DevnetSupervisor.NodeDir(root, i), Path.Combine(snap, $"node{i}"));
            if (settings.Postgres is { } pg)
                PostgresChainStore.CopySchema(PostgresChainStore.ForSchema(pg, settings.NodeSchema(i)), settings.SnapshotSchema(name, i));
        }
    }

    public static void Restore(string root, string name)
    {
        var snap = SnapshotDir(root, name);
        if (!Directory.Exists(snap)) throw new CliException($"no snapshot '{name}' in {Path.Combine(root, "snapshots")}", ExitCodes.NotFound);
        var settings = DevnetSettings.Load(root);
        for (var i = 1; i <= settings.Nodes; i++)
        {
            var node = DevnetSupervisor.NodeDir(root, i);
            if (Directory.Exists(node)) Directory.Delete(node, true);
            CopyDir(Path.Combine(snap, $"node{i}"), node);
            if (settings.Postgres is { } pg)
                PostgresChainStore.CopySchema(PostgresChainStore.ForSchema(pg, settings.SnapshotSchema(name, i)), settings.NodeSchema(i));
        }
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            var n = Path.GetFileName(f);
            if (n is "LOCK" || n.EndsWith(".lock")) continue;
            File.Copy(f, Path.Combine(to, n), overwrite: true);
        }
        foreach (var d in Directory.GetDirectories(from)) CopyDir(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
