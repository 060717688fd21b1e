using Chainlab.Node.Hosting;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using Chainlab.Node;
using Microsoft.Extensions.Logging;

using Chainlab.Cli.Processes;

namespace Chainlab.Bench;

/// <summary>
/// Network figures with real node processes on loopback: how fast a block reaches every node
/// (propagation), and how fast a fresh node catches up (sync).
/// </summary>
public sealed class NetworkBenchmarks(Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    private Task<LaunchedNode> Spawn(List<string> args, CancellationToken ct) => NodeLauncher.StartAsync(launchNode, args, withPeers: true, ct);

    private static (ChainSpec Spec, KeyPair Authority, KeyPair[] Users) NewChain(ulong blockMs, ulong genesisMs, int users)
    {
        var rng = new Random(17);
        var authority = KeyPair.FromRandom(rng);
        var keys = Enumerable.Range(0, users).Select(_ => KeyPair.FromRandom(rng)).ToArray();
        var spec = new ChainSpec
        {
            ChainId = "netbench", GenesisTimeMs = genesisMs, BlockTimeMs = blockMs, MaxBlockTransactions = 100_000,
            Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(authority.PublicKey)], Admin = Convert.ToHexStringLower(authority.PublicKey) },
            Alloc = keys.ToDictionary(k => k.Address.ToString(), _ => 1_000_000_000UL),
        };
        return (spec, authority, keys);
    }

    /// <summary>Milliseconds from a block's arrival at its producer to its arrival at each other node.</summary>
    public async Task<IReadOnlyList<double>> PropagationAsync(int nodes, int blocks, ulong blockMs, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-prop-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var spawned = new List<LaunchedNode>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var (spec, authority, _) = NewChain(blockMs, now - now % blockMs, 4);
            var specPath = Path.Combine(dir, "spec.json");
            await File.WriteAllTextAsync(specPath, spec.ToJson(), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "key.json"), Keystore.Encrypt(authority, "p"), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "p", ct);
            spawned.Add(await Spawn(["node", "run", "--data", Path.Combine(dir, "n1"), "--spec", specPath, "--key", Path.Combine(dir, "key.json"), "--password-file", Path.Combine(dir, "pw")], ct));
            for (var i = 2; i <= nodes; i++)
                spawned.Add(await Spawn(["node", "run", "--data", Path.Combine(dir, $"n{i}"), "--spec", specPath, "--bootstrap", $"127.0.0.1:{spawned[0].P2PPort}"], ct));
            output.WriteLine($"{nodes} nodes up; measuring {blocks} blocks");
            var arrivals = new ConcurrentDictionary<(int Node, ulong Height), long>();
            var clock = Stopwatch.StartNew();
            var listeners = spawned.Select((s, i) => Task.Run(async () =>
            {
                using var sse = new HttpClient { BaseAddress = s.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
                try
                {
                    using var reader = new StreamReader(await sse.GetStreamAsync("/api/v1/events", stop.Token));
                    string? line;
                    while ((line = await reader.ReadLineAsync(stop.Token)) is not null)
                        if (line.StartsWith("data: {\"height\""))
                            arrivals.TryAdd((i, JsonNode.Parse(line[6..])!["height"]!.GetValue<ulong>()), clock.ElapsedTicks);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException) { }
            })).ToList();
            await Task.Delay(TimeSpan.FromMilliseconds(blockMs * 3), ct); // let every stream connect
            var start = (await spawned[0].Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>() + 1;
            var last = start + (ulong)blocks - 1;
            while (!Enumerable.Range(0, nodes).All(i => arrivals.ContainsKey((i, last))))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(blocks * (double)blockMs / 1000.0 + 60)) throw new TimeoutException("blocks did not reach every node");
                await Task.Delay(50, ct);
            }
            stop.Cancel();
            var delays = new List<double>();
            for (var h = start; h <= last; h++)
            {
                var t0 = arrivals[(0, h)];
                for (var i = 1; i < nodes; i++) delays.Add((arrivals[(i, h)] - t0) * 1000.0 / Stopwatch.Frequency);
            }
            return delays;
        }
        finally
        {
            foreach (var s in spawned) await s.DisposeAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Builds a node with `blocks` blocks (each with `txsPerBlock` transfers), then times a fresh node syncing all of it.</summary>
    public async Task<(double Seconds, double SyncOnlySeconds, ulong BlocksAfterUp, ulong Blocks, long Transactions)> SyncAsync(int blocks, int txsPerBlock, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-sync-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        try
        {
            const ulong blockMs = 1000;
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var users = Math.Max(4, Math.Min(txsPerBlock, 2000));
            var (spec, authority, keys) = NewChain(blockMs, now - now % blockMs - (ulong)(blocks + 10) * blockMs, users);
            var specPath = Path.Combine(dir, "spec.json");
            await File.WriteAllTextAsync(specPath, spec.ToJson(), ct);
            var built = Stopwatch.StartNew();
            long txCount = 0;
            await using (var source = await NodeHost.StartAsync(new NodeOptions { DataDir = Path.Combine(dir, "source"), Spec = spec, LogLevel = LogLevel.Warning }, ct))
            {
                var nonces = new ulong[keys.Length];
                for (ulong slot = 1; slot <= (ulong)blocks; slot++)
                {
                    if (txsPerBlock > 0)
                    {
                        var txs = new byte[txsPerBlock][];
                        Parallel.For(0, txsPerBlock, j =>
                        {
                            var from = j % keys.Length;
                            txs[j] = Transaction.Create(keys[from], spec.ChainId, TxKind.Transfer, nonces[from] + (ulong)(j / keys.Length), 1, keys[(from + 1) % keys.Length].Address, 1).Raw;
                        });
                        for (var j = 0; j < keys.Length; j++) nonces[j] += (ulong)((txsPerBlock - j + keys.Length - 1) / keys.Length);
                        source.Pool.Admit(txs);
                    }
                    var s = slot;
                    var (block, r) = await source.Loop.Run(() => source.Chain.Produce(s, authority));
                    if (r.Status != Node.Chain.ImportStatus.Imported) throw new InvalidOperationException(r.Reason);
                    txCount += block!.Transactions.Count;
                }
            }
            output.WriteLine($"built {blocks} blocks with {txCount} transactions in {built.Elapsed.TotalSeconds:0.0} s");
            await using var a = await Spawn(["node", "run", "--data", Path.Combine(dir, "source"), "--spec", specPath], ct);
            var sw = Stopwatch.StartNew();
            await using var b = await Spawn(["node", "run", "--data", Path.Combine(dir, "fresh"), "--spec", specPath, "--bootstrap", $"127.0.0.1:{a.P2PPort}"], ct);
            var upAt = sw.Elapsed.TotalSeconds;
            var heightAtUp = (await b.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>();
            var (last, lastMoved) = (heightAtUp, sw.Elapsed);
            ulong height;
            while ((height = (await b.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>()) < (ulong)blocks)
            {
                if (height != last) (last, lastMoved) = (height, sw.Elapsed);
                if (sw.Elapsed - lastMoved > TimeSpan.FromSeconds(30))
                {
                    var logs = Path.Combine(Path.GetTempPath(), $"chainlab-sync-stall-{Environment.ProcessId}.log");
                    await File.WriteAllTextAsync(logs, $"--- source node ---\n{a.Log}\n--- fresh node ---\n{b.Log}", ct);
                    throw new TimeoutException($"sync stalled at {height} of {blocks}; both nodes' logs are in {logs}");
                }
                await Task.Delay(20, ct);
            }
            var total = sw.Elapsed.TotalSeconds;
            return (total, total - upAt, (ulong)blocks - heightAtUp, (ulong)blocks, txCount);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    public static double Percentile(IEnumerable<double> xs, double p)
    {
        var a = xs.Order().ToArray();
        if (a.Length == 0) return 0;
        var idx = (int)Math.Ceiling(p / 100 * a.Length) - 1;
        return a[Math.Clamp(idx, 0, a.Length - 1)];
    }
}
