using Chainlab.Node.Hosting;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node;
using Microsoft.Extensions.Logging;

using Chainlab.Cli.Processes;

namespace Chainlab.Bench;

/// <summary>
/// Builds a chain of N blocks (through the normal produce-and-import path, in-process, with
/// timestamps in the past), then measures how long a `node run` process takes to answer its API.
/// </summary>
public sealed class StartupBenchmark(int blocks, int runs, string? postgres, Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    /// <summary>A proof-of-authority chain of empty blocks in dataDir, through the normal produce-and-import path, timestamps in the past.</summary>
    public static async Task BuildChainAsync(string dataDir, int blocks, string? postgres, TextWriter output, CancellationToken ct)
    {
        var rng = new Random(5);
        var authority = KeyPair.FromRandom(rng);
        var keys = Enumerable.Range(0, 1000).Select(_ => KeyPair.FromRandom(rng)).ToArray();
        const ulong blockMs = 1000;
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var genesis = now - now % blockMs - (ulong)(blocks + 10) * blockMs;
        var spec = new ChainSpec
        {
            ChainId = "startup", GenesisTimeMs = genesis, BlockTimeMs = blockMs, BlockReward = 1,
            Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(authority.PublicKey)], Admin = Convert.ToHexStringLower(authority.PublicKey) },
            Alloc = keys.ToDictionary(k => k.Address.ToString(), _ => 1_000_000UL),
        };
        var sw = Stopwatch.StartNew();
        await using var node = await NodeHost.StartAsync(new NodeOptions { DataDir = dataDir, Spec = spec, Postgres = postgres, LogLevel = LogLevel.Warning }, ct);
        for (ulong slot = 1; slot <= (ulong)blocks; slot++)
        {
            var s = slot;
            var (_, result) = await node.Loop.Run(() => node.Chain.Produce(s, authority));
            if (result.Status != Node.Chain.ImportStatus.Imported) throw new InvalidOperationException($"block for slot {s}: {result.Reason}");
            if (slot % 20_000 == 0) output.WriteLine($"  built {slot} blocks ({sw.Elapsed.TotalSeconds:0} s)");
        }
    }

    public async Task<IReadOnlyList<double>> RunAsync(CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-startup-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        var pg = postgres is null ? null : Node.Storage.Postgres.PostgresChainStore.ForSchema(postgres, $"chainlab_startup_{Environment.ProcessId}");
        try
        {
            var sw = Stopwatch.StartNew();
            await BuildChainAsync(Path.Combine(dir, "data"), blocks, pg, output, ct);
            output.WriteLine($"built {blocks} blocks in {sw.Elapsed.TotalSeconds:0.0} s");
            var times = new List<double>();
            for (var r = 0; r < runs; r++)
            {
                List<string> args = ["node", "run", "--data", Path.Combine(dir, "data")];
                if (pg is not null) args.AddRange(["--db", pg]);
                var start = Stopwatch.StartNew();
                await using var node = await NodeLauncher.StartAsync(launchNode, args, withPeers: false, ct);
                var seconds = start.Elapsed.TotalSeconds;
                var height = (await node.Http.GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>();
                output.WriteLine($"run {r + 1}: head {height} served after {seconds:0.00} s");
                times.Add(seconds);
            }
            return times;
        }
        finally
        {
            if (pg is not null) try { Node.Storage.Postgres.PostgresChainStore.DropSchema(pg); } catch (Node.Storage.StoreException) { }
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
