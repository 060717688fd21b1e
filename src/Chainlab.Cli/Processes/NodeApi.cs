using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Chainlab.Cli.Processes;

/// <summary>Waiting for a node process's API, shared by the benchmarks and the process tests.</summary>
public static class NodeApi
{
    /// <summary>
    /// Polls /api/v1/status until it answers and returns it. Fails early when the process exits
    /// (with its output, if a log is given) or after the timeout.
    /// </summary>
    public static async Task<JsonObject> WaitForStatusAsync(HttpClient http, Process? proc, TimeSpan timeout,
        Func<string>? log = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (proc is { HasExited: true })
                throw new InvalidOperationException($"node exited with code {proc.ExitCode} before its API answered: {log?.Invoke().Trim()}");
            if (sw.Elapsed > timeout) throw new TimeoutException($"node API did not answer within {timeout.TotalSeconds:0} s: {log?.Invoke().Trim()}");
            try { return (await http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!; }
            catch (Exception e) when (e is HttpRequestException or SocketException) { await Task.Delay(20, ct); }
        }
    }
}
