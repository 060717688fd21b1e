using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Processes;

/// <summary>Settings for <see cref="CrashHarness"/>.</summary>
public sealed record CrashOptions
{
    public int Kills { get; init; } = 50;
    /// <summary>PostgreSQL connection string (with its own schema); null runs on SQLite.</summary>
    public string? Postgres { get; init; }
    public int Seed { get; init; } = 1;
    public ulong BlockTimeMs { get; init; } = 100;
    public int MaxLoadMs { get; init; } = 1200;
}

/// <summary>What a crash run found.</summary>
public sealed record CrashReport(int Kills, ulong FinalHeight, int ConfirmedTransactions, int ChecksAfterRestart, double Seconds, IReadOnlyList<string> Failures)
{
    public bool Ok => Failures.Count == 0;
}

/// <summary>
/// Puts a node process under steady transaction load and kills it with SIGKILL at random moments.
/// After every restart: the store opens (the node checks the head's state root against the stored
/// accounts before it serves), every block and transaction seen committed before is still there
/// unchanged. At the end, every block is replayed into a fresh node that never crashed and the state
/// roots must match height by height.
/// </summary>
public sealed class CrashHarness(CrashOptions options, Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    private readonly List<string> _failures = new();

    public async Task<CrashReport> RunAsync(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-crash-{Environment.ProcessId}-{options.Seed}-{Guid.NewGuid():n}"[..48]);
        Directory.CreateDirectory(dir);
        var rng = new Random(options.Seed);
        var authority = KeyPair.FromRandom(rng);
        var keys = Enumerable.Range(0, 16).Select(_ => KeyPair.FromRandom(rng)).ToArray();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var spec = new ChainSpec
        {
            ChainId = "crash",
            GenesisTimeMs = now - now % options.BlockTimeMs,
            BlockTimeMs = options.BlockTimeMs,
            BlockReward = 10,
            Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(authority.PublicKey)], Admin = Convert.ToHexStringLower(authority.PublicKey) },
            Alloc = keys.ToDictionary(k => k.Address.ToString(), _ => 1_000_000_000UL),
        };
        var specPath = Path.Combine(dir, "spec.json");
        await File.WriteAllTextAsync(specPath, spec.ToJson(), ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "key.json"), Keystore.Encrypt(authority, "crash"), ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "crash", ct);
        List<string> args = ["node", "run", "--data", Path.Combine(dir, "data"), "--spec", specPath, "--key", Path.Combine(dir, "key.json"),
            "--password-file", Path.Combine(dir, "pw")];
        if (options.Postgres is { } pg) args.AddRange(["--db", pg]);

        var confirmed = new Dictionary<Hash, string>();       // tx → block hash it was seen in
        var heads = new Dictionary<ulong, (string Hash, string Root)>();
        var checks = 0;
        try
        {
            for (var kill = 0; kill <= options.Kills && _failures.Count == 0; kill++)
            {
                await using var node = await StartNode(args, ct);
                checks += await CheckHistory(node.Http, confirmed, heads, rng, ct);
                if (kill == options.Kills) break; // the last start only checks
                var nonces = new ulong[keys.Length];
                for (var i = 0; i < keys.Length; i++)
                    nonces[i] = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/accounts/{keys[i].Address}", ct))!["nextNonce"]!.GetValue<ulong>();
                var killAt = TimeSpan.FromMilliseconds(rng.Next(150, options.MaxLoadMs));
                using var stopLoad = new CancellationTokenSource();
                var load = Load(node.Http, keys, nonces, spec.ChainId, confirmed, heads, new Random(rng.Next()), stopLoad.Token);
                await Task.Delay(killAt, ct);
                node.Kill();
                stopLoad.Cancel();
                await load;
            }
            if (_failures.Count == 0) await CompareWithNeverCrashed(args, specPath, dir, ct);
            await using var final = await StartNode(args, ct);
            var height = (await final.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>();
            return new CrashReport(options.Kills, height, confirmed.Count, checks, sw.Elapsed.TotalSeconds, _failures);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Everything seen committed before must still be there, unchanged.</summary>
    private async Task<int> CheckHistory(HttpClient http, Dictionary<Hash, string> confirmed, Dictionary<ulong, (string Hash, string Root)> heads, Random rng, CancellationToken ct)
    {
        var n = 0;
        var status = (await http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!;
        var height = status["headHeight"]!.GetValue<ulong>();
        foreach (var (h, (hash, root)) in heads.OrderByDescending(kv => kv.Key).Take(20))
        {
            n++;
            if (h > height) { _failures.Add($"height {h} was committed before the crash but the head is now {height}"); continue; }
            var header = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{h}", ct))!["header"]!;
            if (header["hash"]!.GetValue<string>() != hash || header["stateRoot"]!.GetValue<string>() != root)
                _failures.Add($"block {h} changed across a crash");
        }
        var sample = confirmed.Keys.OrderBy(_ => rng.Next()).Take(60).ToList();
        foreach (var tx in sample)
        {
            n++;
            var resp = await http.GetAsync($"/api/v1/transactions/{tx}", ct);
            var st = resp.IsSuccessStatusCode ? await resp.Content.ReadFromJsonAsync<JsonObject>(ct) : null;
            if (st?["status"]?.GetValue<string>() != "included" || st["blockHash"]!.GetValue<string>() != confirmed[tx])
                _failures.Add($"transaction {tx.Short} was committed before a crash and is now {st?["status"] ?? "unknown"}");
        }
        return n;
    }

    private static async Task Load(HttpClient http, KeyPair[] keys, ulong[] nonces, string chainId, Dictionary<Hash, string> confirmed,
        Dictionary<ulong, (string Hash, string Root)> heads, Random rng, CancellationToken stop)
    {
        var pending = new List<Hash>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = Enumerable.Range(0, 50).Select(_ =>
                {
                    var from = rng.Next(keys.Length);
                    return Transaction.Create(keys[from], chainId, TxKind.Transfer, nonces[from]++, 1, keys[rng.Next(keys.Length)].Address, (ulong)rng.Next(1, 100));
                }).ToList();
                await http.PostAsJsonAsync("/api/v1/transactions/batch", new { transactions = batch.Select(t => Convert.ToHexStringLower(t.Raw)) }, stop);
                pending.AddRange(batch.Select(t => t.Hash));
                var status = (await http.GetFromJsonAsync<JsonObject>("/api/v1/status", stop))!;
                // A head read here was committed: record it before asking about transactions.
                lock (heads) heads[status["headHeight"]!.GetValue<ulong>()] = (status["headHash"]!.GetValue<string>(), status["stateRoot"]!.GetValue<string>());
                foreach (var h in pending.ToList())
                {
                    var st = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/transactions/{h}", stop))!;
                    if (st["status"]!.GetValue<string>() != "included") continue;
                    lock (confirmed) confirmed[h] = st["blockHash"]!.GetValue<string>();
                    pending.Remove(h);
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or System.Net.Sockets.SocketException) { /* the node died under us: expected */ }
    }

    /// <summary>Replays every block into a node that never crashed and compares state roots height by height.</summary>
    private async Task CompareWithNeverCrashed(List<string> crashedArgs, string specPath, string dir, CancellationToken ct)
    {
        await using var crashed = await StartNode(crashedArgs, ct);
        await using var reference = await StartNode(["node", "run", "--data", Path.Combine(dir, "reference"), "--spec", specPath], ct);
        var head = (await crashed.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>();
        for (ulong h = 1; h <= head; h++)
        {
            var raw = await crashed.Http.GetByteArrayAsync($"/api/v1/blocks/{h}/raw", ct);
            var content = new ByteArrayContent(raw);
            content.Headers.ContentType = new("application/octet-stream");
            var resp = await reference.Http.PostAsync("/api/v1/blocks", content, ct);
            if (!resp.IsSuccessStatusCode) { _failures.Add($"block {h} from the crashed node does not validate: {await resp.Content.ReadAsStringAsync(ct)}"); return; }
        }
        // The crashed node is still producing; compare at the height that was replayed. Every replayed
        // block was also checked against the reference's own state root on import.
        var a = (await crashed.Http.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{head}", ct))!["header"]!;
        var b = (await reference.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!;
        if (b["headHeight"]!.GetValue<ulong>() != head || a["hash"]!.GetValue<string>() != b["headHash"]!.GetValue<string>()
            || a["stateRoot"]!.GetValue<string>() != b["stateRoot"]!.GetValue<string>())
            _failures.Add($"head or state root differs from a node that never crashed at height {head}");
        else
            output.WriteLine($"replayed {head} blocks into a node that never crashed: same head and state root");
    }

    private Task<LaunchedNode> StartNode(IReadOnlyList<string> args, CancellationToken ct) =>
        NodeLauncher.StartAsync(launchNode, args, withPeers: false, ct);
}
