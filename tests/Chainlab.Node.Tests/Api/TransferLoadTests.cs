using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.State;
using Chainlab.Node.Events;

namespace Chainlab.Node.Tests.Api;

public sealed class TransferLoadTests
{
    [Fact]
    public async Task A_thousand_transfers_through_the_api_end_with_every_balance_and_nonce_right()
    {
        var n = await TestNode.StartAsync(accounts: 20);
        try
        {
            var rng = new Random(11);
            var model = n.Keys.ToDictionary(k => k.Address, _ => new Account(1_000_000, 0, 0));
            var txs = new List<Chainlab.Core.Model.Transaction>();
            for (var i = 0; i < 1000; i++)
            {
                var from = rng.Next(20);
                var to = rng.Next(20);
                var amount = (ulong)rng.Next(1, 500);
                var fee = (ulong)rng.Next(1, 4);
                var s = model[n.Keys[from].Address];
                txs.Add(n.Transfer(from, to, amount, s.Nonce, fee));
                model[n.Keys[from].Address] = s with { Balance = s.Balance - amount - fee, Nonce = s.Nonce + 1 };
                var r = model[n.Keys[to].Address];
                model[n.Keys[to].Address] = r with { Balance = r.Balance + amount };
            }
            ulong fees = (ulong)txs.Sum(t => (long)t.Fee);
            // First 100 one by one, the rest in batches of 300.
            foreach (var t in txs.Take(100))
                Assert.Equal(HttpStatusCode.Accepted, (await n.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(t.Raw) })).StatusCode);
            foreach (var chunk in txs.Skip(100).Chunk(300))
            {
                var resp = await n.Http.PostAsJsonAsync("/api/v1/transactions/batch", new { transactions = chunk.Select(t => Convert.ToHexStringLower(t.Raw)) });
                var body = (await resp.Content.ReadFromJsonAsync<JsonObject>())!;
                Assert.Equal(chunk.Length, body["accepted"]!.GetValue<int>());
            }
            Assert.Equal(1000, (await n.GetJson("/api/v1/status"))["mempoolSize"]!.GetValue<int>());

            var blocks = 0;
            while (n.Node.Pool.Count > 0) { await n.ProduceAsync(); blocks++; }
            Assert.Equal(1000, n.Node.Chain.CommittedTransactions);

            foreach (var k in n.Keys)
            {
                var a = await n.GetJson($"/api/v1/accounts/{k.Address}");
                Assert.Equal(model[k.Address].Balance, a["balance"]!.GetValue<ulong>());
                Assert.Equal(model[k.Address].Nonce, a["nonce"]!.GetValue<ulong>());
            }
            var producer = await n.GetJson($"/api/v1/accounts/{n.Authority.Address}");
            Assert.Equal(fees + 50UL * (ulong)blocks, producer["balance"]!.GetValue<ulong>());

            // A receipt with a Merkle proof that checks out offline against the block header.
            var sample = txs[537];
            var st = await n.GetJson($"/api/v1/transactions/{sample.Hash}");
            Assert.Equal("included", st["status"]!.GetValue<string>());
            Assert.True(st["receipt"]!["success"]!.GetValue<bool>());
            var header = (await n.GetJson($"/api/v1/blocks/{st["blockHeight"]}"))["header"]!;
            var p = st["proof"]!;
            var proof = new MerkleProof(p["index"]!.GetValue<int>(), p["leafCount"]!.GetValue<int>(),
                p["path"]!.AsArray().Select(x => Hash.Parse(x!.GetValue<string>())).ToList());
            Assert.True(MerkleTree.Verify(Hash.Parse(header["txRoot"]!.GetValue<string>()), sample.Hash, proof));
            Assert.False(MerkleTree.Verify(Hash.Parse(header["txRoot"]!.GetValue<string>()), txs[0].Hash == sample.Hash ? txs[1].Hash : txs[0].Hash, proof));

            // An account proof that checks out against the head's state root.
            var acc = await n.GetJson($"/api/v1/accounts/{n.Keys[3].Address}?proof=true");
            var sp = acc["proof"]!;
            var stateProof = new StateProof(sp["siblings"]!.AsArray().Select(x => Hash.Parse(x!.GetValue<string>())).ToList(),
                Hash.Parse(sp["leafKey"]!.GetValue<string>()), Hash.Parse(sp["leafValue"]!.GetValue<string>()));
            var root = Hash.Parse((await n.GetJson($"/api/v1/blocks/{sp["height"]}"))["header"]!["stateRoot"]!.GetValue<string>());
            Assert.True(StateTree.Verify(root, StateTree.KeyOf(n.Keys[3].Address), model[n.Keys[3].Address].ValueHash(), stateProof));
            Assert.False(StateTree.Verify(root, StateTree.KeyOf(n.Keys[3].Address), (model[n.Keys[3].Address] with { Balance = 1 }).ValueHash(), stateProof));

            var page = await n.GetJson("/api/v1/blocks?from=0&limit=100");
            Assert.Equal(blocks + 1, page["blocks"]!.AsArray().Count);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public async Task The_slot_timer_produces_blocks_as_the_injected_clock_moves_and_events_stream_them()
    {
        var n = await TestNode.StartAsync(timerProduction: true);
        try
        {
            using var sub = n.Node.ClientEvents.Subscribe();
            using var sse = await n.Http.GetStreamAsync("/api/v1/events");
            using var reader = new StreamReader(sse);
            Assert.Equal(": connected", await reader.ReadLineAsync());
            for (var i = 1; i <= 3; i++)
            {
                // Let the producer reach its Task.Delay, then move time by one slot.
                var head = await NextHead(sub, n);
                Assert.Equal((ulong)i, head.Height);
            }
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("event: head")) { }
            Assert.StartsWith("data: {\"height\":1", await reader.ReadLineAsync());
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    private static async Task<HeadEvent> NextHead(EventHub.Subscription sub, TestNode n)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            n.Time.Advance(TimeSpan.FromMilliseconds(250));
            var read = sub.Reader.WaitToReadAsync(cts.Token).AsTask();
            if (await Task.WhenAny(read, Task.Delay(20, cts.Token)) == read && sub.Reader.TryRead(out var e) && e.Data is HeadEvent h) return h;
        }
    }
}
