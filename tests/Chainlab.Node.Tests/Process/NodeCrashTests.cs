using Chainlab.Node.Hosting;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using Microsoft.Data.Sqlite;

namespace Chainlab.Node.Tests.Process;

/// <summary>feature_dbcrash in miniature: SIGKILL a node process under load and check nothing committed is lost.</summary>
[Trait("Category", Categories.Process)]
public sealed class NodeCrashTests
{
    [Fact]
    public async Task A_node_killed_under_load_restarts_at_the_same_head_and_state_root_with_no_committed_transaction_lost()
    {
        var dir = TestNode.NewDir();
        var all = Build.Keys(9, seed: 77);
        var authority = all[0];
        var keys = all[1..];
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var spec = TestNode.SpecFor(authority, keys) with { BlockTimeMs = 200, GenesisTimeMs = now - now % 200 };
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.json"), spec.ToJson());
        await File.WriteAllTextAsync(Path.Combine(dir, "key.json"), Keystore.Encrypt(authority, "pw"));
        await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "pw");
        string[] args = ["node", "run", "--data", Path.Combine(dir, "data"), "--spec", Path.Combine(dir, "spec.json"),
            "--key", Path.Combine(dir, "key.json"), "--password-file", Path.Combine(dir, "pw"), "--log-level", "Warning"];
        var rng = new Random(3);
        var nonces = new ulong[keys.Length];
        var seenIncluded = new Dictionary<Hash, (ulong Height, string BlockHash)>();
        var seenHeads = new Dictionary<ulong, (string Hash, string StateRoot)>();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                await using var node = await NodeProcess.StartAsync(args, LoopbackPort.Free());
                // Everything seen before the previous kill must still be there, unchanged.
                foreach (var (h, (hash, root)) in seenHeads)
                {
                    var header = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{h}"))!["header"]!;
                    Assert.Equal(hash, header["hash"]!.GetValue<string>());
                    Assert.Equal(root, header["stateRoot"]!.GetValue<string>());
                }
                foreach (var (tx, (height, blockHash)) in seenIncluded)
                {
                    var st = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/transactions/{tx}"))!;
                    Assert.Equal("included", st["status"]!.GetValue<string>());
                    Assert.Equal(blockHash, st["blockHash"]!.GetValue<string>());
                }
                // Nonces resume from the chain (pending transactions may be gone after a crash: that is allowed).
                for (var i = 0; i < keys.Length; i++)
                    nonces[i] = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/accounts/{keys[i].Address}"))!["nonce"]!.GetValue<ulong>();

                var startHeight = (await node.Status())["headHeight"]!.GetValue<ulong>();
                var submitted = new List<Transaction>();
                var killAfter = startHeight + 5 + (ulong)rng.Next(5);
                while ((await node.Status())["headHeight"]!.GetValue<ulong>() < killAfter)
                {
                    var batch = Enumerable.Range(0, 40).Select(_ =>
                    {
                        var from = rng.Next(keys.Length);
                        return Transaction.Create(keys[from], spec.ChainId, TxKind.Transfer, nonces[from]++, 1, keys[rng.Next(keys.Length)].Address, 1);
                    }).ToList();
                    var resp = await node.Http.PostAsJsonAsync("/api/v1/transactions/batch", new { transactions = batch.Select(t => Convert.ToHexStringLower(t.Raw)) });
                    Assert.Equal(40, (await resp.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!.GetValue<int>());
                    submitted.AddRange(batch);
                    foreach (var t in submitted.TakeLast(80))
                    {
                        var st = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/transactions/{t.Hash}"))!;
                        if (st["status"]!.GetValue<string>() == "included")
                            seenIncluded[t.Hash] = (st["blockHeight"]!.GetValue<ulong>(), st["blockHash"]!.GetValue<string>());
                    }
                    var s = await node.Status();
                    seenHeads[s["headHeight"]!.GetValue<ulong>()] = (s["headHash"]!.GetValue<string>(), s["stateRoot"]!.GetValue<string>());
                }
                // Keep submitting while the kill lands.
                var load = Task.Run(async () =>
                {
                    try
                    {
                        for (var i = 0; i < 20; i++)
                        {
                            var from = rng.Next(keys.Length);
                            var t = Transaction.Create(keys[from], spec.ChainId, TxKind.Transfer, nonces[from]++, 1, keys[0].Address, 1);
                            await node.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(t.Raw) });
                        }
                    }
                    catch (HttpRequestException) { }
                });
                await node.KillAsync();
                await load;
            }
            Assert.True(seenIncluded.Count > 50, $"only {seenIncluded.Count} transactions were seen included");

            // No half-written block: every stored block has all its transactions and an undo record.
            using var c = new SqliteConnection($"Data Source={Path.Combine(dir, "data", Chainlab.Node.Storage.ChainStores.DatabaseFileName)};Mode=ReadOnly;Pooling=false");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                SELECT (SELECT COALESCE(SUM(tx_count),0) FROM blocks), (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM transactions WHERE success = 1),
                       (SELECT COUNT(*) FROM blocks WHERE height > 0), (SELECT COUNT(*) FROM undo)
                """;
            using var r = cmd.ExecuteReader();
            r.Read();
            Assert.Equal(r.GetInt64(0), r.GetInt64(1));
            Assert.Equal(r.GetInt64(1), r.GetInt64(2));
            Assert.Equal(r.GetInt64(3), r.GetInt64(4));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TempDir.Delete(dir);
        }
    }

    [Fact]
    public async Task Bad_cli_input_to_node_run_fails_with_one_line_and_a_nonzero_code()
    {
        var dir = TestNode.NewDir();
        try
        {
            var (code, err) = await RunCli("node", "run", "--data", dir);
            Assert.Equal(1, code);
            Assert.Contains("no chain spec", err);
            await File.WriteAllTextAsync(Path.Combine(dir, "bad.json"), "{ not json");
            (code, err) = await RunCli("node", "run", "--data", dir, "--spec", Path.Combine(dir, "bad.json"));
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            (code, err) = await RunCli("node", "run", "--data", dir, "--port", "70000");
            Assert.Equal(2, code);
            (code, err) = await RunCli("chain", "info", "--node", "http://127.0.0.1:1");
            Assert.Equal(3, code);
            Assert.Contains("cannot reach node", err);
        }
        finally { TempDir.Delete(dir); }
    }

    private static async Task<(int Code, string Stderr)> RunCli(params string[] args)
    {
        var (code, _, err) = await CliRunner.RunAsync(null, args);
        return (code, err);
    }
}
