using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.TestSupport;

/// <summary>A real `chainlab node run` process on a loopback port, for crash and restart stories.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _proc;
    public readonly System.Text.StringBuilder Log = new();

    private NodeProcess(System.Diagnostics.Process proc, int port)
    {
        _proc = proc;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }
    public HttpClient Http { get; }
    public int Pid => _proc.Id;

    public static string ChainlabDll => Path.Combine(AppContext.BaseDirectory, "chainlab.dll");

    public static async Task<NodeProcess> StartAsync(IEnumerable<string> args, int port)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(ChainlabDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add(port.ToString());
        var proc = System.Diagnostics.Process.Start(psi)!;
        var np = new NodeProcess(proc, port);
        proc.OutputDataReceived += (_, e) => { lock (np.Log) np.Log.AppendLine(e.Data); };
        proc.ErrorDataReceived += (_, e) => { lock (np.Log) np.Log.AppendLine(e.Data); };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        await Chainlab.Cli.Processes.NodeApi.WaitForStatusAsync(np.Http, proc, TimeSpan.FromSeconds(60), () => { lock (np.Log) return np.Log.ToString(); });
        return np;
    }

    public async Task<JsonObject> Status() => (await Http.GetFromJsonAsync<JsonObject>("/api/v1/status"))!;

    public async Task KillAsync()
    {
        // SIGKILL: no chance to flush or clean up.
        System.Diagnostics.Process.Start("kill", ["-9", _proc.Id.ToString()])!.WaitForExit();
        await _proc.WaitForExitAsync();
    }

    public async Task<int> StopAsync()
    {
        System.Diagnostics.Process.Start("kill", ["-TERM", _proc.Id.ToString()])!.WaitForExit();
        await _proc.WaitForExitAsync();
        return _proc.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_proc.HasExited) { _proc.Kill(true); await _proc.WaitForExitAsync(); }
        _proc.Dispose();
    }
}
