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
        Func<string>? log = null, CancellationToken ct = default, string? genesisHash = null)
    {
        var sw = Stopwatch.StartNew();
        string? stranger = null;
        while (true)
        {
            if (proc is { HasExited: true })
                throw new InvalidOperationException($"node exited with code {proc.ExitCode} before its API answered{(stranger is null ? "" : $" (another node, of genesis {Short(stranger)}, answers on its port)")}: {log?.Invoke().Trim()}");
            if (sw.Elapsed > timeout)
                throw new TimeoutException(stranger is null ? $"node API did not answer within {timeout.TotalSeconds:0} s: {log?.Invoke().Trim()}"
                    : $"another node (of genesis {Short(stranger)}) answers on the node's API port: {log?.Invoke().Trim()}");
            try
            {
                var status = (await http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!;
                // With the genesis known, only the node of that chain counts: after a restart another process may
                // hold the port (a devnet of the same chain id would even take its transactions).
                var theirs = status["genesisHash"] is JsonValue v && v.TryGetValue<string>(out var g) ? g : null;
                if (genesisHash is null || string.Equals(theirs, genesisHash, StringComparison.OrdinalIgnoreCase)) return status;
                stranger = theirs ?? "(none)";
                await Task.Delay(100, ct);
            }
            catch (Exception e) when (e is HttpRequestException or SocketException) { await Task.Delay(20, ct); }
        }
    }

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] : hash;
}
