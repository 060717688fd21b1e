using System.Text.Json.Nodes;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Cli.Lessons;

/// <summary>
/// The figure a lesson run keeps up to date in its folder (plot.json), which the dashboard's Learn page draws
/// beside the narration and the terminal summarises at the end. The lesson's front matter picks the kind:
/// <list type="bullet">
/// <item>heights (the default): each node's head height over time and how many different heads the nodes
/// hold, so a fork shows as lines that part and a reorganisation as one that jumps onto another;</item>
/// <item>shares: each producer's share of the chain's blocks beside the share it should win: its stake (proof
/// of stake: the VRF lottery), its hash power (proof of work) or one in N (proof of authority);</item>
/// <item>selfish: the selfish miner's share of the chain's blocks against Eyal and Sirer's curve of what
/// selfish mining earns for each share of the hash power, and against the honest line.</item>
/// </list>
/// Everything is read from the lesson's devnet (the samples the run takes anyway and the first live honest
/// node's blocks), never from what the lab meant to happen.
/// </summary>
public static class LessonPlot
{
    public static readonly string[] Kinds = ["heights", "shares", "selfish"];
    public const string FileName = "plot.json";

    /// <summary>
    /// Eyal and Sirer's (2014) relative revenue of a selfish miner with share a of the hash power, when a share g
    /// of the honest miners mine on its block in a tie: R = [a(1−a)²(4a + g(1−2a)) − a³] / [1 − a(1 + (2−a)a)].
    /// Above a (R > a) selfish mining pays; at g = 0 that starts at a = 1/3.
    /// </summary>
    public static double SelfishRevenue(double a, double g) =>
        (a * (1 - a) * (1 - a) * (4 * a + g * (1 - 2 * a)) - a * a * a) / (1 - a * (1 + (2 - a) * a));

    /// <summary>Writes the figure every two seconds until ct fires, and once more then.</summary>
    public static async Task WriteLoopAsync(Lesson lesson, Observations o, string dir, CancellationToken ct)
    {
        var path = Path.Combine(dir, FileName);
        while (true)
        {
            var stopping = ct.IsCancellationRequested;
            try
            {
                using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var plot = await BuildAsync(lesson, o, stopping ? last.Token : ct);
                var tmp = path + ".tmp";
                await File.WriteAllTextAsync(tmp, plot.ToJsonString(), CancellationToken.None);
                File.Move(tmp, path, overwrite: true);
            }
            // A figure is never worth a lesson's result: whatever goes wrong here is traced and the next try made.
            catch (Exception e) { if (Environment.GetEnvironmentVariable("CHAINLAB_LAB_TRACE") is not null) Console.Error.WriteLine($"plot: {e.Message}"); }
            if (stopping) return;
            try { await Task.Delay(2000, ct); }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>The figure as it stands: kind, title, and the series of that kind.</summary>
    public static async Task<JsonObject> BuildAsync(Lesson lesson, Observations o, CancellationToken ct)
    {
        var kind = lesson.Front.Plot;
        return kind switch
        {
            "shares" => await Shares(lesson, o, selfish: false, ct),
            "selfish" => await Shares(lesson, o, selfish: true, ct),
            _ => Heights(o),
        };
    }

    private static JsonObject Heights(Observations o)
    {
        List<Sample> samples;
        lock (o.Samples) samples = o.Samples.TakeLast(600).ToList();
        var nodes = samples.SelectMany(s => s.Nodes.Select(n => n.Node)).Distinct().Order().ToList();
        var series = new JsonArray();
        foreach (var n in nodes)
            series.Add(new JsonObject
            {
                ["name"] = $"node{n}",
                ["honest"] = o.Honest.Contains(n),
                ["points"] = new JsonArray(samples.SelectMany(s => s.Nodes.Where(x => x.Node == n && x.Up)
                    .Select(x => (JsonNode)new JsonArray(s.T, x.Height))).ToArray()),
            });
        var heads = new JsonArray(samples.Select(s => (JsonNode)new JsonArray(s.T, s.Nodes.Where(x => x.Up).Select(x => x.Hash).Distinct().Count())).ToArray());
        return new JsonObject
        {
            ["kind"] = "heights",
            ["title"] = "Head height of each node over time (seconds); heads: how many different heads the nodes hold",
            ["series"] = series,
            ["heads"] = heads,
        };
    }

    /// <summary>Each producer's blocks on the first live honest node's chain, against the share it should have.</summary>
    private static async Task<JsonObject> Shares(Lesson lesson, Observations o, bool selfish, CancellationToken ct)
    {
        var f = lesson.Front;
        var source = o.Honest.Order().FirstOrDefault(o.Running);
        var counts = new Dictionary<int, int>();
        var total = 0;
        var expected = new Dictionary<int, double>();
        if (source > 0 && await o.GetAsync(source, "/api/v1/status", ct) is { } status)
        {
            var head = status["headHeight"]!.GetValue<ulong>();
            for (var from = 1UL; from <= head && from < 2000; from += 100)
            {
                var page = await o.GetAsync(source, $"/api/v1/blocks?from={from}&limit=100", ct);
                foreach (var b in page?["blocks"]?.AsArray() ?? [])
                {
                    var key = b!["producerKey"]!.GetValue<string>();
                    var who = o.ProducerKeys.FirstOrDefault(p => p.Value == key).Key;
                    counts[who] = counts.GetValueOrDefault(who) + 1;
                    total++;
                }
            }
            if (f.Engine == "pos")
            {
                var validators = status["engine"]?["validators"]?.AsArray() ?? [];
                var stake = validators.Sum(v => (double)v!["epochStake"]!.GetValue<ulong>());
                foreach (var v in validators)
                {
                    var who = o.ProducerKeys.FirstOrDefault(p => p.Value == v!["key"]!.GetValue<string>()).Key;
                    if (who > 0 && stake > 0) expected[who] = v!["epochStake"]!.GetValue<ulong>() / stake;
                }
            }
        }
        var producers = f.Engine == "poa" ? f.Authorities : f.Nodes;
        for (var n = 1; n <= producers; n++)
            if (!expected.ContainsKey(n) && f.Engine != "pos")
                expected[n] = f.HashPower is { } hp ? hp[n - 1] / 100.0 : 1.0 / producers;
        var bars = new JsonArray();
        foreach (var n in Enumerable.Range(1, producers))
            bars.Add(new JsonObject
            {
                ["name"] = $"node{n}",
                ["honest"] = o.Honest.Contains(n),
                ["blocks"] = counts.GetValueOrDefault(n),
                ["share"] = total == 0 ? 0 : Math.Round((double)counts.GetValueOrDefault(n) / total, 4),
                ["expected"] = Math.Round(expected.GetValueOrDefault(n), 4),
            });
        var plot = new JsonObject
        {
            ["kind"] = selfish ? "selfish" : "shares",
            ["blocks"] = total,
            ["bars"] = bars,
            ["expectedIs"] = f.Engine switch { "pos" => "stake", "pow" => "hash power", _ => "one in N" },
        };
        if (!selfish)
        {
            plot["title"] = $"Each producer's share of the {total} blocks beside its share of the {plot["expectedIs"]}";
            return plot;
        }
        var attacker = lesson.Front.Malicious.FirstOrDefault(m => m.Behaviours.Contains("selfish-mine"))?.Node ?? 0;
        var alpha = expected.GetValueOrDefault(attacker);
        plot["title"] = $"The selfish miner's share of the {total} blocks against Eyal and Sirer's curve (γ = 0) and the honest line";
        plot["attacker"] = attacker == 0 ? null : $"node{attacker}";
        plot["alpha"] = Math.Round(alpha, 4);
        plot["observed"] = total == 0 ? 0 : Math.Round((double)counts.GetValueOrDefault(attacker) / total, 4);
        plot["predicted"] = Math.Round(Math.Max(0, SelfishRevenue(alpha, 0)), 4);
        plot["curve"] = new JsonArray(Enumerable.Range(0, 51).Select(i => i / 100.0)
            .Select(a => (JsonNode)new JsonArray(a, Math.Round(Math.Max(0, SelfishRevenue(a, 0)), 4))).ToArray());
        return plot;
    }

    /// <summary>Lines for the terminal's summary: the shares against what they should be, or nothing for heights.</summary>
    public static IEnumerable<string> Summary(JsonObject plot)
    {
        if (plot["bars"] is not JsonArray bars) yield break;
        yield return $"Blocks by producer ({plot["blocks"]} in all), against their share of the {plot["expectedIs"]}:";
        foreach (var b in bars)
            yield return $"  {b!["name"],-7} {b["blocks"],5} blocks  {b["share"]!.GetValue<double>() * 100,5:0.0} %  (should be {b["expected"]!.GetValue<double>() * 100:0.0} %)";
        if (plot["kind"]?.GetValue<string>() == "selfish" && plot["attacker"] is not null)
            yield return $"  the selfish miner {plot["attacker"]} with {plot["alpha"]!.GetValue<double>() * 100:0} % of the hash power: {plot["observed"]!.GetValue<double>() * 100:0.0} % of the blocks; Eyal and Sirer predict {plot["predicted"]!.GetValue<double>() * 100:0.0} % (γ = 0)";
    }
}
