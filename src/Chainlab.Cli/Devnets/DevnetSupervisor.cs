using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Client;
using Chainlab.Node.Storage.Postgres;
using Spectre.Console;

namespace Chainlab.Cli.Devnets;

/// <summary>
/// Runs a devnet as real node processes: node 1 holds the authority key, the others join it over
/// loopback peer links. Children log to the devnet's logs/ folder and stop with SIGTERM.
/// </summary>
public sealed class DevnetSupervisor(string root, DevnetSettings settings) : IAsyncDisposable
{
    /// <summary>One node process of the devnet; its process changes when the node is restarted.</summary>
    private sealed class Child(int index, HttpClient http)
    {
        public int Index { get; } = index;
        public HttpClient Http { get; } = http;
        public Process Proc { get; set; } = null!;
        public bool Paused { get; set; }
    }

    private readonly List<Child> _nodes = new();
    private string? _genesis;

    public static string NodeDir(string root, int i) => Path.Combine(root, $"node{i}");
    /// <summary>The token the devnet control routes take (the supervisor's and every node's).</summary>
    public static string TokenFile(string root) => Path.Combine(root, "keys", "control-token");
    public int ApiPort(int i) => settings.ApiPort + i - 1;
    public int P2PPort(int i) => settings.P2PPort + i - 1;
    public HttpClient First => _nodes[0].Http;
    public int Count => settings.Nodes;
    public string Root => root;
    public DevnetSettings Settings => settings;
    public string Token { get; private set; } = "";

    /// <summary>The devnet's control token: made once (mode 0600) and kept in keys/.</summary>
    public static string EnsureToken(string root)
    {
        var path = TokenFile(root);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            PrivateFile.CreateNew(path, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        }
        return File.ReadAllText(path).Trim();
    }

    /// <summary>The control route's address, passed to every node (the dashboard's adversary page reaches it through its node); set before StartAsync.</summary>
    public string? ControlUrl { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, IReadOnlyList<string>> _misbehaving = new();

    /// <summary>The misbehaviours node i gets from its next (re)start on, for this run (none: honest).</summary>
    public void SetMisbehaviour(int i, IReadOnlyList<string> names) => _misbehaving[i] = names;

    public async Task StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        Token = EnsureToken(root);
        for (var i = 1; i <= settings.Nodes; i++)
        {
            var child = new Child(i, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort(i)}"), Timeout = TimeSpan.FromSeconds(15) });
            _nodes.Add(child);
            Launch(child);
        }
        foreach (var child in _nodes) await WaitUp(child, ct);
    }

    private void Launch(Child child)
    {
        var i = child.Index;
        var keys = Path.Combine(root, "keys");
        List<string> args = ["node", "run", "--data", NodeDir(root, i), "--spec", Path.Combine(root, "chainspec.json"),
            "--port", ApiPort(i).ToString(), "--p2p-port", P2PPort(i).ToString(), "--log-level", "Warning", "--devnet-token-file", TokenFile(root)];
        args.AddRange(["--devnet-members", string.Join(',', Enumerable.Range(1, settings.Nodes).Select(n => $"node{n}=http://127.0.0.1:{ApiPort(n)}"))]);
        if (ControlUrl is { } control) args.AddRange(["--devnet-control-url", control]);
        if (settings.KeyFile(root, i) is { } keyFile) args.AddRange(["--key", keyFile]);
        // Every node pays from the devnet's faucet (a devnet made before the faucet existed has no faucet key).
        if (File.Exists(DevnetGenesis.FaucetKeyFile(keys))) args.AddRange(["--devnet-faucet-key", DevnetGenesis.FaucetKeyFile(keys)]);
        if (args.Contains("--key") || args.Contains("--devnet-faucet-key")) args.AddRange(["--password-file", Path.Combine(keys, "password")]);
        if (settings.Consensus == "pow") args.AddRange(["--mine", "--mine-threads", "1"]);
        if (settings.Consensus == "pow" && settings.MineRate(i) is { } rate) args.AddRange(["--mine-rate", rate.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (i > 1) foreach (var b in new[] { 1, i - 1 }.Distinct()) args.AddRange(["--bootstrap", $"127.0.0.1:{P2PPort(b)}"]);
        if (_misbehaving.TryGetValue(i, out var chosen) ? chosen.Count > 0 : settings.Malicious.TryGetValue(i, out chosen)) args.AddRange(["--misbehave", string.Join(',', chosen!)]);
        else foreach (var off in settings.DisabledDefences) args.AddRange(["--test-only-disable-defence", off]);
        var psi = ChainlabProcess.Self(args);
        // Through the environment (readable only by the owner), not the command line (readable by anyone in ps).
        if (settings.Postgres is { } pg) psi.Environment[NodeConfigFile.DbEnvVar] = PostgresChainStore.ForSchema(pg, settings.NodeSchema(i));
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
        child.Proc = proc;
        child.Paused = false;
    }

    private async Task WaitUp(Child child, CancellationToken ct)
    {
        var i = child.Index;
        // Only this devnet's node counts: a stranger that took the port while the node restarted must not pass for it.
        _genesis ??= Chainlab.Core.Rules.Genesis.GenesisBlock(Chainlab.Core.Model.ChainSpec.FromJson(File.ReadAllText(Path.Combine(root, "chainspec.json")))).Hash.ToString();
        try { await NodeApi.WaitForStatusAsync(child.Http, child.Proc, TimeSpan.FromSeconds(60), ct: ct, genesisHash: _genesis); }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            await Task.Delay(200, CancellationToken.None); // let the log catch the child's last words
            var last = File.ReadLines(Path.Combine(root, "logs", $"node{i}.log")).LastOrDefault(l => l.StartsWith("error:")) ?? e.Message;
            throw new CliException($"node {i} did not start: {last.Replace("error: ", "")} (log: {Path.Combine(root, "logs", $"node{i}.log")})");
        }
    }

    private Child Node(int i) => i >= 1 && i <= _nodes.Count ? _nodes[i - 1] : throw new CliException($"no node {i} in this devnet (1..{_nodes.Count})", ExitCodes.BadInput);

    /// <summary>Is node i's process alive (it may be paused)?</summary>
    public bool IsRunning(int i)
    {
        try { return !Node(i).Proc.HasExited; }
        catch (InvalidOperationException) { return false; } // between a restart's two processes
    }
    public bool IsPaused(int i) => Node(i).Paused && IsRunning(i);
    public HttpClient Api(int i) => Node(i).Http;

    /// <summary>kill -9: the node gets no chance to close anything.</summary>
    public async Task KillAsync(int i)
    {
        var c = Node(i);
        if (c.Proc.HasExited) throw new CliException($"node {i} is not running", ExitCodes.BadInput);
        if (c.Paused) Signal(c, "CONT");
        c.Proc.Kill();
        await c.Proc.WaitForExitAsync();
    }

    /// <summary>Starts node i again (stopping it first with SIGTERM if it still runs) and waits for its API.</summary>
    public async Task RestartAsync(int i, CancellationToken ct)
    {
        var c = Node(i);
        if (!c.Proc.HasExited)
        {
            if (c.Paused) Signal(c, "CONT");
            Signal(c, "TERM");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try { await c.Proc.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { c.Proc.Kill(); await c.Proc.WaitForExitAsync(ct); }
        }
        // The new process goes in before the old one is disposed: readers (a scenario's load and sampler) ask
        // IsRunning meanwhile, and a disposed Process throws.
        var old = c.Proc;
        Launch(c);
        old.Dispose();
        await WaitUp(c, ct);
    }

    /// <summary>SIGSTOP: the process stays but does nothing (its peers see a silent link).</summary>
    public void Pause(int i)
    {
        var c = Node(i);
        if (c.Proc.HasExited) throw new CliException($"node {i} is not running", ExitCodes.BadInput);
        Signal(c, "STOP");
        c.Paused = true;
    }

    /// <summary>SIGCONT after a pause.</summary>
    public void Resume(int i)
    {
        var c = Node(i);
        if (c.Proc.HasExited) throw new CliException($"node {i} is not running", ExitCodes.BadInput);
        Signal(c, "CONT");
        c.Paused = false;
    }

    private static void Signal(Child c, string signal) => Signals.Send(c.Proc.Id, Signals.Named(signal));

    /// <summary>Node i's id as its peers know it (16 hex digits).</summary>
    /// <summary>Node i's id; a node slow to answer (a busy machine) is asked again, up to five times.</summary>
    public async Task<string> NodeIdAsync(int i, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return (await Node(i).Http.GetFromJsonAsync<JsonObject>("/api/v1/peers", ct))!["nodeId"]!.GetValue<string>(); }
            catch (Exception e) when (attempt < 5 && !ct.IsCancellationRequested && e is TaskCanceledException or HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), ct);
            }
        }
    }

    /// <summary>Sets every fault of node i through its devnet control route.</summary>
    public async Task SetFaultsAsync(int i, Chainlab.Node.Faults.FaultSettings faults, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, "/api/v1/devnet/faults") { Content = JsonContent.Create(faults) };
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        using var res = await Node(i).Http.SendAsync(req, ct);
        if (!res.IsSuccessStatusCode) throw new CliException($"node {i} refused the faults: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync(ct)}");
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
            if (followed is null)
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
        foreach (var c in _nodes.Where(n => n.Proc.HasExited && !reported.Contains(n.Index)))
        {
            reported.Add(c.Index);
            Console.Out.WriteLine($"node {c.Index} has exited ({c.Proc.ExitCode}); see {Path.Combine(root, "logs", $"node{c.Index}.log")}; the others keep running");
        }
        reported.RemoveWhere(i => !_nodes[i - 1].Proc.HasExited); // restarted
    }

    private async Task FollowEvents(HttpClient node, HashSet<int> reported, CancellationToken ct)
    {
        using var client = new ChainlabClient(node.BaseAddress!);
        try
        {
            await foreach (var e in client.EventsAsync(["head"], ct))
            {
                var h = e.Head!;
                var text = $"{DateTimeOffset.FromUnixTimeMilliseconds((long)h.TimestampMs):HH:mm:ss} block {h.Height,6} {h.Hash[..16]} {h.TxCount,6} txs";
                if (_nodes.Count > 1) text += "  heights " + string.Join(' ', (await Task.WhenAll(_nodes.Select(n => StatusOrNull(n.Http, ct)))).Select(s => s?["headHeight"]?.ToString() ?? "-"));
                Console.Out.WriteLine(text);
                ReportExited(reported);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChainlabConnectionException or ChainlabApiException) { }
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
                        var (i, proc) = (_nodes[k].Index, _nodes[k].Proc);
                        var s = statuses[k];
                        string Cell(string key) => s?[key]?.ToString() ?? "-";
                        var sync = s?["sync"] is { } sy ? (sy["syncing"]!.GetValue<bool>() ? $"{sy["percent"]}%" : "in sync") : proc.HasExited ? $"exited ({proc.ExitCode})" : _nodes[k].Paused ? "paused" : "down";
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
        foreach (var c in _nodes.Where(n => !n.Proc.HasExited))
        {
            if (c.Paused) Signal(c, "CONT");
            Signal(c, "TERM");
        }
        foreach (var (proc, http) in _nodes.Select(c => (c.Proc, c.Http)))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await proc.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { proc.Kill(true); }
            Shutdown.Trace($"node process {proc.Id} {(proc.HasExited ? "ended" : "killed")}");
            http.Dispose();
            proc.Dispose();
        }
    }
}
