using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

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
}

/// <summary>One run's figures.</summary>
public sealed record ThroughputRun(int Committed, double SubmitSeconds, double CommitSeconds, double Tps, long IdleRssMb, long PeakRssMb, int Rejected, long StoreBytes);

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
                             $"store {run.StoreBytes / 1048576.0:0.0} MB = {run.StoreBytes / 1048576.0 * 1_000_000 / Math.Max(1, run.Committed):0} MB per million tx)");
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
            var bodies = txs.Chunk(options.BatchSize).Select(chunk =>
            {
                var sb = new StringBuilder("{\"transactions\":[");
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append('"').Append(Convert.ToHexStringLower(chunk[i].Raw)).Append('"');
                }
                return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
            }).ToList();

            var schema = $"chainlab_bench_{Environment.ProcessId}_{index}";
            List<string> args = ["node", "run", "--data", Path.Combine(dir, "data"), "--spec", specPath, "--key", keyPath, "--password-file", pwPath,
                "--mempool-capacity", Math.Max(200_000, options.Transactions).ToString(), "--per-sender-limit", "100000"];
            string? pg = options.Postgres is { } cs ? Node.Storage.Postgres.PostgresChainStore.ForSchema(cs, schema) : null;
            if (pg is not null) args.AddRange(["--db", pg]);
            await using var node = await NodeLauncher.StartAsync(launchNode, args, withPeers: false, ct);
            var http = node.Http;
            await Task.Delay(1000, ct);
            var idle = RssMb(node.Process.Id, "VmRSS");

            var sw = Stopwatch.StartNew();
            var rejected = 0;
            foreach (var body in bodies)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var resp = await http.PostAsync("/api/v1/transactions/batch", content, ct);
                resp.EnsureSuccessStatusCode();
                var result = await resp.Content.ReadFromJsonAsync<JsonObject>(ct);
                rejected += result!["rejected"]!.GetValue<int>();
            }
            var submitted = sw.Elapsed.TotalSeconds;
            var target = options.Transactions - rejected;
            long committed = 0;
            while (committed < target)
            {
                var s = await http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct);
                committed = s!["transactionsCommitted"]!.GetValue<long>();
                if (sw.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"only {committed} of {target} committed after 10 minutes");
                if (committed < target) await Task.Delay(20, ct);
            }
            var total = sw.Elapsed.TotalSeconds;
            var peak = RssMb(node.Process.Id, "VmHWM");
            node.Kill();
            var size = pg is null ? StoreSize.Sqlite(Path.Combine(dir, "data")) : StoreSize.Postgres(pg);
            if (pg is not null) Node.Storage.Postgres.PostgresChainStore.DropSchema(pg);
            return new ThroughputRun((int)committed, submitted, total, committed / total, idle, peak, rejected, size);
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

    public static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a.Length == 0 ? 0 : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
