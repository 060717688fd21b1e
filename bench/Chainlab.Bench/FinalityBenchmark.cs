using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli;
using Chainlab.Cli.Devnets;
using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;

namespace Chainlab.Bench;

/// <summary>
/// Finality (issue 26, docs/BENCHMARKS.md): how long a checkpoint takes to become final on a devnet of node
/// processes, vote signatures checked one by one and in a batch, and what votes add to blocks.
/// </summary>
public static class FinalityBenchmark
{
    /// <summary>Votes verified per second: one after another on one thread, and as a batch over every core (as a vote transaction or a Votes frame is checked).</summary>
    public static (double Sequential, double Batch) VerifyPerSecond(int n)
    {
        var keys = Enumerable.Range(0, 16).Select(i => KeyPair.FromRandom(new Random(i))).ToArray();
        var votes = Enumerable.Range(0, n).Select(i => Vote.Create(keys[i % keys.Length], "chainlab-devnet",
            new Checkpoint((ulong)i * 8, Hash.Sha256(BitConverter.GetBytes(i))), new Checkpoint((ulong)i * 8 + 8, Hash.Sha256(BitConverter.GetBytes(-i))))).ToArray();
        foreach (var v in votes.Take(50)) v.VerifySignature(); // warm up
        var sw = Stopwatch.StartNew();
        var ok = 0;
        foreach (var v in votes) if (v.VerifySignature()) ok++;
        var sequential = n / sw.Elapsed.TotalSeconds;
        sw.Restart();
        var bad = new bool[n];
        Parallel.For(0, n, i => bad[i] = !votes[i].VerifySignature());
        var batch = n / sw.Elapsed.TotalSeconds;
        if (ok != n || bad.Any(b => b)) throw new InvalidOperationException("a vote did not verify");
        return (sequential, batch);
    }

    /// <summary>Bytes of one vote, and of a vote transaction carrying n votes (the devnet's chain id).</summary>
    public static (int Vote, int Transaction) Sizes(int n)
    {
        var key = KeyPair.FromRandom(new Random(1));
        var votes = Enumerable.Range(0, n).Select(_ => Vote.Create(key, "chainlab-devnet", new Checkpoint(0, Hash.Zero), new Checkpoint(8, Hash.Zero))).ToList();
        var tx = Transaction.Create(key, "chainlab-devnet", TxKind.Vote, 0, 0, Address.Zero, 0, VoteBatch.Encode(votes));
        return (votes[0].Raw.Length, tx.Raw.Length);
    }

    /// <summary>
    /// Starts a devnet of node processes with finality (as `devnet up --finality` does) and times each checkpoint
    /// from the moment node 1's head reaches it to the moment node 1 reports it final (server-sent events), in
    /// seconds and in blocks past it; returns one row per checkpoint.
    /// </summary>
    public static async Task<List<(ulong Checkpoint, double Seconds, ulong BlocksPast)>> TimeToFinalityAsync(string engine, int nodes, ulong blockMs, int checkpoints,
        TextWriter output, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-finality-bench-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var keys = Path.Combine(dir, "keys");
        var spec = DevnetGenesis.Create(keys, blockMs, 4, engine, nodes, engine == "poa" ? nodes : 1, finality: true);
        File.WriteAllText(Path.Combine(dir, Chainlab.Node.Hosting.NodeCore.SpecFileName), spec.ToJson());
        var settings = new DevnetSettings
        {
            Nodes = nodes, Consensus = engine, Authorities = engine == "poa" ? nodes : 1,
            ApiPort = Chainlab.Cli.Processes.LoopbackPort.FreeRange(nodes), P2PPort = Chainlab.Cli.Processes.LoopbackPort.FreeRange(nodes),
        };
        settings.Save(dir);
        var interval = FinalityVoters.CheckpointInterval(spec)!.Value;
        await using var devnet = new DevnetSupervisor(dir, settings);
        await devnet.StartAsync(ct);
        output.WriteLine($"{nodes} {engine} nodes up (checkpoint every {interval} blocks, votes {spec.Finality!.VoteDepth} deep, block time {blockMs} ms); timing {checkpoints} checkpoints");
        var clock = Stopwatch.StartNew();
        var connected = new Dictionary<ulong, double>();
        var final = new Dictionary<ulong, (double T, ulong Head)>();
        ulong head = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(TimeSpan.FromSeconds(60 + (double)checkpoints * interval * blockMs / 1000.0 * 4));
        using var sse = new HttpClient { BaseAddress = devnet.Api(1).BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var reader = new StreamReader(await sse.GetStreamAsync("/api/v1/events", stop.Token));
        var first = (await devnet.Api(1).GetFromJsonAsync<JsonObject>("/api/v1/status", ct))!["headHeight"]!.GetValue<ulong>() / interval * interval + interval;
        var last = first + (ulong)(checkpoints - 1) * interval;
        string? type = null, line;
        try
        {
            while (!final.ContainsKey(last) && (line = await reader.ReadLineAsync(stop.Token)) is not null)
            {
                if (line.StartsWith("event: ")) { type = line[7..]; continue; }
                if (!line.StartsWith("data: ")) continue;
                var data = JsonNode.Parse(line[6..])!;
                var height = data["height"]?.GetValue<ulong>() ?? 0;
                if (type == "head")
                {
                    head = Math.Max(head, height);
                    // The first head at or past a checkpoint is when the node holds it (heads can move two blocks at once).
                    for (var c = first; c <= Math.Min(head, last); c += interval) connected.TryAdd(c, clock.Elapsed.TotalSeconds);
                }
                if (type == "finalized")
                    // A finalised event names the newest final checkpoint; those it passed over are final at the same moment.
                    for (var c = height; c >= first && !final.ContainsKey(c); c -= interval) final[c] = (clock.Elapsed.TotalSeconds, head);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { output.WriteLine("(stopped at the time limit)"); }
        var rows = new List<(ulong, double, ulong)>();
        for (var c = first; c <= last; c += interval)
            if (connected.TryGetValue(c, out var t0) && final.TryGetValue(c, out var f)) rows.Add((c, f.T - t0, f.Head - c));
        try { Directory.Delete(dir, true); } catch (IOException) { }
        return rows;
    }
}
