using Chainlab.Core.Rules;
using System.Numerics;
using System.Text.Json.Nodes;

namespace Chainlab.Cli.Scenarios;

/// <summary>
/// An invariant's outcome, with the evidence for it. A check that found nothing to test (no block got deep
/// enough, no heal, no node ever linked to a malicious one) is not exercised: neither holds nor broken. It fails
/// the run only when the scenario says the check must be exercised (Required).
/// </summary>
public sealed record Verdict(string Check, bool Holds, string Evidence, bool Exercised = true, bool Required = false)
{
    public static Verdict NotExercised(string check, string why) => new(check, false, why, Exercised: false);

    /// <summary>holds, BROKEN, or not exercised.</summary>
    public string Outcome => !Exercised ? "not exercised" : Holds ? "holds" : "BROKEN";

    /// <summary>Whether the run may pass with this verdict.</summary>
    public bool Passes => Exercised ? Holds : !Required;
}

/// <summary>
/// The invariants a scenario may ask for. Each is checked on what the run observed and on the honest nodes
/// as they are at the end (after the settle time); each says why it holds or what broke it.
/// </summary>
public static class Checks
{
    public static readonly string[] Known =
        ["identical-below", "no-lost-commits", "supply-conserved", "equivocation-slashed", "malicious-banned", "converges-after-heal", "blocks-keep-coming", "not-eclipsed", "valid-seals",
         "final-never-reverts", "no-conflicting-finality", "finality-halts", "finality-resumes", "vote-offences-punished"];

    /// <summary>The finality invariants: asking for one makes the run sample each honest node's last final checkpoint.</summary>
    public static readonly string[] Finality = ["final-never-reverts", "no-conflicting-finality", "finality-halts", "finality-resumes", "vote-offences-punished"];

    public static async Task<Verdict> RunAsync(Scenario.InvariantPart inv, Observations o, CancellationToken ct) =>
        (await Run(inv, o, ct)) with { Required = inv.MustExercise };

    private static Task<Verdict> Run(Scenario.InvariantPart inv, Observations o, CancellationToken ct) => inv.Check switch
    {
        "identical-below" => IdenticalBelow(inv.Depth, o, ct),
        "no-lost-commits" => NoLostCommits(inv.Depth, o, ct),
        "supply-conserved" => SupplyConserved(o, ct),
        "equivocation-slashed" => EquivocationSlashed(o, ct),
        "malicious-banned" => MaliciousBanned(o, inv.By, ct),
        "converges-after-heal" => Task.FromResult(ConvergesAfterHeal(Scenario.Span(inv.Within ?? "30s", "within"), o)),
        "blocks-keep-coming" => Task.FromResult(BlocksKeepComing(Scenario.Span(inv.MaxGap ?? "10s", "maxGap"), o)),
        "not-eclipsed" => Task.FromResult(NotEclipsed(o)),
        "valid-seals" => ValidSeals(o, ct),
        "final-never-reverts" => FinalNeverReverts(o, ct),
        "no-conflicting-finality" => NoConflictingFinality(o, ct),
        "finality-halts" => Task.FromResult(FinalityHalts(o)),
        "finality-resumes" => Task.FromResult(FinalityResumes(o)),
        "vote-offences-punished" => VoteOffencesPunished(o, ct),
        _ => throw new ArgumentException($"unknown invariant {inv.Check}"),
    };

    /// <summary>Honest nodes have the same block at (lowest honest height − depth), so, the blocks being chained by hash, the same blocks below it.</summary>
    private static async Task<Verdict> IdenticalBelow(int depth, Observations o, CancellationToken ct)
    {
        const string name = "identical-below";
        if (o.LiveHonest.Count < 1) return new(name, false, "no honest node answers at the end");
        var heights = new Dictionary<int, ulong>();
        foreach (var n in o.LiveHonest)
            if (await o.GetAsync(n, "/api/v1/status", ct) is { } s) heights[n] = s["headHeight"]!.GetValue<ulong>();
        if (heights.Count == 0) return new(name, false, "no honest node answered its status route at the end");
        var min = heights.Values.Min();
        if (min < (ulong)depth) return Verdict.NotExercised(name, $"the lowest honest head is {min}, not past depth {depth}: nothing to compare");
        var at = min - (ulong)depth;
        var hashes = new Dictionary<int, string>();
        foreach (var n in heights.Keys)
            hashes[n] = (await o.GetAsync(n, $"/api/v1/blocks/{at}", ct))?["header"]?["hash"]?.GetValue<string>() ?? "(none)";
        var distinct = hashes.Values.Distinct().ToList();
        return distinct.Count == 1
            ? new(name, true, $"{hashes.Count} honest nodes (heads {string.Join(", ", heights.Select(h => $"node{h.Key} {h.Value}"))}) have block {distinct[0][..16]} at height {at}")
            : new(name, false, $"at height {at}: " + string.Join(", ", hashes.Select(h => $"node{h.Key} {Short(h.Value)}")));
    }

    /// <summary>
    /// Nothing committed at the depth is lost: no honest node reorganised deeper than it, every block an honest node
    /// held with at least depth blocks on top (sampled twice a second) is still at its height on every live honest
    /// node, and every transaction of the load that an honest node reported committed at the depth is in every
    /// live honest node's chain. While a partition splits the honest nodes (from the partition until they show one
    /// head after the heal), a block held deep is one side's, not the network's: which side's branch wins is chance
    /// (in proof of work, whose side mined more), so what such a split undoes is reported, not counted as lost.
    /// </summary>
    private static async Task<Verdict> NoLostCommits(int depth, Observations o, CancellationToken ct)
    {
        const string name = "no-lost-commits";
        var splits = SplitSpans(o);
        bool Split(double t) => splits.Any(w => t >= w.From && t <= w.To);
        var lost = new List<string>();
        var undone = new HashSet<(ulong, string)>();
        var undoneTxs = 0;
        var finalHashes = new Dictionary<(int, ulong), string?>();
        foreach (var ((height, hash), (seenOn, t)) in o.DeepBlocks.OrderBy(b => b.Key.Height))
            foreach (var n in o.LiveHonest)
            {
                if (!finalHashes.TryGetValue((n, height), out var now))
                    finalHashes[(n, height)] = now = (await o.GetAsync(n, $"/api/v1/blocks/{height}", ct))?["header"]?["hash"]?.GetValue<string>();
                if (now == hash) continue;
                if (Split(t)) undone.Add((height, hash));
                else if (lost.Count < 10) lost.Add($"block {height} {hash[..16]}, at depth {depth} on node{seenOn} at {t:0.0} s, is {(now is null ? "missing" : now[..16])} on node{n}");
            }
        // A reorganisation deeper than the depth undid a block that was that deep, seen or not between two samples;
        // one that came while the honest nodes were split (or as they came together) is the split's.
        var splitReorg = 0UL;
        foreach (var n in o.Honest.Order())
        {
            ulong before = 0, deepest = 0;
            double last = 0;
            var first = true;
            foreach (var x in o.Samples.Select(s => (s.T, Node: s.Nodes.FirstOrDefault(y => y.Node == n && y.Up))).Where(x => x.Node is not null))
            {
                // What the node reorganised before the run began (the network forming) is not the run's.
                if (first) { (before, first, last) = (x.Node!.DeepestReorg, false, x.T); continue; }
                if (x.Node!.DeepestReorg < before) before = 0; // the node restarted: its figure began again
                if (x.Node!.DeepestReorg > before)
                {
                    if (Split(x.T) || Split(last)) splitReorg = Math.Max(splitReorg, x.Node.DeepestReorg);
                    else deepest = Math.Max(deepest, x.Node.DeepestReorg);
                    before = x.Node.DeepestReorg;
                }
                last = x.T;
            }
            if (o.LiveHonest.Contains(n) && await o.GetAsync(n, "/api/v1/status", ct) is { } st && st["forks"]!["deepestReorg"]!.GetValue<ulong>() is var end && end > before)
            {
                if (Split(double.MaxValue)) splitReorg = Math.Max(splitReorg, end); // still split at the end
                else deepest = Math.Max(deepest, end);
            }
            if (deepest > (ulong)depth) lost.Add($"node{n} reorganised {deepest} blocks deep, undoing blocks that were {depth} deep");
        }
        var committed = o.Sent.Where(t => t.CommittedAt is not null).ToList();
        foreach (var n in o.LiveHonest)
            foreach (var t in committed)
            {
                if (lost.Count >= 10) break;
                var s = await o.GetAsync(n, $"/api/v1/transactions/{t.Hash}", ct);
                if (s?["status"]?.GetValue<string>() == "included") continue;
                if (Split(t.CommittedAt!.Value)) { undoneTxs++; continue; }
                lost.Add($"transaction {t.Hash[..16]} (committed at {t.Height} per node{t.ReportedBy}) is {s?["status"]?.GetValue<string>() ?? "unknown"} on node{n}");
            }
        var split = undone.Count + undoneTxs > 0 || splitReorg > (ulong)depth
            ? $"; while the network was split, {undone.Count} blocks held {depth} deep by one side were undone after the heal (deepest reorganisation {splitReorg}), and {undoneTxs} transaction reports with them: one side's commits, not the network's"
            : "";
        if (lost.Count > 0) return new(name, false, "lost: " + string.Join("; ", lost) + split);
        if (o.DeepBlocks.Count == 0) return Verdict.NotExercised(name, $"no honest node ever had a block {depth} deep: nothing was tested");
        return new(name, true, $"{o.DeepBlocks.Count - undone.Count} blocks held {depth} deep by honest nodes are all still in place; " +
            (o.Sent.Count == 0 ? "the scenario sent no transactions" : $"{committed.Count} of {o.Sent.Count} sent transactions were reported committed at depth {depth}, and all are in the chains of {o.LiveHonest.Count} honest nodes") + split);
    }

    /// <summary>When a partition split the honest nodes: from each partition to the first sample with one honest head after the heal that ended it (open when never healed or never one head).</summary>
    internal static List<(double From, double To)> SplitSpans(Observations o)
    {
        var spans = new List<(double, double)>();
        List<TimelineEntry> faults;
        lock (o.Timeline) faults = o.Timeline.Where(e => e.What.StartsWith("fault: ")).OrderBy(e => e.T).ToList();
        for (var i = 0; i < faults.Count; i++)
        {
            if (!faults[i].What.StartsWith("fault: partition")) continue;
            var heal = faults.Skip(i + 1).FirstOrDefault(e => e.What.StartsWith("fault: heal"));
            var end = heal is null ? double.MaxValue : o.Samples.FirstOrDefault(s => s.T >= heal.T && Converged(s, o))?.T ?? double.MaxValue;
            spans.Add((faults[i].T, end));
        }
        return spans;
    }

    /// <summary>
    /// At each honest head, exactly: coins in accounts (balances, stakes and stake being unbonded) = genesis + block
    /// rewards − burnt (the burnt part of slashes, for a double signature or a double or surround vote; fees, under the burn policy). The burnt total is the chain's own
    /// (a reserved account no key signs for); it must be zero on a chain that slashed nobody and burns no fees.
    /// </summary>
    private static async Task<Verdict> SupplyConserved(Observations o, CancellationToken ct)
    {
        const string name = "supply-conserved";
        var lines = new List<string>();
        var holds = o.LiveHonest.Count > 0;
        foreach (var n in o.LiveHonest)
        {
            var s = await o.GetAsync(n, "/api/v1/supply", ct);
            var status = await o.GetAsync(n, "/api/v1/status", ct);
            if (s is null || status is null) { holds = false; lines.Add($"node{n} did not answer"); continue; }
            BigInteger Of(string k) => BigInteger.Parse(s[k]!.GetValue<string>());
            var (total, genesis, minted, burned) = (Of("total"), Of("genesis"), Of("minted"), Of("burned"));
            var slashes = status["engine"]?["slashed"]?.AsArray().Count ?? 0;
            // Vote offences slash too (proof of stake with finality).
            if (o.Scenario.Network.Finality && o.Scenario.Network.Consensus == "pos")
                slashes += (await o.GetAsync(n, "/api/v1/finality", ct))?["offences"]?.AsArray().Count ?? 0;
            var expected = genesis + minted - burned;
            var ok = total == expected && (slashes > 0 || o.Spec.FeePolicy == Chainlab.Core.Model.FeePolicy.Burn || burned == 0);
            holds &= ok;
            lines.Add($"node{n} at {s["height"]}: total {total} {(total == expected ? "=" : total < expected ? "<" : ">")} genesis {genesis} + rewards {minted} − burnt {burned}"
                + (slashes > 0 ? $" ({slashes} slashes)" : "") + (ok ? "" : " VIOLATION"));
        }
        return new(name, holds, string.Join("; ", lines));
    }

    private static IEnumerable<int> DoubleSigners(Observations o) =>
        o.Scenario.Malicious.Where(m => m.Behaviours.Contains("double-sign")).Select(m => m.Node);

    /// <summary>
    /// PoS: every double signer whose two headers for one slot reached an honest node is in every live honest
    /// node's slashed list. Which nodes get the twin is chance, and when the signer's own block of that slot never
    /// reaches the honest chain, no honest node holds both headers: nothing could be punished, and the check says
    /// it was not exercised rather than broken. PoA has no slashing: the honest nodes must keep one chain.
    /// </summary>
    private static async Task<Verdict> EquivocationSlashed(Observations o, CancellationToken ct)
    {
        const string name = "equivocation-slashed";
        var offenders = DoubleSigners(o).ToList();
        if (offenders.Count == 0) return Verdict.NotExercised(name, "no node of this scenario signs twice");
        if (o.Scenario.Network.Consensus != "pos")
        {
            var agree = await IdenticalBelow(1, o, ct);
            if (!agree.Exercised) return agree with { Check = name };
            return agree with { Check = name, Evidence = $"proof of authority does not slash (docs/ATTACKS.md); honest nodes kept one chain: {agree.Evidence}" };
        }
        var missing = new List<string>();
        var seen = new List<string>();
        long observed = 0;
        foreach (var n in o.LiveHonest)
        {
            var status = await o.GetAsync(n, "/api/v1/status", ct);
            observed += status?["forks"]?["equivocationsSeen"]?.GetValue<long>() ?? 0;
            var slashed = status?["engine"]?["slashed"]?.AsArray().Select(x => x!["key"]!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var m in offenders)
                (slashed.Contains(o.ProducerKeys[m]) ? seen : missing).Add($"node{m} on node{n}");
        }
        if (missing.Count == 0) return new(name, true, $"slashed: {string.Join(", ", seen)}; {observed} equivocations seen by honest nodes");
        if (seen.Count == 0 && observed == 0)
            return Verdict.NotExercised(name, $"no honest node saw both headers of one slot (the signer's own blocks never reached the honest chain), so nothing could be punished: not slashed: {string.Join(", ", missing)}");
        return new(name, false, $"not slashed: {string.Join(", ", missing)}" + (seen.Count > 0 ? $"; slashed: {string.Join(", ", seen)}" : "") + $"; {observed} equivocations seen by honest nodes");
    }

    /// <summary>Every honest node that was ever linked to a malicious node (or banned it), or each of the named ones, holds a ban on it at the end.</summary>
    private static async Task<Verdict> MaliciousBanned(Observations o, IReadOnlyList<int>? by, CancellationToken ct)
    {
        const string name = "malicious-banned";
        var bad = o.Scenario.Malicious.Select(m => m.Node).ToList();
        if (bad.Count == 0) return Verdict.NotExercised(name, "no malicious node in this scenario");
        var missing = new List<string>();
        var found = new List<string>();
        foreach (var n in by ?? o.LiveHonest)
        {
            if (!o.LiveHonest.Contains(n)) { missing.Add($"node{n} is not up at the end"); continue; }
            var peers = await o.GetAsync(n, "/api/v1/peers", ct);
            var banned = peers?["banned"]?.AsArray().ToDictionary(b => b!["nodeId"]!.GetValue<string>(), b => b!["reason"]!.GetValue<string>()) ?? [];
            foreach (var m in bad)
            {
                var id = o.Ids[m];
                var touched = by is not null || banned.ContainsKey(id) || o.Samples.Any(s => s.Nodes.Any(x => x.Node == n && x.Peers.Contains(id)));
                if (!touched) continue;
                if (banned.TryGetValue(id, out var why)) found.Add($"node{n} banned node{m} ({why})");
                else missing.Add($"node{n} was linked to node{m} and has not banned it");
            }
        }
        if (found.Count == 0 && missing.Count == 0) return Verdict.NotExercised(name, "no honest node was ever linked to a malicious one: nothing was tested");
        return missing.Count == 0 ? new(name, true, string.Join("; ", found)) : new(name, false, string.Join("; ", missing) + (found.Count > 0 ? "; " + string.Join("; ", found) : ""));
    }

    /// <summary>After each heal, resume or restart, the live honest nodes reach one head within the limit.</summary>
    private static Verdict ConvergesAfterHeal(TimeSpan within, Observations o)
    {
        const string name = "converges-after-heal";
        var heals = o.Timeline.Where(e => e.What.StartsWith("fault: heal") || e.What.StartsWith("fault: resume") || e.What.StartsWith("fault: restart")).ToList();
        if (heals.Count == 0) return Verdict.NotExercised(name, "no heal, resume or restart in this scenario");
        var lines = new List<string>();
        var holds = true;
        foreach (var h in heals)
        {
            var first = o.Samples.FirstOrDefault(s => s.T >= h.T && Converged(s, o));
            var took = first?.T - h.T;
            var ok = took is { } t && t <= within.TotalSeconds;
            holds &= ok;
            lines.Add(took is { } tk ? $"{h.What[7..]} at {h.T:0.#} s: one head after {tk:0.0} s" : $"{h.What[7..]} at {h.T:0.#} s: never one head again");
        }
        return new(name, holds, string.Join("; ", lines) + $" (limit {within.TotalSeconds:0.#} s)");
    }

    /// <summary>All honest nodes that answer show the same head hash.</summary>
    internal static bool Converged(Sample s, Observations o)
    {
        var up = s.Nodes.Where(n => o.Honest.Contains(n.Node) && n.Up).ToList();
        return up.Count > 0 && up.Select(n => n.Hash).Distinct().Count() == 1;
    }

    /// <summary>The honest network's best height never stands still longer than the limit (from the first block on).</summary>
    private static Verdict BlocksKeepComing(TimeSpan maxGap, Observations o)
    {
        const string name = "blocks-keep-coming";
        ulong best = 0;
        double since = 0, worst = 0, worstAt = 0;
        foreach (var s in o.Samples)
        {
            var h = s.Nodes.Where(n => o.Honest.Contains(n.Node) && n.Up).Select(n => n.Height).DefaultIfEmpty(0UL).Max();
            if (h > best) { best = h; since = s.T; }
            else if (best > 0 && s.T - since > worst) { worst = s.T - since; worstAt = since; }
        }
        var ok = worst <= maxGap.TotalSeconds && best > 0;
        var wait = worst == 0 ? "a higher block at every sample (twice a second)" : $"longest wait for a new block {worst:0.0} s (from {worstAt:0.#} s)";
        return new(name, ok, best == 0 ? "no block at all" : $"{wait}; limit {maxGap.TotalSeconds:0.#} s; best honest height {best}");
    }

    /// <summary>From the tenth second on, every honest node that answers is linked to at least one other honest node in every sample.</summary>
    private static Verdict NotEclipsed(Observations o)
    {
        const string name = "not-eclipsed";
        var honestIds = o.Honest.Where(o.Ids.ContainsKey).Select(n => o.Ids[n]).ToHashSet();
        var worst = new List<string>();
        var holds = true;
        foreach (var n in o.Honest.Order())
        {
            var seen = o.Samples.Where(s => s.T >= 10).SelectMany(s => s.Nodes.Where(x => x.Node == n && x.Up)).ToList();
            if (seen.Count == 0) continue;
            var fewest = seen.Min(x => x.Peers.Count(honestIds.Contains));
            var most = seen.Max(x => x.Peers.Count);
            holds &= fewest > 0;
            worst.Add($"node{n}: at least {fewest} honest peer(s) at every sample, up to {most} links in all");
        }
        return worst.Count == 0 ? Verdict.NotExercised(name, "no honest node was sampled after 10 s") : new(name, holds, string.Join("; ", worst));
    }

    /// <summary>Why the seal of the block with this hash on node n does not check (against its parent there), or null.</summary>
    internal static async Task<string?> SealProblem(Observations o, int n, string hash, CancellationToken ct)
    {
        var block = await o.GetAsync(n, $"/api/v1/blocks/{hash}", ct);
        if (block?["header"] is not { } hj) return null; // gone already (reorganised away and pruned): nothing to say
        var h = HeaderOf(hj);
        var parent = h.Height == 1 ? o.Spec.GenesisBlock().Header
            : (await o.GetAsync(n, $"/api/v1/blocks/{h.Parent}", ct))?["header"] is { } pj ? HeaderOf(pj) : null;
        if (parent is null) return null;
        return Chainlab.Core.Consensus.ConsensusEngines.For(o.Spec).VerifySeal(h, parent);
    }

    /// <summary>
    /// Every head an honest node showed during the run, and every block of every live honest chain at the end, has
    /// a seal that the engine's own check accepts: verified here, apart from the nodes.
    /// </summary>
    private static async Task<Verdict> ValidSeals(Observations o, CancellationToken ct)
    {
        const string name = "valid-seals";
        var engine = Chainlab.Core.Consensus.ConsensusEngines.For(o.Spec);
        var genesis = o.Spec.GenesisBlock().Header;
        var bad = new List<string>();
        var counts = new List<string>();
        foreach (var n in o.LiveHonest)
        {
            var parent = genesis;
            var checkedHere = 0;
            await foreach (var j in o.HeadersAsync(n, ct))
            {
                var h = HeaderOf(j);
                if (h.Hash.ToString() != j["hash"]!.GetValue<string>()) bad.Add($"node{n} block {h.Height}: its fields do not give its hash");
                else if (engine.VerifySeal(h, parent) is { } why) bad.Add($"node{n} block {h.Height} {h.Hash.Short}: {why}");
                parent = h;
                checkedHere++;
            }
            counts.Add($"node{n} {checkedHere}");
        }
        bad.InsertRange(0, o.BadHeads);
        return bad.Count == 0
            ? new(name, o.LiveHonest.Count > 0, $"every seal checks: {o.CheckedHeads.Count} heads seen during the run; the final chains, blocks {string.Join(", ", counts)}")
            : new(name, false, $"{bad.Count} bad seals on honest chains: {string.Join("; ", bad.Take(5))}");
    }

    private static Chainlab.Core.Model.BlockHeader HeaderOf(JsonNode j)
    {
        static Chainlab.Core.Crypto.Hash H(JsonNode n) => Chainlab.Core.Crypto.Hash.Parse(n.GetValue<string>());
        return new Chainlab.Core.Model.BlockHeader(j["height"]!.GetValue<ulong>(), H(j["parent"]!), j["timestampMs"]!.GetValue<ulong>(),
            Convert.FromHexString(j["producerKey"]!.GetValue<string>()), H(j["txRoot"]!), H(j["stateRoot"]!), H(j["filesRoot"]!),
            j["txCount"]!.GetValue<uint>(), Convert.FromHexString(j["seal"]!.GetValue<string>()));
    }

    // ---- finality (decision 0007)

    private static List<FinalSeen> Finals(Observations o) { lock (o.Finals) return o.Finals.ToList(); }

    /// <summary>
    /// No honest node's last final checkpoint ever went down, and every block an honest node reported final during
    /// the run is still at its height on that node at the end.
    /// </summary>
    internal static async Task<Verdict> FinalNeverReverts(Observations o, CancellationToken ct)
    {
        const string name = "final-never-reverts";
        var finals = Finals(o);
        if (finals.Count == 0) return Verdict.NotExercised(name, "no honest node reported a final checkpoint above genesis");
        var broken = new List<string>();
        foreach (var node in finals.GroupBy(f => f.Node))
        {
            FinalSeen? before = null;
            foreach (var f in node.OrderBy(f => f.T))
            {
                if (before is not null && f.Height < before.Height)
                    broken.Add($"node{f.Node}'s final checkpoint went back from {before.Height} to {f.Height} at {f.T:0.0} s");
                before = f;
            }
            if (!o.LiveHonest.Contains(node.Key)) continue;
            foreach (var f in node.DistinctBy(f => f.Height))
            {
                var now = (await o.GetAsync(node.Key, $"/api/v1/blocks/{f.Height}", ct))?["header"]?["hash"]?.GetValue<string>();
                if (now != f.Hash) broken.Add($"node{f.Node} had block {Short(f.Hash)} final at height {f.Height} ({f.T:0.0} s) and holds {Short(now ?? "(none)")} there at the end");
            }
        }
        var highest = finals.Max(f => f.Height);
        return broken.Count == 0
            ? new(name, true, $"{finals.Count} final checkpoints reported by {finals.Select(f => f.Node).Distinct().Count()} honest nodes (the highest {highest}), none went back, each still in place at the end")
            : new(name, false, string.Join("; ", broken));
    }

    /// <summary>
    /// No two honest nodes ever reported different blocks final at one height, and at the end every live honest node
    /// holds each other's last final block (when its own finality reaches that height).
    /// </summary>
    internal static async Task<Verdict> NoConflictingFinality(Observations o, CancellationToken ct)
    {
        const string name = "no-conflicting-finality";
        var finals = Finals(o);
        var broken = finals.GroupBy(f => f.Height).Where(g => g.Select(f => f.Hash).Distinct().Count() > 1)
            .Select(g => $"at height {g.Key}: " + string.Join(", ", g.DistinctBy(f => f.Hash).Select(f => $"node{f.Node} {Short(f.Hash)} ({f.T:0.0} s)"))).ToList();
        var last = new Dictionary<int, (ulong Height, string Hash)>();
        foreach (var n in o.LiveHonest)
            if ((await o.GetAsync(n, "/api/v1/finality", ct))?["lastFinalized"] is { } lf)
                last[n] = (lf["height"]!.GetValue<ulong>(), lf["hash"]!.GetValue<string>());
        if (finals.Count == 0 && last.Values.All(l => l.Height == 0))
            return Verdict.NotExercised(name, "no honest node reported a final checkpoint above genesis");
        var compared = 0;
        foreach (var (a, fa) in last)
            foreach (var (b, fb) in last)
            {
                if (a == b || fb.Height < fa.Height || fa.Height == 0) continue;
                var there = (await o.GetAsync(b, $"/api/v1/blocks/{fa.Height}", ct))?["header"]?["hash"]?.GetValue<string>();
                compared++;
                if (there != fa.Hash) broken.Add($"node{a} has {Short(fa.Hash)} final at {fa.Height}, node{b} (final at {fb.Height}) holds {Short(there ?? "(none)")} there");
            }
        return broken.Count == 0
            ? new(name, true, $"one final block per height across {finals.Select(f => f.Node).Distinct().Count()} honest nodes; at the end {string.Join(", ", last.Select(l => $"node{l.Key} final {l.Value.Height}"))} ({compared} cross-checks)")
            : new(name, false, string.Join("; ", broken));
    }

    private static bool IsFault(TimelineEntry e) => e.What.StartsWith("fault: ") && !IsRepair(e);
    private static bool IsRepair(TimelineEntry e) => e.What.StartsWith("fault: heal") || e.What.StartsWith("fault: resume") || e.What.StartsWith("fault: restart");

    /// <summary>The highest final height and head any honest node showed in the samples taken in [from, to].</summary>
    private static (ulong Final, ulong Head) Highest(Observations o, double from, double to)
    {
        List<Sample> samples;
        lock (o.Samples) samples = o.Samples.Where(s => s.T >= from && s.T <= to).ToList();
        var nodes = samples.SelectMany(s => s.Nodes).Where(n => n.Up && o.Honest.Contains(n.Node)).ToList();
        return nodes.Count == 0 ? (0, 0) : (nodes.Max(n => n.Final), nodes.Max(n => n.Height));
    }

    /// <summary>
    /// From the first fault (a partition, a stop, a pause…) until the next heal, resume or restart (or the end), no
    /// honest node's final height grew by more than one checkpoint interval (the votes already cast when the fault
    /// came may finish one link), while the heads went on growing.
    /// </summary>
    internal static Verdict FinalityHalts(Observations o)
    {
        const string name = "finality-halts";
        List<TimelineEntry> timeline;
        lock (o.Timeline) timeline = o.Timeline.ToList();
        if (timeline.FirstOrDefault(IsFault) is not { } fault) return Verdict.NotExercised(name, "no fault in this scenario");
        var repair = timeline.FirstOrDefault(e => e.T > fault.T && IsRepair(e));
        var end = repair?.T ?? double.MaxValue;
        var interval = Chainlab.Core.Finality.FinalityVoters.CheckpointInterval(o.Spec) ?? 0;
        var before = Highest(o, 0, fault.T);
        var during = Highest(o, fault.T, end);
        var until = repair is null ? "the end" : $"the {repair.What[7..]} at {repair.T:0.0} s";
        var what = $"final {before.Final} at the {fault.What[7..]} ({fault.T:0.0} s), at most {during.Final} until {until}; heads {before.Head} → {during.Head}";
        if (during.Head <= before.Head) return new(name, false, what + ": no blocks were made either, so the halt says nothing about finality");
        return during.Final <= before.Final + interval ? new(name, true, what) : new(name, false, what + $": finality moved more than one interval ({interval})");
    }

    /// <summary>After the last heal, resume or restart (or from the start when there is none), the honest nodes' final height grew.</summary>
    internal static Verdict FinalityResumes(Observations o)
    {
        const string name = "finality-resumes";
        List<TimelineEntry> timeline;
        lock (o.Timeline) timeline = o.Timeline.ToList();
        var from = timeline.LastOrDefault(IsRepair)?.T ?? 0;
        var at = Highest(o, 0, from).Final;
        var after = Highest(o, from, double.MaxValue).Final;
        var what = from == 0 ? $"final {after} at the end" : $"final {at} at {from:0.0} s, {after} at the end";
        return after > at ? new(name, true, what) : new(name, false, what + ": finality did not move");
    }

    /// <summary>Every node started with double-vote or surround-vote is in every live honest node's list of punished vote offences.</summary>
    internal static async Task<Verdict> VoteOffencesPunished(Observations o, CancellationToken ct)
    {
        const string name = "vote-offences-punished";
        var offenders = o.Scenario.Malicious.Where(m => m.Behaviours.Contains("double-vote") || m.Behaviours.Contains("surround-vote")).Select(m => m.Node).ToList();
        if (offenders.Count == 0) return Verdict.NotExercised(name, "no node of this scenario votes twice");
        var missing = new List<string>();
        var found = new List<string>();
        foreach (var n in o.LiveHonest)
        {
            var offences = (await o.GetAsync(n, "/api/v1/finality", ct))?["offences"]?.AsArray()
                .Select(x => (Key: x!["voter"]!.GetValue<string>(), Height: x["height"]!.GetValue<ulong>())).ToList() ?? [];
            foreach (var m in offenders)
                if (offences.FirstOrDefault(x => x.Key == o.ProducerKeys[m]) is { Key: not null } hit) found.Add($"node{m} on node{n} (target {hit.Height})");
                else missing.Add($"node{m} on node{n}");
        }
        if (found.Count == 0 && missing.Count == 0) return new(name, false, "no honest node answers at the end");
        return missing.Count == 0 ? new(name, true, "punished: " + string.Join(", ", found)) : new(name, false, "not punished: " + string.Join(", ", missing) + (found.Count > 0 ? "; punished: " + string.Join(", ", found) : ""));
    }

    private static string Short(string h) => h.Length > 16 ? h[..16] : h;
}
