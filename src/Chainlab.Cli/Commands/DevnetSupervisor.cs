using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Node.Storage.Postgres;
using Spectre.Console;

namespace Chainlab.Cli.Commands;

/// <summary>
/// Runs a devnet as real node processes: node 1 holds the authority key, the others join it over
/// loopback peer links. Children log to the devnet's logs/ folder and stop with SIGTERM.
/// </summary>
public sealed class DevnetSupervisor(string root, DevnetSettings settings) : IAsyncDisposable
{
    private readonly List<(int Index, Process Proc, HttpClient Http)> _nodes = new();

    public static string NodeDir(string root, int i) => Path.Combine(root, $"node{i}");
    public int ApiPort(int i) => settings.ApiPort + i - 1;
    public int P2PPort(int i) => settings.P2PPort + i - 1;
    public HttpClient First => _nodes[0].Http;

    public async Task StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        var keys = Path.Combine(root, "keys");
        for (var i = 1; i <= settings.Nodes; i++)
        {
            List<string> args = ["node", "run", "--data", NodeDir(root, i), "--spec", Path.Combine(root, "chainspec.json"),
                "--port", ApiPort(i).ToString(), "--p2p-port", P2PPort(i).ToString(), "--log-level", "Warning"];
            if (settings.KeyFile(root, i) is { } keyFile) args.AddRange(["--key", keyFile, "--password-file", Path.Combine(keys, "password")]);
            if (settings.Consensus == "pow") args.AddRange(["--mine", "--mine-threads", "1"]);
            if (i > 1) foreach (var b in new[] { 1, i - 1 }.Distinct()) args.AddRange(["--bootstrap", $"127.0.0.1:{P2PPort(b)}"]);
            if (settings.Malicious.TryGetValue(i, out var bad)) args.AddRange(["--misbehave", string.Join(',', bad)]);
            var psi = ChainlabProcess.Self(args);
            // Through the environment (readable only by the owner), not the command line (readable by anyone in ps).
            if (settings.Postgres is { } pg) psi.Environment[NodeCommands.DbEnvVar] = PostgresChainStore.ForSchema(pg, settings.NodeSchema(i));
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            var log = new RotatingLog(Path.Combine(root, "logs", $"node{i}.log"));
            var proc = Process.Start(psi) ?? throw new CliException($"could not start node {i}");
            proc.OutputDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine(e.Data); };
            proc.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine(e.Data); };
            proc.Exited += (_, _) => log.Dispose();
            proc.EnableRaisingEvents = true;
            proc.BeginOutputReadLine();
            proc.BeginErrorReadLine();
            _nodes.Add((i, proc, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort(i)}"), Timeout = TimeSpan.FromSeconds(5) }));
        }
        foreach (var (i, proc, http) in _nodes)
        {
            try { await NodeApi.WaitForStatusAsync(http, proc, TimeSpan.FromSeconds(60), ct: ct); }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                await Task.Delay(200, CancellationToken.None); // let the log catch the child's last words
                var last = File.ReadLines(Path.Combine(root, "logs", $"node{i}.log")).LastOrDefault(l => l.StartsWith("error:")) ?? e.Message;
                throw new CliException($"node {i} did not start: {last.Replace("error: ", "")} (log: {Path.Combine(root, "logs", $"node{i}.log")})");
            }
        }
    }

    /// <summary>
    /// On a terminal: a live table of every node (API, P2P port, role, height, peers, sync) under the latest
    /// block. Redirected: one line per block from node 1's event stream with every node's height.
    /// </summary>
    public async Task WatchAsync(CancellationToken ct)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await WatchLiveAsync(ct);
            return;
        }
        // Follow the first live node's event stream. When a node dies, say so and follow the next one: one
        // node's death must not take the others down (a dead node 1 used to end the watch, and with it the devnet).
        var reported = new HashSet<int>();
        while (!ct.IsCancellationRequested)
        {
            ReportExited(reported);
            var followed = _nodes.FirstOrDefault(n => !n.Proc.HasExited);
            if (followed.Http is null)
            {
                Console.Out.WriteLine("every node has exited");
                return;
            }
            await FollowEvents(followed.Http, reported, ct);
            if (!ct.IsCancellationRequested)
            {
                try { await Task.Delay(500, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private void ReportExited(HashSet<int> reported)
    {
        foreach (var (i, proc, _) in _nodes.Where(n => n.Proc.HasExited && !reported.Contains(n.Index)))
        {
            reported.Add(i);
            Console.Out.WriteLine($"node {i} has exited ({proc.ExitCode}); see {Path.Combine(root, "logs", $"node{i}.log")}; the others keep running");
        }
    }

    private async Task FollowEvents(HttpClient node, HashSet<int> reported, CancellationToken ct)
    {
        using var sse = new HttpClient { BaseAddress = node.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var stream = await sse.GetStreamAsync("/api/v1/events", ct);
            using var reader = new StreamReader(stream);
            string? line;
            var type = "";
            while ((line = await reader.ReadLineAsync(ct)) is not null)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) { type = line[7..]; continue; }
                if (type != "head" || !line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var h = JsonNode.Parse(line[6..])!;
                var text = $"{DateTimeOffset.FromUnixTimeMilliseconds(h["timestampMs"]!.GetValue<long>()):HH:mm:ss} block {h["height"],6} {h["hash"]!.GetValue<string>()[..16]} {h["txCount"],6} txs";
                if (_nodes.Count > 1) text += "  heights " + string.Join(' ', (await Task.WhenAll(_nodes.Select(n => StatusOrNull(n.Http, ct)))).Select(s => s?["headHeight"]?.ToString() ?? "-"));
                Console.Out.WriteLine(text);
                ReportExited(reported);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException) { }
    }

    private async Task WatchLiveAsync(CancellationToken ct)
    {
        // Fits an 80-column terminal: the addresses are all 127.0.0.1 (the summary above prints the URLs).
        var table = new Table().Border(TableBorder.Horizontal);
        foreach (var header in new[] { "Node", "API", "P2P", "Role", "Height", "Peers", "Sync", "Pool", "Reorgs" })
            table.AddColumn(new TableColumn(header).PadLeft(0).PadRight(2).NoWrap());
        try
        {
            await AnsiConsole.Live(table).StartAsync(async live =>
            {
                while (!ct.IsCancellationRequested)
                {
                    var statuses = await Task.WhenAll(_nodes.Select(n => StatusOrNull(n.Http, ct)));
                    table.Rows.Clear();
                    for (var k = 0; k < _nodes.Count; k++)
                    {
                        var (i, proc, _) = _nodes[k];
                        var s = statuses[k];
                        string Cell(string key) => s?[key]?.ToString() ?? "-";
                        var sync = s?["sync"] is { } sy ? (sy["syncing"]!.GetValue<bool>() ? $"{sy["percent"]}%" : "in sync") : proc.HasExited ? $"exited ({proc.ExitCode})" : "down";
                        table.AddRow(new[] { $"node{i}", ApiPort(i).ToString(), P2PPort(i).ToString(), settings.Role(i),
                            Cell("headHeight"), s?["peers"]?.AsArray().Count.ToString() ?? "-", sync,
                            Cell("mempoolSize"), s?["forks"]?["reorgs"]?.ToString() ?? "-" }.Select(x => new Text(x)).ToArray());
                    }
                    var head = statuses[0]?["headHash"]?.GetValue<string>()[..16] ?? "-";
                    table.Caption($"{DateTime.Now:HH:mm:ss} head {head} · logs in {Path.Combine(root, "logs")} · Ctrl+C stops every node");
                    live.Refresh();
                    await Task.Delay(1000, ct);
                }
            });
        }
        catch (OperationCanceledException) { }
    }

    private static async Task<JsonObject?> StatusOrNull(HttpClient http, CancellationToken ct)
    {
        try { return await http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
    }

    public async Task<JsonObject> StatusAsync(int i, CancellationToken ct) =>
        (await _nodes[i - 1].Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, proc, _) in _nodes.Where(n => !n.Proc.HasExited))
            Process.Start("kill", ["-TERM", proc.Id.ToString()])?.WaitForExit();
        foreach (var (_, proc, http) in _nodes)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await proc.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { proc.Kill(true); }
            http.Dispose();
            proc.Dispose();
        }
    }
}
