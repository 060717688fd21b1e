using System.Text.Json.Nodes;
using Chainlab.Cli.Scenarios;
using Chainlab.Client;
using Chainlab.Client.Models;
using Chainlab.Core.Crypto;

namespace Chainlab.Cli.Lessons;

/// <summary>Where a check stands now: passed or not, and what the lab saw.</summary>
public sealed record CheckState(bool Passed, string Evidence);

/// <summary>
/// The checks only lessons have, each read from the live nodes as they are now (the lab asks again every half
/// second until it passes or its time is up). Scenario invariants are run by Checks, on the same observations.
/// </summary>
public static class LessonChecks
{
    public static readonly string[] Names = ["heads-differ", "one-head", "height-at-least", "tx-included", "balance", "stake", "slashed", "reorganised", "peers", "producers", "receipt", "call", "file-found", "finality"];

    /// <summary>The live devnet a lesson runs on, what it sent, and where each node stood when the step began.</summary>
    public sealed class Context(Observations o, IReadOnlyDictionary<string, string> txs, IReadOnlyDictionary<int, (long Count, ulong Deepest)> reorgsAtStepStart, Func<string, Address> address,
        ulong heightAfterActions = 0, Func<object?, JsonNode?>? argument = null, IReadOnlyDictionary<string, Address>? contracts = null,
        IReadOnlyDictionary<string, (string Cid, byte[] Bytes)>? files = null)
    {
        /// <summary>A lesson's argument as JSON, with "$account" and "$contract" names replaced by addresses.</summary>
        public JsonNode? Argument(object? value) => (argument ?? (v => JsonValue.Create(v?.ToString())))(value);
        public IReadOnlyDictionary<string, Address> Contracts { get; } = contracts ?? new Dictionary<string, Address>();
        public IReadOnlyDictionary<string, (string Cid, byte[] Bytes)> Files { get; } = files ?? new Dictionary<string, (string, byte[])>();
        /// <summary>The best honest height when the step's actions were done: producers counts the blocks above it.</summary>
        public ulong HeightAfterActions { get; } = heightAfterActions;
        public Observations O { get; } = o;
        public IReadOnlyDictionary<string, string> Txs { get; } = txs;
        public IReadOnlyDictionary<int, (long Count, ulong Deepest)> ReorgsAtStepStart { get; } = reorgsAtStepStart;
        /// <summary>Each node's head and final height when the step began (finality checks).</summary>
        public IReadOnlyDictionary<int, (ulong Head, ulong Final)> HeightsAtStepStart { get; init; } = new Dictionary<int, (ulong, ulong)>();
        public Address AddressOf(string account) => address(account);
    }

    public static async Task<CheckState> EvaluateAsync(LessonCheck c, Context x, CancellationToken ct)
    {
        var o = x.O;
        o.LiveHonest.Clear();
        foreach (var n in o.Honest.Order())
            if (o.Running(n) && await o.GetAsync(n, "/api/v1/status", ct) is not null) o.LiveHonest.Add(n);
        if (c.IsInvariant)
        {
            var v = await Checks.RunAsync(c.ToInvariant(), o, ct);
            return new(v.Exercised && v.Holds, v.Evidence);
        }
        return c.Check switch
        {
            "heads-differ" => await HeadsDiffer(c.Groups!, o, ct),
            "one-head" => await OneHead(c.Nodes ?? o.LiveHonest, o, ct),
            "height-at-least" => await HeightAtLeast(c.Nodes ?? o.LiveHonest, c.Height!.Value, o, ct),
            "tx-included" => await TxIncluded(c, x, ct),
            "balance" or "stake" => await Amount(c, x, ct),
            "slashed" => await Slashed(c.Node!.Value, o, ct),
            "reorganised" => await Reorganised(c.Nodes ?? o.LiveHonest, c.Depth, x, ct),
            "peers" => await Peers(c, o, ct),
            "producers" => await Producers(c, x, ct),
            "receipt" => await Receipt(c, x, ct),
            "call" => await Call(c, x, ct),
            "file-found" => await FileFound(c, x, ct),
            "finality" => await Finality(c, x, ct),
            _ => throw new ArgumentException($"unknown check {c.Check}"),
        };
    }

    private static async Task<Dictionary<int, (ulong Height, string Hash)>> Heads(IEnumerable<int> nodes, Observations o, CancellationToken ct)
    {
        var heads = new Dictionary<int, (ulong, string)>();
        foreach (var n in nodes)
            if (await o.GetAsync(n, "/api/v1/status", ct) is { } s) heads[n] = (s["headHeight"]!.GetValue<ulong>(), s["headHash"]!.GetValue<string>());
        return heads;
    }

    private static string Show(Dictionary<int, (ulong Height, string Hash)> heads) =>
        string.Join(", ", heads.OrderBy(h => h.Key).Select(h => $"node{h.Key} {h.Value.Height} {h.Value.Hash[..8]}"));

    /// <summary>No head is shared between two groups: each side of a split has its own.</summary>
    private static async Task<CheckState> HeadsDiffer(List<List<int>> groups, Observations o, CancellationToken ct)
    {
        var heads = await Heads(groups.SelectMany(g => g), o, ct);
        var sets = groups.Select(g => g.Where(heads.ContainsKey).Select(n => heads[n].Hash).ToHashSet()).ToList();
        var apart = sets.All(s => s.Count > 0) && sets.SelectMany((s, i) => sets.Skip(i + 1).Select(t => !s.Overlaps(t))).All(b => b);
        return new(apart, $"heads {Show(heads)}");
    }

    private static async Task<CheckState> OneHead(IEnumerable<int> nodes, Observations o, CancellationToken ct)
    {
        var heads = await Heads(nodes, o, ct);
        return new(heads.Count > 0 && heads.Values.Select(h => h.Hash).Distinct().Count() == 1, $"heads {Show(heads)}");
    }

    private static async Task<CheckState> HeightAtLeast(IEnumerable<int> nodes, ulong height, Observations o, CancellationToken ct)
    {
        var list = nodes.ToList();
        var heads = await Heads(list, o, ct);
        return new(heads.Count == list.Count && heads.Values.All(h => h.Height >= height), $"heads {Show(heads)}");
    }

    /// <summary>
    /// The named transaction is in a block, with depth blocks on top, on every live honest node (or the nodes
    /// given); with proof, its Merkle proof leads to that block's transaction root, checked here.
    /// </summary>
    private static async Task<CheckState> TxIncluded(LessonCheck c, Context x, CancellationToken ct)
    {
        var hash = x.Txs[c.Tx!];
        var depth = (ulong)(c.Depth ?? 0);
        var lines = new List<string>();
        var ok = true;
        foreach (var n in c.Nodes ?? x.O.LiveHonest)
        {
            var client = new ChainlabClient(x.O.Api(n));
            try
            {
                var tx = await client.GetTransactionAsync(Hash.Parse(hash), ct);
                var head = (await client.GetStatusAsync(ct)).HeadHeight;
                if (tx.Status != "included" || tx.BlockHeight is not { } h) { ok = false; lines.Add($"node{n}: {tx.Status}"); continue; }
                var deep = head - h;
                var proved = !c.Proof || ProofChecks.Transaction(tx, (await client.GetBlockAsync(Hash.Parse(tx.BlockHash!), ct)).Header);
                ok &= deep >= depth && proved;
                lines.Add($"node{n}: in block {h} ({deep} on top)" + (c.Proof ? proved ? ", Merkle proof checks against its transaction root" : ", its Merkle proof DOES NOT check" : ""));
            }
            catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException) { ok = false; lines.Add($"node{n}: {e.Message}"); }
        }
        return new(ok && lines.Count > 0, $"{c.Tx} {hash[..16]}: {string.Join("; ", lines)}");
    }

    /// <summary>An account's balance or stake, on every live honest node, at least or below a value.</summary>
    private static async Task<CheckState> Amount(LessonCheck c, Context x, CancellationToken ct)
    {
        var address = x.AddressOf(c.Account!);
        var lines = new List<string>();
        var ok = true;
        foreach (var n in c.Nodes ?? x.O.LiveHonest)
        {
            if (await x.O.GetAsync(n, $"/api/v1/accounts/{address}", ct) is not { } a) { ok = false; lines.Add($"node{n}: no answer"); continue; }
            var v = a[c.Check]!.GetValue<ulong>();
            ok &= (c.AtLeast is not { } min || v >= min) && (c.Below is not { } max || v < max);
            lines.Add($"node{n} {v}");
        }
        var want = string.Join(" and ", new[] { c.AtLeast is { } l ? $"at least {l}" : null, c.Below is { } b ? $"below {b}" : null }.OfType<string>());
        return new(ok && lines.Count > 0, $"{c.Check} of {c.Account} ({want}): {string.Join(", ", lines)}");
    }

    /// <summary>Every live honest node lists the node's producer key among the slashed.</summary>
    private static async Task<CheckState> Slashed(int node, Observations o, CancellationToken ct)
    {
        if (!o.ProducerKeys.TryGetValue(node, out var key)) return new(false, $"node{node} has no producer key");
        var lines = new List<string>();
        var ok = o.LiveHonest.Count > 0;
        foreach (var n in o.LiveHonest)
        {
            var slashed = (await o.GetAsync(n, "/api/v1/status", ct))?["engine"]?["slashed"]?.AsArray().Select(s => s!["key"]!.GetValue<string>()).ToHashSet() ?? [];
            ok &= slashed.Contains(key);
            lines.Add($"node{n} {(slashed.Contains(key) ? "has slashed" : "has not slashed")} node{node}");
        }
        return new(ok, string.Join(", ", lines));
    }

    /// <summary>
    /// Who made the blocks since the step's actions, on the first live honest node: passes once there are at least
    /// `blocks` of them, each node of `nodes` made one or more, and no node of `without` made any.
    /// </summary>
    private static async Task<CheckState> Producers(LessonCheck c, Context x, CancellationToken ct)
    {
        var o = x.O;
        if (o.LiveHonest.Count == 0) return new(false, "no honest node answers");
        var n = o.LiveHonest[0];
        var from = x.HeightAfterActions + 1;
        var byNode = new Dictionary<string, int>();
        var count = 0;
        var page = await o.GetAsync(n, $"/api/v1/blocks?from={from}&limit=100", ct);
        foreach (var h in page?["blocks"]?.AsArray() ?? [])
        {
            var key = h!["producerKey"]!.GetValue<string>();
            var who = o.ProducerKeys.FirstOrDefault(p => p.Value == key).Key is var k and > 0 ? $"node{k}" : key[..8];
            byNode[who] = byNode.GetValueOrDefault(who) + 1;
            count++;
        }
        var want = (ulong)(c.Blocks ?? 5);
        var ok = (ulong)count >= want && (c.Nodes ?? []).All(m => byNode.ContainsKey($"node{m}")) && (c.Without ?? []).All(m => !byNode.ContainsKey($"node{m}"));
        return new(ok, count == 0 ? $"no block above {from - 1} yet on node{n}"
            : $"blocks {from}..{from + (ulong)count - 1} on node{n}: " + string.Join(", ", byNode.OrderBy(b => b.Key).Select(b => $"{b.Key} made {b.Value}")));
    }

    /// <summary>
    /// The named transaction's receipt, on the first live honest node: in a block, succeeded or failed as asked,
    /// its error holding the words asked for, its gas used at least or below a figure.
    /// </summary>
    private static async Task<CheckState> Receipt(LessonCheck c, Context x, CancellationToken ct)
    {
        if (x.O.LiveHonest.Count == 0) return new(false, "no honest node answers");
        var n = x.O.LiveHonest[0];
        var hash = x.Txs[c.Tx!];
        TxStatusDto tx;
        try { tx = await new ChainlabClient(x.O.Api(n)).GetTransactionAsync(Hash.Parse(hash), ct); }
        catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException) { return new(false, $"{c.Tx}: {e.Message}"); }
        if (tx.Status != "included" || tx.Receipt is not { } r) return new(false, $"{c.Tx} {hash[..16]} is {tx.Status} on node{n}");
        var gas = r.GasUsed ?? 0;
        var ok = (c.Success is not { } want || r.Success == want)
            && (c.Error is null || (r.Error ?? "").Contains(c.Error, StringComparison.OrdinalIgnoreCase))
            && (c.AtLeast is not { } min || gas >= min) && (c.Below is not { } max || gas < max);
        return new(ok, $"{c.Tx} in block {tx.BlockHeight}: {(r.Success ? "succeeded" : "failed")}" + (r.Error is { } err ? $" ({err})" : "")
            + (r.GasUsed is { } g ? $", {g} gas used" : "") + $", fee {r.FeePaid} paid" + (r.ContractAddress is { } made ? $", contract {made}" : ""));
    }

    /// <summary>A read-only call of a contract function on every live honest node answers the value asked for.</summary>
    private static async Task<CheckState> Call(LessonCheck c, Context x, CancellationToken ct)
    {
        if (!x.Contracts.TryGetValue(c.Contract!, out var address)) return new(false, $"contract {c.Contract} was not deployed");
        var args = (c.Args ?? []).Select(x.Argument).ToList();
        var want = x.Argument(c.EqualsValue)?.ToJsonString();
        var lines = new List<string>();
        var ok = x.O.LiveHonest.Count > 0;
        foreach (var n in x.O.LiveHonest)
        {
            try
            {
                var got = (await new ChainlabClient(x.O.Api(n)).CallAsync(address, c.Function!, args, ct: ct)).Value?.ToJsonString() ?? "null";
                ok &= got == want;
                lines.Add($"node{n} {got}");
            }
            catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException) { ok = false; lines.Add($"node{n}: {e.Message}"); }
        }
        return new(ok, $"{c.Contract}.{c.Function}({string.Join(", ", args.Select(a => a?.ToJsonString()))}) = {string.Join(", ", lines)} (want {want})");
    }

    /// <summary>
    /// Each node asked (default every live honest node) serves the named file with the bytes it was added with: a
    /// node that lacks it finds a provider through the DHT and fetches it, every block checked against its CID.
    /// </summary>
    private static async Task<CheckState> FileFound(LessonCheck c, Context x, CancellationToken ct)
    {
        var (cid, bytes) = x.Files[c.File!];
        var lines = new List<string>();
        var ok = true;
        foreach (var n in c.Nodes ?? x.O.LiveHonest)
        {
            var client = new ChainlabClient(x.O.Api(n));
            try
            {
                await client.GetFileAsync(cid, ct); // fetched from a provider when the node lacks it
                await using var s = await client.DownloadFileAsync(cid, ct);
                using var got = new MemoryStream();
                await s.CopyToAsync(got, ct);
                var same = got.ToArray().AsSpan().SequenceEqual(bytes);
                ok &= same;
                lines.Add($"node{n} {(same ? "serves it" : "serves OTHER bytes")}");
            }
            catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException or IOException) { ok = false; lines.Add($"node{n}: {e.Message}"); }
        }
        return new(ok && lines.Count > 0, $"{c.File} {cid}: {string.Join(", ", lines)}");
    }

    /// <summary>
    /// The final height on every node (default the live honest ones): grown since the step began, or (grows:
    /// false) the same as then while the node's head grew at least `blocks` (default 16: two devnet checkpoints).
    /// </summary>
    private static async Task<CheckState> Finality(LessonCheck c, Context x, CancellationToken ct)
    {
        var grows = c.Grows ?? true;
        var blocks = (ulong)(c.Blocks ?? 16);
        var lines = new List<string>();
        var ok = true;
        foreach (var n in c.Nodes ?? x.O.LiveHonest)
        {
            if (await x.O.GetAsync(n, "/api/v1/status", ct) is not { } s) { ok = false; lines.Add($"node{n}: no answer"); continue; }
            if (s["finalizedHeight"] is not JsonValue fv) { ok = false; lines.Add($"node{n}: the chain has no finality"); continue; }
            var final = fv.GetValue<ulong>();
            var head = s["headHeight"]!.GetValue<ulong>();
            var start = x.HeightsAtStepStart.GetValueOrDefault(n);
            ok &= grows ? final > start.Final : final == start.Final && head >= start.Head + blocks;
            lines.Add($"node{n} final {final} (at the step's start {start.Final}), head {head} ({start.Head})");
        }
        return new(ok && lines.Count > 0, (grows ? "the final height grew: " : $"the final height stayed while the heads grew {blocks} blocks: ") + string.Join(", ", lines));
    }

    /// <summary>How many peer links each node holds (inbound and outbound), at least or below a count.</summary>
    private static async Task<CheckState> Peers(LessonCheck c, Observations o, CancellationToken ct)
    {
        var lines = new List<string>();
        var ok = true;
        foreach (var n in c.Nodes ?? o.LiveHonest)
        {
            if ((await o.GetAsync(n, "/api/v1/status", ct))?["peers"]?.AsArray() is not { } peers) { ok = false; lines.Add($"node{n}: no answer"); continue; }
            var honest = peers.Count(p => o.Honest.Any(h => o.Ids.GetValueOrDefault(h) == p!["nodeId"]!.GetValue<string>()));
            ok &= (c.AtLeast is not { } min || (ulong)peers.Count >= min) && (c.Below is not { } max || (ulong)peers.Count < max);
            lines.Add($"node{n} {peers.Count} ({honest} honest)");
        }
        return new(ok && lines.Count > 0, $"links: {string.Join(", ", lines)}");
    }

    /// <summary>
    /// At least one of the nodes reorganised (dropped blocks for a heavier branch) since the step began; with
    /// depth, one of those dropped at least that many blocks: its last, or its deepest ever if that grew in the step.
    /// </summary>
    private static async Task<CheckState> Reorganised(IEnumerable<int> nodes, int? depth, Context x, CancellationToken ct)
    {
        var lines = new List<string>();
        var any = false;
        foreach (var n in nodes)
        {
            if (await x.O.GetAsync(n, "/api/v1/status", ct) is not JsonObject s) continue;
            var now = s["forks"]!["reorgs"]!.GetValue<long>();
            var start = x.ReorgsAtStepStart.GetValueOrDefault(n);
            var since = now - start.Count;
            var deepest = s["forks"]!["deepestReorg"]!.GetValue<ulong>();
            var last = s["forks"]!["lastReorgDepth"]!.GetValue<ulong>();
            // Deep enough: the last one, or the deepest ever when it grew during the step (a deep one followed by shallow ones).
            var deep = depth is not { } want || last >= (ulong)want || (deepest > start.Deepest && deepest >= (ulong)want);
            any |= since > 0 && deep;
            lines.Add($"node{n} {since} (the last {last} blocks deep, the deepest ever {deepest})");
        }
        return new(any, $"reorganisations since the step began{(depth is { } d ? $", one at least {d} deep wanted" : "")}: {string.Join(", ", lines)}");
    }
}
