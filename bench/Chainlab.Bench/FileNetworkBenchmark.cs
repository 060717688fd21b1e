using Chainlab.Node.Hosting;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node;
using Chainlab.Node.Files;
using Chainlab.Node.Network.Peers;
using Microsoft.Extensions.Logging;

namespace Chainlab.Bench;

/// <summary>Files between nodes: a fetch over loopback between two node processes, and DHT lookups in networks of N nodes.</summary>
public sealed class FileNetworkBenchmark(Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    private static ChainSpec Spec(KeyPair key)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new ChainSpec
        {
            ChainId = "bench-files", GenesisTimeMs = now - now % 1000, BlockTimeMs = 1000,
            Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(key.PublicKey)], Admin = Convert.ToHexStringLower(key.PublicKey) },
        };
    }

    /// <summary>MB/s of a node process fetching a file it lacks from the node process that has it (DHT lookup included).</summary>
    public async Task<double> Fetch(long bytes, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("chainlab-bench-fetch").FullName;
        try
        {
            var specPath = Path.Combine(dir, "spec.json");
            await File.WriteAllTextAsync(specPath, Spec(KeyPair.Generate()).ToJson(), ct);
            await using var a = await NodeLauncher.StartAsync(launchNode, ["node", "run", "--data", Path.Combine(dir, "a"), "--spec", specPath], withPeers: true, ct);
            await using var b = await NodeLauncher.StartAsync(launchNode, ["node", "run", "--data", Path.Combine(dir, "b"), "--spec", specPath, "--bootstrap", $"127.0.0.1:{a.P2PPort}"], withPeers: true, ct);
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var up = await http.PostAsync($"{a.Http.BaseAddress}api/v1/files", new StreamContent(new FileBenchmark.Generated(bytes), 256 * 1024) { Headers = { ContentType = new("application/octet-stream") } }, ct);
            var cid = (await up.Content.ReadFromJsonAsync<JsonObject>(ct))!["cid"]!.GetValue<string>();
            await Task.Delay(3000, ct); // the announcement reaches b's DHT
            var sw = Stopwatch.StartNew();
            var r = await http.GetAsync($"{b.Http.BaseAddress}api/v1/files/{cid}", ct);
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"fetch failed: {await r.Content.ReadAsStringAsync(ct)}");
            return bytes / sw.Elapsed.TotalSeconds / 1e6;
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Lookups in a network of n in-process nodes over loopback TCP: rounds and time to find a file's provider and the nodes closest to random keys.</summary>
    public async Task<(double ProviderHops, double ProviderMs, double NodeHops, double NodeMs, int MaxHops)> Lookups(int n, CancellationToken ct)
    {
        var key = KeyPair.Generate();
        var spec = Spec(key);
        var nodes = new List<NodeHost>();
        var dirs = new List<string>();
        try
        {
            for (var i = 0; i < n; i++)
            {
                var dir = Directory.CreateTempSubdirectory("chainlab-bench-dht").FullName;
                dirs.Add(dir);
                nodes.Add(await NodeHost.StartAsync(new NodeOptions
                {
                    DataDir = dir, Spec = spec, ApiPort = 0, LogLevel = LogLevel.Warning, ProducerKey = i == 0 ? key : null,
                    Peers = new PeerOptions
                    {
                        Port = 0, DialInterval = TimeSpan.FromMilliseconds(300),
                        Bootstrap = i == 0 ? [] : [new IPEndPoint(IPAddress.Loopback, nodes[i - 1].Network!.Port)],
                    },
                }, ct));
            }
            var until = DateTime.UtcNow.AddSeconds(60);
            while (nodes.Any(x => x.Network!.Peers.Count < Math.Min(4, n - 1)) && DateTime.UtcNow < until) await Task.Delay(200, ct);
            await Task.Delay(2000, ct);
            var file = await nodes[0].Core.Files.AddAsync(new MemoryStream("a file to find"u8.ToArray()), new FileAddRequest(null, null, 0), ct);
            await nodes[0].Network!.Dht.ProvideAsync(file.Cid, ct);
            var ph = new List<double>(); var pm = new List<double>(); var nh = new List<double>(); var nm = new List<double>();
            var max = 0;
            var random = new Random(5);
            foreach (var node in nodes.Skip(1))
            {
                var sw = Stopwatch.StartNew();
                var found = await node.Network!.Dht.FindProvidersAsync(file.Cid, ct);
                pm.Add(sw.Elapsed.TotalMilliseconds);
                ph.Add(found.Hops);
                max = Math.Max(max, found.Hops);
                var target = new byte[32];
                random.NextBytes(target);
                sw.Restart();
                var closest = await node.Network.Dht.LookupAsync(new Hash(target), providers: false, ct);
                nm.Add(sw.Elapsed.TotalMilliseconds);
                nh.Add(closest.Hops);
                max = Math.Max(max, closest.Hops);
                if (!found.Providers.Any(p => p.Id == nodes[0].Network!.Dht.SelfId)) output.WriteLine($"  a node did not find the provider ({found.Queried} asked)");
            }
            var m = ThroughputBenchmark.Median;
            return (m(ph), m(pm), m(nh), m(nm), max);
        }
        finally
        {
            foreach (var x in nodes) await x.DisposeAsync();
            foreach (var d in dirs) try { Directory.Delete(d, true); } catch (IOException) { }
        }
    }
}
