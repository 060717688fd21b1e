using System.Diagnostics;

namespace Chainlab.Cli.Processes;

/// <summary>A `chainlab node run` process started for a benchmark, with its API client and captured output.</summary>
public sealed class LaunchedNode(Process proc, HttpClient http, int apiPort, int p2pPort, System.Text.StringBuilder log) : IAsyncDisposable
{
    public Process Process { get; } = proc;
    public HttpClient Http { get; } = http;
    public int ApiPort { get; } = apiPort;
    /// <summary>Peer port, or 0 when the node was started without peers.</summary>
    public int P2PPort { get; } = p2pPort;
    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>SIGKILL: no chance to flush or clean up.</summary>
    public void Kill()
    {
        if (!Process.HasExited) Signals.Send(Process.Id, Signals.Kill);
        Process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!Process.HasExited) { Process.Kill(true); await Process.WaitForExitAsync(); }
        Process.Dispose();
    }
}

/// <summary>Starts node processes on free loopback ports and waits until their API answers.</summary>
public static class NodeLauncher
{
    public static async Task<LaunchedNode> StartAsync(Func<IReadOnlyList<string>, ProcessStartInfo> launch, IReadOnlyList<string> args,
        bool withPeers, CancellationToken ct)
    {
        var api = LoopbackPort.Free();
        var p2p = withPeers ? LoopbackPort.Free() : 0;
        List<string> all = [.. args, "--port", api.ToString(), "--log-level", Environment.GetEnvironmentVariable("CHAINLAB_BENCH_LOG") ?? "Warning"];
        if (withPeers) all.AddRange(["--p2p-port", p2p.ToString()]);
        var psi = launch(all);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        var proc = Process.Start(psi) ?? throw new InvalidOperationException("could not start the node");
        var log = new System.Text.StringBuilder();
        proc.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        proc.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        var node = new LaunchedNode(proc, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}"), Timeout = TimeSpan.FromSeconds(30) }, api, p2p, log);
        try { await NodeApi.WaitForStatusAsync(node.Http, proc, TimeSpan.FromSeconds(60), () => node.Log, ct); }
        catch { await node.DisposeAsync(); throw; }
        return node;
    }
}
