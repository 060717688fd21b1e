using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>
/// Every node reaches the same result: a 4-node devnet (four processes, four string-hash seeds) runs a seeded
/// random workload of deploys and invocations, and a fresh node that replays the exported blocks agrees.
/// </summary>
[Trait("Category", Categories.Process)]
public sealed class ContractDeterminismTests
{
    // Stores the order pairs() visits 200 keys in, so any difference between processes changes the state root.
    private const string Mixer = """
        function mix(seed, n)
          local t = {}
          for i = 1, n do t["k" .. ((seed * 7919 + i * 104729) % 1000)] = i end
          local keys = {}
          for k in pairs(t) do keys[#keys + 1] = k end
          storage.set("order:" .. seed, table.concat(keys, ","))
          chain.emit("Mixed", #keys)
          return #keys
        end
        function flaky(x)
          storage.set("last", x)
          if x % 3 == 0 then error("multiple of three") end
          return x
        end
        function relay(other, x)
          local ok, r = pcall(chain.call, other, "flaky", x)
          storage.set("relayed:" .. x, ok)
          return ok
        end
        """;

    [Fact]
    public async Task A_four_node_devnet_running_a_random_contract_workload_ends_with_one_state_root_and_a_replay_agrees()
    {
        using var devnet = DevnetProcess.Start(4, "300ms");
        var root = devnet.Root;
        var clients = Enumerable.Range(1, 4).Select(i => new HttpClient { BaseAddress = new Uri(devnet.Url(i)) }).ToList();
        try
        {
            await devnet.WaitForAsync("heights");
            var passwordFile = Path.Combine(root, "keys", "password");
            var keys = Enumerable.Range(1, 4).Select(i => KeyFiles.Unlock(Path.Combine(root, "keys", $"dev{i}.json"), passwordFile)).ToArray();
            var chainId = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/status"))!["chainId"]!.GetValue<string>();
            var nonces = new ulong[4];
            var submitted = new List<Hash>();
            var rng = new Random(20261130);

            async Task Send(int from, TxKind kind, Address to, ulong amount, byte[] payload)
            {
                var tx = Transaction.Create(keys[from], chainId, kind, nonces[from]++, 1_000_000, to, amount, payload);
                var resp = await clients[from].PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) });
                Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
                submitted.Add(tx.Hash);
            }

            var sw = Stopwatch.StartNew();
            int succeeded = 0, failed = 0;
            // Each sender talks to its own node; gossip carries the transactions to the producer.
            async Task AwaitIncluded(IEnumerable<Hash> hashes)
            {
                foreach (var h in hashes)
                {
                    while (true)
                    {
                        var resp = await clients[0].GetAsync($"/api/v1/transactions/{h}");
                        var body = resp.IsSuccessStatusCode ? JsonNode.Parse(await resp.Content.ReadAsStringAsync())! : null;
                        var status = body?["status"]!.GetValue<string>() ?? "unknown here yet";
                        if (status == "included")
                        {
                            if (body!["receipt"]!["success"]!.GetValue<bool>()) succeeded++; else failed++;
                            break;
                        }
                        Assert.NotEqual("rejected", status);
                        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(120), $"transaction {h} is still {status}");
                        await Task.Delay(200);
                    }
                }
            }

            var mixers = new List<Address>();
            for (var i = 0; i < 3; i++)
            {
                mixers.Add(ContractState.ContractAddress(keys[i].Address, nonces[i]));
                await Send(i, TxKind.Deploy, Address.Zero, 0, ContractPayload.Deploy(1_000_000, System.Text.Encoding.UTF8.GetBytes(Mixer), []));
            }
            var token = ContractState.ContractAddress(keys[3].Address, nonces[3]);
            await Send(3, TxKind.Deploy, Address.Zero, 0, ContractPayload.Deploy(1_000_000,
                System.Text.Encoding.UTF8.GetBytes(ContractNode.Example("token.lua")), ContractTx.Args("""["T", "T", 1000000]""")));
            await AwaitIncluded(submitted);
            Assert.Equal(4, succeeded);
            var deploys = submitted.Count;
            for (var i = 0; i < 80; i++)
            {
                var from = rng.Next(4);
                var m = mixers[rng.Next(mixers.Count)];
                var which = rng.Next(4);
                byte[] p = which switch
                {
                    0 => ContractPayload.Invoke(1_000_000, "mix", [ContractValue.Of(rng.Next(1000)), ContractValue.Of(rng.Next(10, 200))]),
                    1 => ContractPayload.Invoke(1_000_000, "flaky", [ContractValue.Of(rng.Next(100))]),
                    2 => ContractPayload.Invoke(1_000_000, "relay", [ContractValue.Of(mixers[rng.Next(mixers.Count)].ToString()), ContractValue.Of(rng.Next(100))]),
                    _ => ContractPayload.Invoke(1_000_000, "transfer", [ContractValue.Of(keys[rng.Next(4)].Address.ToString()), ContractValue.Of(rng.Next(1, 50))]),
                };
                await Send(from, TxKind.Invoke, which == 3 ? token : m, (ulong)rng.Next(3), p);
            }

            await AwaitIncluded(submitted.Skip(deploys));
            Assert.True(succeeded > 30 && failed > 5, $"{succeeded} runs succeeded and {failed} failed: the workload should have both");
            async Task<ulong[]> Heights() => await Task.WhenAll(clients.Select(async c => (await c.GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>()));
            var target = (await Heights()).Max();
            await Eventually.True(async () => (await Heights()).Min() >= target, "every node reaches the highest head");
            var roots = await Task.WhenAll(clients.Select(async c => (await c.GetFromJsonAsync<JsonObject>($"/api/v1/blocks/{target}"))!["header"]!["stateRoot"]!.GetValue<string>()));
            Assert.Single(roots.Distinct());
            var orders = await Task.WhenAll(clients.Select(c => c.GetStringAsync($"/api/v1/contracts/{mixers[0]}")));
            Assert.Single(orders.Distinct());

            // A fresh node (this test's process) replays node 1's blocks and computes the same state root at every height.
            var spec = ChainSpec.FromJson(await File.ReadAllTextAsync(Path.Combine(root, "chainspec.json")));
            await using var fresh = await TestNode.StartAsync(spec: spec);
            fresh.Time.SetTo(DateTimeOffset.UtcNow.AddMinutes(1));
            for (ulong h = 1; h <= target; h++)
            {
                var raw = await clients[0].GetByteArrayAsync($"/api/v1/blocks/{h}/raw");
                var content = new ByteArrayContent(raw);
                content.Headers.ContentType = new("application/octet-stream");
                var resp = await fresh.Http.PostAsync("/api/v1/blocks", content);
                Assert.True(resp.IsSuccessStatusCode, $"block {h}: {await resp.Content.ReadAsStringAsync()}");
                Assert.Equal(Block.Decode(raw).Header.StateRoot, fresh.Node.Chain.Head.StateRoot);
            }
            Assert.Equal(roots[0], fresh.Node.Chain.Head.StateRoot.ToString());
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
