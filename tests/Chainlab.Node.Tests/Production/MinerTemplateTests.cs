using Chainlab.Core.Model;
using Chainlab.Node.Events;
using Chainlab.Node.Hosting;
using Chainlab.Node.Production;
using Chainlab.Node.Storage.Memory;
using Chainlab.Sim.Time;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Tests.Production;

public sealed class MinerTemplateTests
{
    [Fact]
    public void A_miner_puts_transactions_that_arrive_while_it_works_on_a_block_into_that_block()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var vt = new VirtualTime(start);
        var users = Build.Keys(2, seed: 3);
        var spec = TestNode.SpecFor(users[0], users) with
        {
            GenesisTimeMs = (ulong)start.ToUnixTimeMilliseconds(),
            BlockTimeMs = 600_000, // ten-minute blocks, simulated work: the whole hash power is this miner's
            Consensus = new ConsensusSpec { Engine = "pow", InitialDifficulty = 1_000_000, RetargetInterval = 20 },
        };
        var blocks = new List<Block>();
        var node = NodeCore.Start(new NodeOptions
        {
            DataDir = TestNode.NewDir(), Spec = spec, Time = vt.Clock, Scheduler = vt.Scheduler, Seed = 5, LogLevel = LogLevel.None,
            Store = () => new MemoryChainStore(), ProducerKey = users[1], SimulatedWork = new SimulatedWork(1.0),
        }, LoggerFactory.Create(_ => { }));
        node.Events.Subscribe(e => { if (e is BlockConnected c) lock (blocks) blocks.Add(c.Block); });
        try
        {
            // The miner began on an empty template; a transfer arrives a minute later.
            vt.RunFor(TimeSpan.FromMinutes(1));
            Assert.Empty(blocks); // this seed's first block takes longer than a minute
            var tx = Transaction.Create(users[0], spec.ChainId, TxKind.Transfer, 0, 1, users[1].Address, 1);
            Assert.True(node.Pool.Admit([tx.Raw])[0].Accepted);
            vt.RunUntil(() => blocks.Count > 0, TimeSpan.FromHours(2), "the first block");
            // Without a template refresh the block sealed the empty template it started with.
            Assert.Contains(blocks[0].Transactions, t => t.Hash == tx.Hash);
            Assert.True(vt.Now - start > TimeSpan.FromMinutes(1) + BlockProducer.TemplateRefresh);
        }
        finally { vt.Run(() => node.DisposeAsync().AsTask()); }
    }
}
