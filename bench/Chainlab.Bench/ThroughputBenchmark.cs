using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

using Chainlab.Cli.Processes;

namespace Chainlab.Bench;

/// <summary>Settings for <see cref="ThroughputBenchmark"/>.</summary>
public sealed record ThroughputOptions
{
    public int Transactions { get; init; } = 100_000;
    public int Accounts { get; init; } = 2_000;
    public int Runs { get; init; } = 3;
    public int BatchSize { get; init; } = 10_000;
    public ulong BlockTimeMs { get; init; } = 500;
    public int MaxBlockTransactions { get; init; } = 100_000;
    /// <summary>PostgreSQL connection string; each run uses a fresh schema. Null runs on SQLite.</summary>
    public string? Postgres { get; init; }
    /// <summary>Node processes: node 1 produces, the others follow over peer links; batches go round-robin to all of them.</summary>
    public int Nodes { get; init; } = 1;
}

/// <summary>One run's figures.</summary>
/// <summary>
/// One run's figures. With several nodes, Committed and Tps count a transaction once every node has
/// committed it, and the memory figures are per node (the largest of them).
/// </summary>
public sealed record ThroughputRun(int Committed, double SubmitSeconds, double CommitSeconds, double Tps, long IdleRssMb, long PeakRssMb, int Rejected, long StoreBytes,
    int Nodes = 1, bool Agreed = true);

/// <summary>
/// Pre-signs transfers among many accounts, starts a node process, submits the transfers through the
/// public batch API, and measures how fast they are committed and how much memory the node used.
/// </summary>
public sealed class ThroughputBenchmark(ThroughputOptions options, Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    public async Task<IReadOnlyList<ThroughputRun>> RunAsync(CancellationToken ct)
    {
        var runs = new List<ThroughputRun>();
        for (var r = 0; r < options.Runs; r++)
        {
            var run = await RunOnceAsync(r, ct);
            output.WriteLine($"run {r + 1}: {run.Committed} committed in {run.CommitSeconds:0.00} s = {run.Tps:N0} tx/s " +
                             $"(submit {run.SubmitSeconds:0.00} s, rejected {run.Rejected}, node RSS idle {run.IdleRssMb} MB, peak {run.PeakRssMb} MB, " +
                             $"store {run.StoreBytes / 1048576.0:0.0} MB = {run.StoreBytes / 1048576.0 * 1_000_000 / Math.Max(1, run.Committed):0} MB per million tx)" +
                             (run.Nodes > 1 ? $"; {run.Nodes} nodes, {(run.Agreed ? "all agree on head and state root" : "NODES DISAGREE")}" : ""));
            runs.Add(run);
        }
        return runs;
    }

    private async Task<ThroughputRun> RunOnceAsync(int index, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-bench-{Environment.ProcessId}-{index}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        try
        {
            var rng = new Random(1234 + index);
            var authority = KeyPair.FromRandom(rng);
            var keys = new KeyPair[options.Accounts];
            for (var i = 0; i < keys.Length; i++) keys[i] = KeyPair.FromRandom(rng);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var spec = new ChainSpec
            {
                ChainId = "bench",
                GenesisTimeMs = now - now % options.BlockTimeMs,
                BlockTimeMs = options.BlockTimeMs,
                MaxBlockTransactions = options.MaxBlockTransactions,
                Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(authority.PublicKey)], Admin = Convert.ToHexStringLower(authority.PublicKey) },
                Alloc = keys.ToDictionary(k => k.Address.ToString(), _ => 1_000_000_000UL),
            };
            var specPath = Path.Combine(dir, "spec.json");
            await File.WriteAllTextAsync(specPath, spec.ToJson(), ct);
            var keyPath = Path.Combine(dir, "authority.json");
            await File.WriteAllTextAsync(keyPath, Keystore.Encrypt(authority, "bench"), ct);
            var pwPath = Path.Combine(dir, "pw");
            await File.WriteAllTextAsync(pwPath, "bench", ct);

            // Pre-sign: round-robin over senders so each batch mixes senders and nonces stay in order.
            var txs = new Transaction[options.Transactions];
            Parallel.For(0, txs.Length, i =>
            {
                var sender = i % keys.Length;
                var nonce = (ulong)(i / keys.Length);
                txs[i] = Transaction.Create(keys[sender], "bench", TxKind.Transfer, nonce, 1, keys[(sender + 1) % keys.Length].Address, 1);
            });
            // Each node gets the transfers of its own share of the senders (as users each talk to one node),
            // so a sender's nonces always arrive in order at the same node.
            var bodies = Enumerable.Range(0, options.Nodes).Select(n => txs.Where((_, i) => i % keys.Length % options.Nodes == n).Chunk(options.BatchSize).Select(chunk =>
            {
                var sb = new StringBuilder("{\"transactions\":[");
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append('"').Append(Convert.ToHexStringLower(chunk[i].Raw)).Append('"');
                }
                return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
            }).ToList()).ToList();

            var schema = $"chainlab_bench_{Environment.ProcessId}_{index}";
            string[] pool = ["--mempool-capacity", Math.Max(200_000, options.Transactions).ToString(), "--per-sender-limit", "100000"];
            List<string> args = ["node", "run", "--data", Path.Combine(dir, "data"), "--spec", specPath, "--key", keyPath, "--password-file", pwPath, .. pool];
            string? pg = options.Postgres is { } cs ? Node.Storage.Postgres.PostgresChainStore.ForSchema(cs, schema) : null;
            if (pg is not null) args.AddRange(["--db", pg]);
            var nodes = new List<LaunchedNode>();
            try
            {
                nodes.Add(await NodeLauncher.StartAsync(launchNode, args, withPeers: options.Nodes > 1, ct));
                for (var i = 1; i < options.Nodes; i++)
                {
                    List<string> follower = ["node", "run", "--data", Path.Combine(dir, $"data{i + 1}"), "--spec", specPath, .. pool];
                    foreach (var peer in new[] { nodes[0], nodes[^1] }.Distinct()) follower.AddRange(["--bootstrap", $"127.0.0.1:{peer.P2PPort}"]);
                    nodes.Add(await NodeLauncher.StartAsync(launchNode, follower, withPeers: true, ct));
                }
                while (options.Nodes > 1 && (await Task.WhenAll(nodes.Select(n => n.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))))
                           .Any(s => s!["peers"]!.AsArray().Count < Math.Min(2, options.Nodes - 1)))
                    await Task.Delay(100, ct);
                await Task.Delay(1000, ct);
                var idle = nodes.Max(n => RssMb(n.Process.Id, "VmRSS"));

                var sw = Stopwatch.StartNew();
                var rejectedPerNode = await Task.WhenAll(nodes.Select(async (n, k) =>
                {
                    var count = 0;
                    foreach (var body in bodies[k])
                    {
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new("application/json");
                        using var resp = await n.Http.PostAsync("/api/v1/transactions/batch", content, ct);
                        resp.EnsureSuccessStatusCode();
                        var result = await resp.Content.ReadFromJsonAsync<JsonObject>(ct);
                        count += result!["rejected"]!.GetValue<int>();
                    }
                    return count;
                }));
                var rejected = rejectedPerNode.Sum();
                var submitted = sw.Elapsed.TotalSeconds;
                var target = options.Transactions - rejected;
                long committed = 0, last = -1;
                var progressAt = sw.Elapsed;
                while (committed < target)
                {
                    var all = await Task.WhenAll(nodes.Select(n => n.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct)));
                    committed = all.Min(s => s!["transactionsCommitted"]!.GetValue<long>());
                    if (committed != last) (last, progressAt) = (committed, sw.Elapsed);
                    else if (sw.Elapsed - progressAt > TimeSpan.FromSeconds(30))
                    {
                        var stuck = nodes[Array.FindIndex(all, s => s!["transactionsCommitted"]!.GetValue<long>() == committed)];
                        var logs = Path.Combine(Path.GetTempPath(), $"chainlab-throughput-stall-{Environment.ProcessId}.log");
                        await File.WriteAllTextAsync(logs, string.Join("\n", nodes.Select((n, i) => $"--- node {i + 1}: {all[i]!.ToJsonString()}\n{n.Log}")), ct);
                        throw new TimeoutException($"no progress for 30 s at {committed} of {target}; every node's status and log are in {logs}; the slowest node's warnings:\n" +
                            string.Join('\n', stuck.Log.Split('\n').Where(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)).TakeLast(15)));
                    }
                    if (sw.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"only {committed} of {target} committed after 10 minutes");
                    if (committed < target) await Task.Delay(20, ct);
                }
                var total = sw.Elapsed.TotalSeconds;
                var peak = nodes.Max(n => RssMb(n.Process.Id, "VmHWM"));
                // Agreement: the same block hash and state root at the lowest head height.
                var heads = await Task.WhenAll(nodes.Select(n => n.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct)));
                var common = heads.Min(s => s!["headHeight"]!.GetValue<ulong>());
                var atCommon = await Task.WhenAll(nodes.Select(n => n.Http.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{common}", ct)));
                var agreed = atCommon.Select(b => b!["header"]!["hash"]!.GetValue<string>() + b["header"]!["stateRoot"]!.GetValue<string>()).Distinct().Count() == 1;
                foreach (var n in nodes) n.Kill();
                var size = pg is null ? StoreSize.Sqlite(Path.Combine(dir, "data")) : StoreSize.Postgres(pg);
                if (pg is not null) Node.Storage.Postgres.PostgresChainStore.DropSchema(pg);
                return new ThroughputRun((int)committed, submitted, total, committed / total, idle, peak, rejected, size, nodes.Count, agreed);
            }
            finally
            {
                foreach (var n in nodes) await n.DisposeAsync();
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Resident memory from /proc (VmRSS now, VmHWM peak), in MB.</summary>
    public static long RssMb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field + ":"))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        }
        catch (IOException) { }
        return -1;
    }

    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a.Length == 0 ? 0 : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
