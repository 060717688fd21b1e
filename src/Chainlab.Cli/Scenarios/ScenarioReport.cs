using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chainlab.Cli.Scenarios;

/// <summary>The figures of a run: what the network did under the scenario.</summary>
public static class Figures
{
    public static async Task<Dictionary<string, object>> MeasureAsync(Observations o, CancellationToken ct)
    {
        var f = new Dictionary<string, object>();
        int committed;
        lock (o.Sent) committed = o.Sent.Count(t => t.CommittedAt is not null);
        f["transactions sent"] = o.Sent.Count;
        f["transactions refused at submission"] = o.Rejected;
        f["transactions committed (reported at depth)"] = committed;
        var honestHeads = o.Samples.SelectMany(s => s.Nodes).Where(n => n.Up && o.Honest.Contains(n.Node)).ToList();
        f["heights with competing honest heads"] = honestHeads.GroupBy(n => n.Height).Count(g => g.Select(n => n.Hash).Distinct().Count() > 1);
        f["samples with honest heads differing"] = o.Samples.Count(s => !Checks.Converged(s, o));
        long reorgs = 0, bans = 0, slashes = 0;
        ulong deepest = 0, best = 0;
        foreach (var n in o.LiveHonest)
        {
            if (await o.GetAsync(n, "/api/v1/status", ct) is { } st)
            {
                reorgs += st["forks"]!["reorgs"]!.GetValue<long>();
                deepest = Math.Max(deepest, st["forks"]!["deepestReorg"]!.GetValue<ulong>());
                best = Math.Max(best, st["headHeight"]!.GetValue<ulong>());
                slashes = Math.Max(slashes, st["engine"]?["slashed"]?.AsArray().Count ?? 0);
            }
            if (await o.GetAsync(n, "/api/v1/peers", ct) is { } p) bans += p["banned"]!.AsArray().Count;
        }
        f["best honest height"] = best;
        f["reorganisations on honest nodes"] = reorgs;
        f["deepest reorganisation"] = deepest;
        f["slashes"] = slashes;
        f["bans held by honest nodes"] = bans;
        // Each malicious producer's share of the blocks on the first live honest node's chain (selfish mining:
        // compare with its share of the producing power, equal for every node of a scenario).
        if (o.LiveHonest.Count > 0 && o.Scenario.Malicious.Count > 0)
        {
            var producers = new Dictionary<string, int>();
            await foreach (var h in o.HeadersAsync(o.LiveHonest[0], ct))
            {
                var k = h["producerKey"]!.GetValue<string>();
                producers[k] = producers.GetValueOrDefault(k) + 1;
            }
            var total = producers.Values.Sum();
            var makers = o.Scenario.Network.Consensus == "poa" ? o.Scenario.Network.Authorities : o.Scenario.Network.Nodes;
            foreach (var m in o.Scenario.Malicious.Where(m => o.ProducerKeys.ContainsKey(m.Node)))
                f[$"share of blocks by node{m.Node} ({string.Join('+', m.Behaviours)})"] =
                    $"{producers.GetValueOrDefault(o.ProducerKeys[m.Node])} of {total} = {100.0 * producers.GetValueOrDefault(o.ProducerKeys[m.Node]) / Math.Max(1, total):0.0} % (1 of {makers} producers: {100.0 / makers:0.0} %)";
        }
        // Proof of work: the hashes each node tried in the run, its real share of the mining power (one thread
        // each on shared cores is not a third each: importing, restarts and the load take turns on the cores).
        if (o.Scenario.Network.Consensus == "pow")
        {
            var tried = new List<(int Node, double Hashes)>();
            for (var n = 1; n <= o.Scenario.Network.Nodes; n++)
                if (await o.GetAsync(n, "/api/v1/status", ct) is { } st && st["engine"]?["hashesTried"]?.GetValue<double>() is { } h) tried.Add((n, h));
            if (o.LiveHonest.Count > 0 && await o.GetAsync(o.LiveHonest[0], "/api/v1/status", ct) is { } first && first["engine"]?["difficulty"] is { } d)
                f["difficulty at the end (the chain spec starts at)"] = $"{d} ({o.Spec.Consensus.InitialDifficulty})";
            var sum = tried.Sum(x => x.Hashes);
            if (sum > 0) f["hashes tried by node (share of the mining power)"] = string.Join(", ", tried.Select(x => $"node{x.Node} {x.Hashes / 1e6:0} M ({100 * x.Hashes / sum:0.0} %)"));
        }
        // Time to converge after each heal, resume or restart.
        foreach (var h in o.Timeline.Where(e => e.What.StartsWith("fault: heal") || e.What.StartsWith("fault: resume") || e.What.StartsWith("fault: restart")))
        {
            var first = o.Samples.FirstOrDefault(s => s.T >= h.T && Checks.Converged(s, o));
            f[$"seconds to one head after {h.What[7..]} at {h.T:0.#} s"] = first is null ? "never" : Math.Round(first.T - h.T, 1);
        }
        return f;
    }
}

/// <summary>A scenario's report: setup, verdicts with evidence, timeline and figures, as Markdown and JSON.</summary>
public sealed record ScenarioReport(Scenario Scenario, DateTimeOffset Started, TimeSpan Took, IReadOnlyList<Verdict> Verdicts,
    IReadOnlyList<TimelineEntry> Timeline, IReadOnlyDictionary<string, object> Figures)
{
    public bool Passed => Verdicts.All(v => v.Passes);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(new
    {
        scenario = Scenario.Name, about = Scenario.About, started = Started, seconds = Math.Round(Took.TotalSeconds, 1), passed = Passed,
        network = Scenario.Network, load = Scenario.Load, duration = Scenario.Duration, settle = Scenario.Settle,
        malicious = Scenario.Malicious, testOnly = Scenario.TestOnly,
        verdicts = Verdicts, timeline = Timeline, figures = Figures,
    }, Json);

    public string ToMarkdown()
    {
        var s = Scenario;
        var md = new StringBuilder();
        md.AppendLine($"# Scenario {s.Name}: {(Passed ? "PASSED" : "FAILED")}").AppendLine();
        if (s.About.Length > 0) md.AppendLine(s.About.Trim()).AppendLine();
        md.AppendLine($"Run {Started:yyyy-MM-dd HH:mm:ss} UTC, {Took.TotalSeconds:0} s: {s.Network.Nodes} {s.Network.Consensus} nodes on {s.Network.Backend}, block time {s.Network.BlockTime}, load {s.Load.Rate} {s.Load.Mix}/s for {s.Duration}, settle {s.Settle}.");
        if (s.Malicious.Count > 0) md.AppendLine($"Malicious: {string.Join(", ", s.Malicious.Select(m => $"node {m.Node} ({string.Join(", ", m.Behaviours)})"))}.");
        if (s.TestOnly?.DisableDefence is { Count: > 0 } off) md.AppendLine($"**Test only:** defences switched off on the honest nodes: {string.Join(", ", off)}.");
        md.AppendLine().AppendLine("## Verdicts").AppendLine().AppendLine("| Invariant | Verdict | Evidence |").AppendLine("|---|---|---|");
        foreach (var v in Verdicts) md.AppendLine($"| {v.Check} | {(v.Exercised && !v.Holds ? "**BROKEN**" : v.Outcome + (v.Required && !v.Exercised ? " (**required**)" : ""))} | {Cell(v.Evidence)} |");
        md.AppendLine().AppendLine("## Figures").AppendLine().AppendLine("| Figure | Value |").AppendLine("|---|---|");
        foreach (var (k, v) in Figures) md.AppendLine($"| {k} | {v} |");
        md.AppendLine().AppendLine("## Timeline").AppendLine().AppendLine("| Time (s) | Event |").AppendLine("|---|---|");
        foreach (var e in Timeline) md.AppendLine($"| {e.T:0.0} | {Cell(e.What)} |");
        return md.ToString();
    }

    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");
}
