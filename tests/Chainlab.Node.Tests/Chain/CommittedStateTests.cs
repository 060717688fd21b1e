using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;
using Chainlab.TestSupport;

using Chainlab.Node.Tests.Network;

namespace Chainlab.Node.Tests.Chain;

/// <summary>
/// Readers off the chain loop (the API, admission) read the committed head's frozen state, never the live
/// state that block building, execution and reorganisation change and undo in place.
/// </summary>
[Collection(RealTimeNetwork.Name)]
public sealed class CommittedStateTests : IAsyncLifetime
{
    private readonly KeyPair[] _authorities = Build.Keys(2, seed: 7);
    private TestNode _x = null!, _y = null!;

    public async Task InitializeAsync()
    {
        var all = Build.Keys(9, seed: 99);
        var spec = TestNode.SpecFor(all[0], all[1..]) with
        {
            Consensus = Build.Authorities(_authorities),
        };
        _x = await TestNode.StartAsync(accounts: 8, spec: spec, store: () => new Chainlab.Node.Storage.Memory.MemoryChainStore());
        _y = await TestNode.StartAsync(accounts: 8, spec: spec, store: () => new Chainlab.Node.Storage.Memory.MemoryChainStore());
    }

    public async Task DisposeAsync()
    {
        await _x.DisposeAndDeleteAsync();
        await _y.DisposeAndDeleteAsync();
    }

    /// <summary>The state root of exactly the accounts a snapshot holds.</summary>
    private static Hash RootOf(StateSnapshot s)
    {
        var w = new WorldState();
        foreach (var (a, acc) in s.All) w.Put(a, acc);
        return w.Root;
    }

    [Fact]
    public async Task Readers_hammering_the_state_during_production_and_reorganisations_only_see_committed_heads()
    {
        var chain = _x.Node.Chain;
        using var stop = new CancellationTokenSource();
        long reads = 0;
        var torn = new List<string>();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var c = chain.Committed;
                var root = RootOf(c.State);
                if (root != c.Header.StateRoot) lock (torn) torn.Add($"head {c.Header.Height}: read root {root.Short}, committed {c.Header.StateRoot.Short}");
                // Single reads through the API path see the same snapshot's values.
                foreach (var k in _x.Keys) _ = chain.Account(k.Address);
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        var driveX = new ChainDriver(chain, _x.Time);
        var driveY = new ChainDriver(_y.Node.Chain, _y.Time);
        var reorgsBefore = chain.Reorgs.Count;
        // Transfers that X includes in every branch it builds; each reorganisation sends them back to its mempool.
        var txs = Enumerable.Range(0, 80).Select(i => _x.Transfer(i % 8, (i + 1) % 8, 1, (ulong)(i / 8))).ToList();
        Assert.All(_x.Node.Pool.Admit(txs.Select(t => t.Raw).ToList()), a => Assert.True(a.Accepted, a.Result.Detail));
        for (var round = 0; round < 12; round++)
        {
            // X builds two blocks with authority 0 (the transfers land in them) ...
            var own = await driveX.ProduceAsync(_authorities[0]);
            Assert.NotEmpty(own.Transactions);
            await driveX.ProduceAsync(_authorities[0]);
            // ... while Y, from the same head, builds a heavier branch of three blocks with authority 1,
            // which X switches to, undoing its own two blocks.
            var branch = new List<Block>();
            for (var b = 0; b < 3; b++) branch.Add(await driveY.ProduceAsync(_authorities[1]));
            foreach (var block in branch) await driveX.ImportAsync(block);
            Assert.Equal(_y.Node.Chain.Head.Hash, chain.Head.Hash);
            Assert.Equal(80, _x.Node.Pool.Count);
        }
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.True(chain.Reorgs.Count - reorgsBefore >= 12, $"only {chain.Reorgs.Count - reorgsBefore} reorganisations happened");
        Assert.True(reads > 100, $"only {reads} reads");
        Assert.Empty(torn);
    }
}
