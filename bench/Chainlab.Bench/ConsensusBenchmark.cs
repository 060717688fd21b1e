using Chainlab.Node.Hosting;
using System.Diagnostics;
using Chainlab.Core.Consensus.Pow;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node;
using Microsoft.Extensions.Logging;

using Chainlab.Cli.Processes;

namespace Chainlab.Bench;

/// <summary>Costs of the consensus engines: proof-of-work hashing, VRF prove and verify, block import per engine.</summary>
public sealed class ConsensusBenchmark(TextWriter output)
{
    /// <summary>Double SHA-256 attempts per second (the mining inner loop) on this many threads.</summary>
    public static double PowHashesPerSecond(int threads, TimeSpan duration)
    {
        var work = System.Security.Cryptography.SHA256.HashData("chainlab bench work header"u8);
        long total = 0;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            ulong nonce = (ulong)t << 40, sink = 0;
            long n = 0;
            while (sw.Elapsed < duration)
            {
                for (var i = 0; i < 4096; i++) sink ^= PowEngine.Work(work, nonce++);
                n += 4096;
            }
            Interlocked.Add(ref total, n + (long)(sink & 0));
        });
        return total / sw.Elapsed.TotalSeconds;
    }

    /// <summary>VRF proofs made and checked per second on one thread.</summary>
    public static (double Prove, double Verify) VrfPerSecond(int n)
    {
        var key = KeyPair.FromRandom(new Random(9381));
        var proofs = new byte[n][];
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) proofs[i] = Vrf.Prove(key.Seed, BitConverter.GetBytes(i));
        var prove = n / sw.Elapsed.TotalSeconds;
        sw.Restart();
        for (var i = 0; i < n; i++)
            if (Vrf.Verify(key.PublicKey, proofs[i], BitConverter.GetBytes(i)) is null) throw new InvalidOperationException("a VRF proof did not verify");
        return (prove, n / sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Builds a chain of empty blocks with one producer of the engine on one in-process node, then times
    /// importing all of them on a fresh node through the import pipeline. Returns microseconds per block.
    /// </summary>
    public async Task<double> ImportMicrosPerBlock(string engine, int blocks, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-consensus-bench-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        try
        {
            const ulong blockMs = 1000;
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var producer = KeyPair.FromRandom(new Random(21));
            var pub = Convert.ToHexStringLower(producer.PublicKey);
            var spec = new ChainSpec
            {
                ChainId = "consensus-bench", GenesisTimeMs = now - now % blockMs - (ulong)(blocks + 10) * blockMs, BlockTimeMs = blockMs, BlockReward = 10,
                Consensus = engine switch
                {
                    // One validator that wins every slot (f = 1), and work so easy it is found at once: the figure is the cost of checking.
                    "pos" => new ConsensusSpec { Engine = "pos", ActiveSlotsPpm = 1_000_000, Validators = [new GenesisValidator(pub, 1_000)] },
                    "pow" => new ConsensusSpec { Engine = "pow", InitialDifficulty = 1, RetargetInterval = 1_000_000_000 },
                    _ => new ConsensusSpec { Engine = "poa", Authorities = [pub], Admin = pub },
                },
            };
            var built = new List<Block>(blocks);
            await using (var a = await NodeHost.StartAsync(new NodeOptions { DataDir = Path.Combine(dir, "a"), Spec = spec, LogLevel = LogLevel.Warning }, ct))
            {
                for (ulong slot = 1; built.Count < blocks; slot++)
                {
                    var at = engine == "pow" ? spec.GenesisTimeMs + slot : spec.GenesisTimeMs + slot * blockMs;
                    var (block, r) = await a.Loop.Run(() => a.Chain.ProduceAt(at, producer));
                    if (block is null || r.Status != Node.Chain.ImportStatus.Imported) throw new InvalidOperationException($"{engine}: block not produced: {r.Reason}");
                    built.Add(block);
                }
            }
            await using var b = await NodeHost.StartAsync(new NodeOptions { DataDir = Path.Combine(dir, "b"), Spec = spec, LogLevel = LogLevel.Warning }, ct);
            var sw = Stopwatch.StartNew();
            foreach (var block in built)
            {
                var r = await b.Loop.Run(() => b.Chain.Import(block));
                if (r.Status != Node.Chain.ImportStatus.Imported) throw new InvalidOperationException($"{engine}: import failed: {r.Reason}");
            }
            var micros = sw.Elapsed.TotalMicroseconds / blocks;
            output.WriteLine($"{engine}: imported {blocks} empty blocks in {sw.Elapsed.TotalSeconds:0.00} s = {micros:N0} µs per block");
            return micros;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
