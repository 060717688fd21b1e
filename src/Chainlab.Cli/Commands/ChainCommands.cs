using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Client;
using Chainlab.Core.Crypto;
using Spectre.Console;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab chain info|block|tx|account: read from a node's API.</summary>
public static partial class ChainCommands
{
    public static Command Build()
    {
        var file = new Argument<string>("file") { Description = "Export file" };
        return new Command("chain", "Read the chain from a node")
        {
            Peers(),
            Export(file),
            Import(file),
            Info(),
            Sync(),
            Block(),
            Tx(),
            Account(),
            FinalityProof(),
            VerifyFinality(),
        };
    }

    private static Command Info()
    {
        var info = new Command("info", "Chain id, consensus, head and mempool");
        info.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var s = await c.GetAsync("/api/v1/status", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(s); return 0; }
            var e = s["engine"]!;
            var engineLine = s["consensus"]!.GetValue<string>() switch
            {
                "pow" => $"pow: difficulty {e["difficulty"]}, local hash rate {e["hashRate"]}/s on {e["miningThreads"]} thread(s)",
                "pos" => $"pos: epoch {e["epoch"]}, {e["validators"]!.AsArray().Count} validators, total stake {e["totalStake"]}",
                var name => $"{name}: {e["authorities"]?.AsArray().Count} authorities, in turn {e["inTurn"]?.GetValue<string>()[..16]}",
            };
            Grid(("chain id", s["chainId"]), ("genesis", s["genesisHash"]), ("consensus", engineLine),
                ("head", $"{s["headHeight"]} {s["headHash"]}"), ("state root", s["stateRoot"]), ("mempool", s["mempoolSize"]),
                ("block time", $"{s["blockTimeMs"]} ms"), ("producer", s["producer"] ?? "-"),
                ("sync", s["sync"]!["syncing"]!.GetValue<bool>() ? $"syncing {s["sync"]!["height"]} of {s["sync"]!["target"]} ({s["sync"]!["percent"]}%)" : "in sync"),
                ("forks", $"{s["forks"]!["reorgs"]} reorganisations (deepest {s["forks"]!["deepestReorg"]}), {s["forks"]!["sideBlocks"]} side blocks"),
                ("peers", s["peers"]!.AsArray().Count), ("version", s["version"]));
            return 0;
        });
        return info;
    }

    private static Command Sync()
    {
        var sync = new Command("sync", "Wait until the node has caught up with its peers, with a progress bar");
        var timeout = new Option<int>("--timeout") { Description = "Give up after this many seconds (exit 6)", DefaultValueFactory = _ => 3600 };
        sync.Options.Add(timeout);
        sync.SetAction((pr, ct) => RunSyncAsync(pr, timeout, ct));
        return sync;
    }

    private static async Task<int> RunSyncAsync(ParseResult pr, Option<int> timeout, CancellationToken ct)
    {
        using var c = new NodeClient(pr.GetValue(Global.Node));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, pr.GetValue(timeout))));
        var watch = new SyncWatch(c, await c.GetAsync("/api/v1/status", ct), limit.Token);
        var json = pr.GetValue(Global.Json);
        try
        {
            if (json || Console.IsOutputRedirected) await watch.PollAsync();
            else await watch.ShowProgressAsync();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            var last = watch.Status["sync"]!;
            throw new CliException($"still syncing after {pr.GetValue(timeout)} s: at {last["height"]} of {last["target"]}", ExitCodes.Timeout);
        }
        var s = watch.Status;
        if (json) { Global.PrintJson(s["sync"]!); return 0; }
        Console.Out.WriteLine($"in sync at height {s["headHeight"]} ({s["peers"]!.AsArray().Count} peers)");
        return 0;
    }

    /// <summary>chain sync's wait: asks the node's status every 250 ms until it is no longer syncing;
    /// <see cref="Status"/> is the last answer, also when the wait is cut short.</summary>
    private sealed class SyncWatch(NodeClient client, JsonNode status, CancellationToken token)
    {
        public JsonNode Status { get; private set; } = status;

        public async Task PollAsync()
        {
            while (true)
            {
                Status = await client.GetAsync("/api/v1/status", token);
                if (!Status["sync"]!["syncing"]!.GetValue<bool>()) return;
                await Task.Delay(250, token);
            }
        }

        public Task ShowProgressAsync() =>
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async p =>
                {
                    var bar = p.AddTask("syncing");
                    while (true)
                    {
                        var sy = Status["sync"]!;
                        bar.MaxValue = Math.Max(1, sy["target"]!.GetValue<ulong>());
                        bar.Value = sy["height"]!.GetValue<ulong>();
                        bar.Description = $"block {sy["height"]} of {sy["target"]}";
                        if (!sy["syncing"]!.GetValue<bool>()) { bar.Value = bar.MaxValue; return; }
                        await Task.Delay(250, token);
                        Status = await client.GetAsync("/api/v1/status", token);
                    }
                });
    }

    private static Command Block()
    {
        var id = new Argument<string>("id") { Description = "Block height or hash" };
        var full = new Option<bool>("--full") { Description = "Include every transaction" };
        var block = new Command("block", "Show a block") { id, full };
        block.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var b = await c.GetAsync($"/api/v1/blocks/{Uri.EscapeDataString(pr.GetValue(id)!)}{(pr.GetValue(full) ? "?transactions=full" : "")}", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(b); return 0; }
            var h = b["header"]!;
            Grid(("height", h["height"]), ("hash", h["hash"]), ("parent", h["parent"]), ("time", DateTimeOffset.FromUnixTimeMilliseconds(h["timestampMs"]!.GetValue<long>()).ToString("u")),
                ("producer", h["producer"]), ("tx root", h["txRoot"]), ("state root", h["stateRoot"]), ("files root", h["filesRoot"]), ("transactions", h["txCount"]),
                ("files", b["files"]!.AsArray().Count));
            foreach (var t in b["transactions"]!.AsArray().Take(50))
                Console.Out.WriteLine("  " + (t is JsonObject o ? $"{o["hash"]} {o["from"]} -> {o["to"]} {o["amount"]}" : t!.GetValue<string>()));
            foreach (var f in b["files"]!.AsArray())
                Console.Out.WriteLine($"  file {f!["cid"]} {f["size"]} bytes {f["name"]} ({f["mediaType"]})");
            return 0;
        });
        return block;
    }

    private static Command Tx()
    {
        var hash = new Argument<string>("hash") { Description = "Transaction hash" };
        var tx = new Command("tx", "Show a transaction, its receipt and its checked Merkle proof") { hash };
        tx.SetAction(async (pr, ct) =>
        {
            if (!Hash.TryParse(pr.GetValue(hash), out var h)) throw new CliException("hash: a transaction hash is 64 hex digits", ExitCodes.BadInput);
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var typed = await c.Call(api => api.GetTransactionAsync(h, ct));
            bool? proofOk = null;
            if (typed.Status == "included")
                proofOk = ProofChecks.Transaction(typed, await c.Call(async api => (await api.GetBlockAsync(typed.BlockHeight!.Value, ct)).Header));
            var t = JsonSerializer.SerializeToNode(typed, ChainlabClient.Json)!;
            if (pr.GetValue(Global.Json)) { t["proofVerified"] = proofOk; Global.PrintJson(t); return 0; }
            var body = t["transaction"];
            Grid(("hash", t["hash"]), ("status", t["status"]), ("reason", t["reason"] ?? "-"), ("block", t["blockHeight"] ?? "-"),
                ("from", body?["from"] ?? "-"), ("to", body?["to"] ?? "-"), ("amount", body?["amount"] ?? "-"), ("fee", body?["fee"] ?? "-"),
                ("nonce", body?["nonce"] ?? "-"), ("receipt", t["receipt"]?.ToJsonString() ?? "-"),
                ("proof", proofOk is null ? "-" : proofOk.Value ? "verified against the block's tx root" : "DID NOT VERIFY"));
            return proofOk == false ? ExitCodes.Failure : 0;
        });
        return tx;
    }

    private static Command Account()
    {
        var address = new Argument<string>("address") { Description = "Account address" };
        var account = new Command("account", "Show an account with a state proof checked against the head's state root") { address };
        account.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(address), out var a, out var err)) throw new CliException(err, ExitCodes.BadInput);
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var typed = await c.Call(api => api.GetAccountAsync(a, proof: true, ct));
            var ok = ProofChecks.Account(typed, await c.Call(async api => (await api.GetBlockAsync(typed.Proof!.Height, ct)).Header));
            var acc = JsonSerializer.SerializeToNode(typed, ChainlabClient.Json)!;
            if (pr.GetValue(Global.Json)) { acc["proofVerified"] = ok; Global.PrintJson(acc); return ok ? 0 : ExitCodes.Failure; }
            Grid(("address", acc["address"]), ("balance", acc["balance"]), ("nonce", acc["nonce"]), ("next nonce", acc["nextNonce"]),
                ("stake", acc["stake"]), ("proof", ok ? $"verified against state root of block {acc["proof"]!["height"]}" : "DID NOT VERIFY"));
            return ok ? 0 : ExitCodes.Failure;
        });
        return account;
    }

    private static Command Export(Argument<string> file)
    {
        var from = new Option<ulong>("--from") { Description = "First height", DefaultValueFactory = _ => 1 };
        var to = new Option<ulong?>("--to") { Description = "Last height (default: the head)" };
        var export = new Command("export", "Write the node's blocks to a portable file") { file, from, to };
        export.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var n = await ChainTransfer.ExportAsync(c, pr.GetValue(file)!, pr.GetValue(from), pr.GetValue(to), pr.GetValue(Global.Json), ct);
            if (pr.GetValue(Global.Json)) Global.PrintJson(new { exported = n, file = pr.GetValue(file) });
            return 0;
        });
        return export;
    }

    private static Command Import(Argument<string> file)
    {
        var import = new Command("import", "Send an export file's blocks through the node's full validation") { file };
        import.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var (imported, known) = await ChainTransfer.ImportAsync(c, pr.GetValue(file)!, pr.GetValue(Global.Json), ct);
            if (pr.GetValue(Global.Json)) Global.PrintJson(new { imported, known });
            return 0;
        });
        return import;
    }

    private static Command Peers()
    {
        var peers = new Command("peers", "The node's peer links");
        peers.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var p = await c.GetAsync("/api/v1/peers", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(p); return 0; }
            Console.Out.WriteLine(p["nodeId"] is null ? "peer networking is off on this node (start it with --p2p-port or --bootstrap)" : $"node {p["nodeId"]}, p2p port {p["p2pPort"]}");
            var t = new Table().AddColumns("Node", "Address", "Direction", "Height", "Latency ms", "Score");
            foreach (var x in p["peers"]!.AsArray())
                t.AddRow(new[] { x!["nodeId"], x["address"], x["direction"], x["height"], x["latencyMs"], x["score"] }.Select(v => new Text($"{v}")).ToArray());
            AnsiConsole.Write(t);
            return 0;
        });
        return peers;
    }

    private static void Grid(params (string Key, object? Value)[] rows)
    {
        var g = new Grid().AddColumn().AddColumn();
        foreach (var (k, v) in rows) g.AddRow(new Text(k, new Style(Color.Grey)), new Text(v?.ToString() ?? "-"));
        AnsiConsole.Write(g);
    }
}
