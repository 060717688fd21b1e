using Chainlab.Node.Hosting;
using System.Text;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Events;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Storage.Memory;
using Chainlab.Sim.Network;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Tests.Network;

/// <summary>
/// Node cores in one process over in-memory links, all on one deterministic scheduler and one manual clock:
/// they produce, gossip, fork under a partition, heal and sync a late joiner without any wall-clock wait,
/// and two runs with the same seed give byte-identical chains and event logs.
/// </summary>
[Collection(RealTimeNetwork.Name)]
public sealed class VirtualTimeNetworkTests
{
    private sealed record RunResult(IReadOnlyList<string> Chain, IReadOnlyList<string> Events, long Reorgs, int Included);

    private static RunResult Run(int seed)
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var vt = new VirtualTime(start);
        var net = new MemoryNetwork();
        var authorities = Build.Keys(2, seed: 7);
        var users = Build.Keys(4, seed: 11);
        var spec = TestNode.SpecFor(users[0], users) with
        {
            GenesisTimeMs = (ulong)start.ToUnixTimeMilliseconds(),
            Consensus = Build.Authorities(authorities),
        };
        var nodeKeys = Build.Keys(4, seed: 1000 + seed);
        var nodes = new List<NodeCore>();
        var logs = new List<List<string>>();
        var dirs = new List<string>();

        NodeCore Start(int i, KeyPair? producer, params int[] bootstrapPorts)
        {
            var dir = TestNode.NewDir();
            dirs.Add(dir);
            var node = NodeCore.Start(new NodeOptions
            {
                DataDir = dir, Spec = spec, Time = vt.Clock, Scheduler = vt.Scheduler, Seed = seed * 100 + i,
                Store = () => new MemoryChainStore(), NodeKey = nodeKeys[i], ProducerKey = producer, LogLevel = LogLevel.None,
                Peers = new PeerOptions
                {
                    Transport = net.ForNode(),
                    Bootstrap = bootstrapPorts.Select(p => new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, p)).ToList(),
                },
            }, LoggerFactory.Create(_ => { }));
            var log = new List<string>();
            node.Events.Subscribe(e => { lock (log) log.Add(Describe(e)); });
            nodes.Add(node);
            logs.Add(log);
            return node;
        }

        try
        {
            var a = Start(0, authorities[0]);
            var b = Start(1, authorities[1], a.Network!.Port);
            var c = Start(2, null, a.Network!.Port, b.Network!.Port);
            vt.RunFor(TimeSpan.FromSeconds(6));
            Assert.True(nodes.All(n => n.Network!.Peers.Count == 2), $"now {vt.Now:HH:mm:ss.fff}, pending {vt.Scheduler.Pending}, next timer {vt.Clock.NextDue:HH:mm:ss.fff}, peers {string.Join(",", nodes.Select(n => n.Network!.Peers.Count))}, heights {string.Join(",", nodes.Select(n => n.Chain.Head.Height))}");
            Assert.True(a.Chain.Head.Height >= 4, $"only {a.Chain.Head.Height} blocks in 6 slots");

            // Gossip: transfers sent to the follower reach the producers and land in blocks everywhere.
            var transfers = Enumerable.Range(0, 20).Select(i => Build.Transfer(users[i % 4], users[(i + 1) % 4].Address, 5, (ulong)(i / 4), chain: spec.ChainId)).ToList();
            Assert.All(c.Pool.Admit(transfers.Select(t => t.Raw).ToList()), r => Assert.True(r.Accepted, r.Result.Detail));
            vt.RunUntil(() => nodes.All(n => n.Pool.Count == 0 && n.Chain.Head.Hash == a.Chain.Head.Hash), TimeSpan.FromSeconds(10), "the transfers are committed on every node");

            // Fork: A alone on one side, B and C on the other; both sides keep producing.
            net.Split([a.Network.Port], [b.Network!.Port, c.Network!.Port]);
            var forkAt = a.Chain.Head.Height;
            Assert.True(a.Pool.Admit([Build.Transfer(users[0], users[2].Address, 1, 5, chain: spec.ChainId).Raw])[0].Accepted);
            vt.RunFor(TimeSpan.FromSeconds(8));
            Assert.NotEqual(a.Chain.Head.Hash, b.Chain.Head.Hash);
            Assert.True(a.Chain.Head.Height > forkAt && b.Chain.Head.Height > forkAt);

            // Heal: the links come back, and everyone ends on one chain.
            net.Heal();
            // The transfer A included on its side goes back to a mempool and into the joint chain.
            vt.RunUntil(() => nodes.All(n => n.Chain.Head.Hash == a.Chain.Head.Hash && n.Chain.Head.Height > forkAt + 8 && n.Pool.Count == 0),
                TimeSpan.FromSeconds(30), "the partition heals onto one chain");

            // A node that joins late syncs the whole chain.
            var d = Start(3, null, c.Network.Port);
            vt.RunUntil(() => d.Chain.Head.Hash == a.Chain.Head.Hash, TimeSpan.FromSeconds(20), "the late node catches up");

            var chain = Enumerable.Range(0, (int)a.Chain.Head.Height + 1)
                .Select(h => Convert.ToHexStringLower(a.Store.RawBlockByHeight((ulong)h)!)).ToList();
            foreach (var n in nodes) Assert.Equal(a.Chain.Head.StateRoot, n.Chain.Head.StateRoot);
            var included = Enumerable.Range(1, (int)a.Chain.Head.Height).Sum(h => a.Store.BlockByHeight((ulong)h)!.Transactions.Count);
            var events = logs.SelectMany((l, i) => l.Select(line => $"{i} {line}")).ToList();
            return new RunResult(chain, events, nodes.Sum(n => n.Chain.Reorgs.Count), included);
        }
        finally
        {
            foreach (var n in nodes) vt.Run(() => n.DisposeAsync().AsTask());
            foreach (var dir in dirs) TempDir.Delete(dir);
        }
    }

    [Fact]
    public void A_settled_node_stops_polling_its_peers_and_dials_again_at_once_when_its_link_goes()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var vt = new VirtualTime(start);
        var net = new MemoryNetwork();
        var users = Build.Keys(2, seed: 11);
        var spec = TestNode.SpecFor(users[0], users) with { GenesisTimeMs = (ulong)start.ToUnixTimeMilliseconds() };
        var keys = Build.Keys(3, seed: 77);
        var nodes = new List<NodeCore>();
        NodeCore Start(int i, params int[] bootstrap)
        {
            var node = NodeCore.Start(new NodeOptions
            {
                DataDir = TestNode.NewDir(), Spec = spec, Time = vt.Clock, Scheduler = vt.Scheduler, Seed = i,
                Store = () => new MemoryChainStore(), NodeKey = keys[i], LogLevel = LogLevel.None,
                Peers = new PeerOptions
                {
                    Transport = net.ForNode(), MaxOutbound = 1, PingInterval = TimeSpan.FromMinutes(2), IdleTimeout = TimeSpan.FromMinutes(20),
                    RotationInterval = TimeSpan.FromHours(1),
                    Bootstrap = bootstrap.Select(p => new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, p)).ToList(),
                },
            }, LoggerFactory.Create(_ => { }));
            nodes.Add(node);
            return node;
        }
        try
        {
            var a = Start(0);
            var b = Start(1);
            var c = Start(2, a.Network!.Port, b.Network!.Port);
            vt.RunUntil(() => c.Network!.Peers.Count(p => p.Outbound) == 1, TimeSpan.FromSeconds(10), "the third node takes its one outbound slot");
            // Settled: its one outbound slot is taken and nothing is in flight. Ten minutes used to be 300 rounds
            // of 2 s; now the loop sleeps until a link goes, with a backstop every 30 s.
            var before = c.Network!.DialRounds;
            vt.RunFor(TimeSpan.FromMinutes(10));
            var rounds = c.Network.DialRounds - before;
            Assert.InRange(rounds, 1, 25);
            // Its link goes: the loop wakes and fills the slot with the other node within a dial interval or two,
            // not at the next backstop.
            var linked = c.Network.Peers.Single(p => p.Outbound);
            var gone = nodes.Single(n => n != c && n.Network!.Port == linked.ListenPort);
            vt.Run(() => gone.DisposeAsync().AsTask());
            nodes.Remove(gone);
            var lostAt = vt.Now;
            // (It dials the gone node's address first, which fails: that frees the slot and wakes the loop too.)
            vt.RunUntil(() => c.Network.Peers.Any(p => p.Outbound && p.ListenPort != linked.ListenPort), TimeSpan.FromSeconds(10), "the node links to the other one");
            Assert.True(vt.Now - lostAt < TimeSpan.FromSeconds(5), $"relinked after {(vt.Now - lostAt).TotalSeconds} s");
        }
        finally
        {
            foreach (var n in nodes) vt.Run(() => n.DisposeAsync().AsTask());
        }
    }

    private static string Describe(NodeEvent e) => e switch
    {
        HeadChanged h => $"head {h.Head.Height} {h.Head.Hash}",
        BlockConnected c => $"connected {c.Block.Height} {c.Block.Hash} txs {c.Block.Transactions.Count}",
        BlockDisconnected d => $"disconnected {d.Block.Height} {d.Block.Hash}",
        Reorganised r => $"reorg depth {r.Depth} from {r.From.Hash} to {r.To.Hash}",
        TransactionsAdmitted t => $"admitted {string.Join(',', t.Hashes)}",
        EquivocationSeen q => $"equivocation {q.First.Hash} {q.Second.Hash}",
        _ => e.GetType().Name,
    };

    [Fact]
    public void Nodes_in_virtual_time_produce_gossip_fork_heal_and_sync_and_the_same_seed_gives_the_same_run()
    {
        var first = Run(seed: 3);
        var second = Run(seed: 3);

        Assert.True(first.Reorgs > 0, "the partition should have forced a reorganisation");
        Assert.True(first.Included >= 21, $"only {first.Included} transactions were included");
        Assert.Equal(first.Chain, second.Chain);
        Assert.Equal(first.Events.Count, second.Events.Count);
        for (var i = 0; i < first.Events.Count; i++) Assert.True(first.Events[i] == second.Events[i], $"event {i} differs:\n{first.Events[i]}\n{second.Events[i]}");
        Assert.Equal(Hash.Sha256(Encoding.UTF8.GetBytes(string.Join('\n', first.Events))), Hash.Sha256(Encoding.UTF8.GetBytes(string.Join('\n', second.Events))));
    }
}
