using System.Diagnostics;
using Chainlab.Cli.Processes;

namespace Chainlab.TestSupport;

/// <summary>
/// A `chainlab devnet up` supervisor on free loopback ports with its output collected. Disposing kills it and
/// its node processes if they still run.
/// </summary>
public sealed class DevnetProcess : IDisposable
{
    private readonly Process _proc;
    private readonly System.Text.StringBuilder _output = new();

    private DevnetProcess(Process proc, string root, int port, int p2pPort)
    {
        _proc = proc; Root = root; Port = port; P2pPort = p2pPort;
    }

    public string Root { get; }
    /// <summary>Node 1's API port; node i listens on Port + i - 1.</summary>
    public int Port { get; }
    public int P2pPort { get; }
    public Process Process => _proc;
    public string Output { get { lock (_output) return _output.ToString(); } }
    public string Url(int node = 1) => $"http://127.0.0.1:{Port + node - 1}";
    public string KeyFile(string name) => Path.Combine(Root, "keys", name + ".json");

    /// <summary>Starts a new devnet of <paramref name="nodes"/> nodes in a fresh folder; extra arguments go to `devnet up`.</summary>
    public static DevnetProcess Start(int nodes, string blockTime, params string[] extra)
    {
        var root = Path.Combine(TestNode.NewDir(), "devnet");
        var port = LoopbackPort.FreeRange(nodes);
        var p2p = LoopbackPort.FreeRange(nodes);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { NodeProcess.ChainlabDll, "devnet", "up", "--dir", root, "--nodes", nodes.ToString(), "--port", port.ToString(),
                     "--p2p-port", p2p.ToString(), "--block-time", blockTime }.Concat(extra))
            psi.ArgumentList.Add(a);
        var proc = Process.Start(psi)!;
        var d = new DevnetProcess(proc, root, port, p2p);
        proc.OutputDataReceived += (_, e) => { lock (d._output) d._output.AppendLine(e.Data); };
        // Errors too, so that a devnet that fails to start says why in the test's message.
        proc.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (d._output) d._output.AppendLine("stderr: " + e.Data); };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        return d;
    }

    /// <summary>Waits until the output contains a text ("Ctrl+C" once the summary is out, "heights" once blocks come).</summary>
    public Task WaitForAsync(string text, int seconds = 60) => Eventually.True(() => Output.Contains(text), $"devnet output containing '{text}':\n{Output}", seconds);

    /// <summary>The address of a dev account ("dev2") from the summary.</summary>
    public string DevAddress(string name) =>
        Output.Split('\n').First(l => l.TrimStart().StartsWith(name + " ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

    public void Dispose()
    {
        try { if (!_proc.HasExited) _proc.Kill(true); } catch (InvalidOperationException) { }
        _proc.Dispose();
    }
}
