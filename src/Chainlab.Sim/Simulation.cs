using System.Diagnostics;
using System.Net;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Events;
using Chainlab.Node.Hosting;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Storage.Memory;
using Chainlab.Sim.Network;
using Chainlab.Sim.Time;
using Microsoft.Extensions.Logging;

namespace Chainlab.Sim;

/// <summary>Where a run stands, for a progress line.</summary>
public sealed record SimProgress(TimeSpan Simulated, TimeSpan Total, TimeSpan Wall, long WorkItems, ulong Height);

/// <summary>
/// Runs a scenario: N node cores of the real node code (import, fork choice, mempool, gossip, sync, the engine) on
/// one deterministic scheduler and one virtual clock, linked over the modelled Internet, and measures what
/// happened. Everything the report says comes from the seed and the scenario; the same pair gives the same report.
/// </summary>
public static class Simulation
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000); // 2026-01-01T00:00Z

    public static SimReport Run(SimScenario s, Action<SimProgress>? progress = null, CancellationToken ct = default)
    {
        var wall = Stopwatch.StartNew();
        var collectorAtStart = CollectorWork.Now();
        var random = new Random(s.Seed);
        var vt = new VirtualTime(Start);
        var model = s.Model();
        var net = new MemoryNetwork(model, vt.Clock, s.Seed, s.ValidationMsPerKb);
        var producers = Keys(s.Producers, random);
        var users = Keys(Math.Max(1, Math.Min(64, s.TransactionsPerSecond)), random);
        var selfish = s.SelfishShare > 0 ? KeyPair.FromRandom(random) : null;
        var blockMs = (ulong)s.BlockTimeSpan.TotalMilliseconds;
        var spec = new ChainSpec
        {
            ChainId = "sim-" + s.Name, GenesisTimeMs = (ulong)Start.ToUnixTimeMilliseconds(), BlockTimeMs = blockMs, BlockReward = 50, MinFee = 1, MaxBlockTransactions = s.MaxBlockTransactions,
            Consensus = s.Consensus == "pow"
                ? new ConsensusSpec { Engine = "pow", InitialDifficulty = 1_000_000, RetargetInterval = 20 }
                : s.Consensus == "pos"
                // Proof of stake on its real slot clock: each producer a genesis validator with an equal stake; a
                // slot has a leader with the engine's default chance (0.6), and two winners of one slot fork.
                ? new ConsensusSpec
                {
                    Engine = "pos",
                    Validators = producers.Select(p => new GenesisValidator(Convert.ToHexStringLower(p.PublicKey), 10_000)).ToList(),
                }
                : new ConsensusSpec
                {
                    Authorities = producers.Select(p => Convert.ToHexStringLower(p.PublicKey)).ToList(),
                    Admin = Convert.ToHexStringLower(producers[0].PublicKey),
                },
            Finality = s.Finality ? new FinalitySpec { CheckpointInterval = s.CheckpointInterval } : null,
            Alloc = users.ToDictionary(u => u.Address.ToString(), _ => 1_000_000_000UL),
        };
        var signatures = new SharedSignatures();
        var blocks = new SharedBlocks(); // every node's store keeps the one copy of a block
        var frames = new SharedFrames(); // and a block served on its own is framed once
        var root = Directory.CreateTempSubdirectory("chainlab-sim-").FullName;
        var nodes = new List<NodeCore>();
        var regions = new int[s.Nodes];
        var trace = new SimTrace(s.Nodes);
        // Producers go to random places in the network.
        var producerAt = Enumerable.Range(0, s.Nodes).OrderBy(_ => random.Next()).Take(s.Producers).Select((node, k) => (node, k)).ToDictionary(x => x.node, x => x.k);
        // The selfish miner, if any, at a node of its own, never node 0 (whose chain the report reads).
        var others = selfish is null ? [] : Enumerable.Range(1, s.Nodes - 1).Where(n => !producerAt.ContainsKey(n)).ToList();
        var selfishAt = selfish is null ? -1 : others[random.Next(others.Count)];
        var honestShare = 1 - s.SelfishShare;
        // Eclipse attackers, if any, drawn from a random source of their own (a run without them is as before):
        // nodes other than node 1, the producers and the selfish miner, running the node's eclipse misbehaviour.
        var pick = new Random(s.Seed * 31 + 7);
        var attackers = Enumerable.Range(1, s.Nodes - 1).Where(n => !producerAt.ContainsKey(n) && n != selfishAt)
            .Select(n => (n, k: pick.Next())).OrderBy(x => x.k).Take(s.EclipseAttackers).Select(x => x.n).ToHashSet();
        var online = new bool[s.Nodes];
        try
        {
            var nodeKeys = new KeyPair[s.Nodes];
            var ports = new int[s.Nodes];
            var lives = new int[s.Nodes];
            NodeCore StartNode(int i, List<IPEndPoint> bootstrap, int port)
            {
                var node = NodeCore.Start(new NodeOptions
                {
                    DataDir = Path.Combine(root, $"{i}-{lives[i]++}"), Spec = spec, Time = vt.Clock, Scheduler = vt.Scheduler, Seed = s.Seed * 100_003 + i,
                    Store = () => new MemoryChainStore(blocks), VerifySignature = signatures.Verify, KnownReceipts = blocks.ReceiptsOf, NodeKey = nodeKeys[i], LogLevel = LogLevel.None,
                    ProducerKey = i == selfishAt ? selfish : producerAt.TryGetValue(i, out var k) ? producers[k] : null,
                    SimulatedWork = s.Consensus != "pow" ? null
                        : new Chainlab.Node.Production.SimulatedWork(i == selfishAt ? s.SelfishShare
                            : producerAt.TryGetValue(i, out var m) ? honestShare * (s.HashShares.Count > 0 ? s.HashShares[m] : 1.0 / s.Producers) : 0),
                    Misbehave = i == selfishAt ? ["selfish-mine"] : attackers.Contains(i) ? ["eclipse"] : [],
                    Peers = new PeerOptions
                    {
                        Transport = net.ForNode(regions[i]), Port = port, PeersFile = "", Bootstrap = bootstrap, MaxInbound = s.Inbound,
                        MaxOutbound = i == selfishAt ? s.SelfishOutbound ?? s.Outbound : s.Outbound,
                        PingInterval = s.PingIntervalSpan, IdleTimeout = 10 * s.PingIntervalSpan, TransactionBatchWait = s.TransactionBatchWaitSpan, BlocksOnly = s.Load == "miners", DecodeBlock = blocks.Decode, EncodeFrame = frames.Encode, BlockBytes = blocks.Bytes,
                    },
                }, LoggerFactory.Create(_ => { }));
                var index = i;
                node.Events.Subscribe(e =>
                {
                    switch (e)
                    {
                        case BlockConnected c:
                            if (!trace.Blocks.TryGetValue(c.Block.Hash, out var b))
                                trace.Blocks[c.Block.Hash] = b = new SimBlock(c.Block.Height, vt.Now, c.Block.Transactions.Count, c.Block.Encode().Length,
                                    selfish is not null && c.Block.Header.Producer.AsSpan().SequenceEqual(selfish.PublicKey));
                            b.Reached(index, vt.Now);
                            if (index == 0) trace.Canonical.Add(c.Block.Hash);
                            break;
                        case BlockDisconnected d when index == 0:
                            trace.Canonical.Remove(d.Block.Hash);
                            break;
                        case Reorganised r:
                            trace.Reorganisations++;
                            trace.DeepestReorganisation = Math.Max(trace.DeepestReorganisation, r.Depth);
                            break;
                        case Finalised f:
                            trace.Finalised[index].Add((vt.Now, f.Checkpoint.Height));
                            break;
                    }
                });
                online[i] = true;
                return node;
            }

            for (var i = 0; i < s.Nodes; i++)
            {
                ct.ThrowIfCancellationRequested();
                regions[i] = model.DrawRegion(random);
                var bootstrap = i == 0 ? [] : Enumerable.Range(0, Math.Min(3, i)).Select(_ => nodes[random.Next(i)].Network!.Port).Distinct()
                    .Select(p => new IPEndPoint(IPAddress.Loopback, p)).ToList();
                nodeKeys[i] = KeyPair.FromRandom(random);
                nodes.Add(StartNode(i, bootstrap, 0));
                ports[i] = nodes[i].Network!.Port;
            }

            var nonces = new ulong[users.Length];
            var home = users.Select(_ => random.Next(nodes.Count)).ToArray();
            long refused = 0, heldBack = 0;
            // Churn: its own random source (a scenario without churn runs as before). Node 0 (whose chain the report
            // reads), the producers and the selfish miner stay; any other node leaves at the scenario's rate and comes
            // back after the downtime as a new node with an empty store, which syncs from three nodes that are up.
            var churn = new Random(s.Seed * 7_919 + 1);
            var leaveChance = s.Churn / 3600.0;
            var backAt = new DateTimeOffset[s.Nodes];
            long left = 0, rejoined = 0;
            var end = Start + s.DurationSpan;
            var step = TimeSpan.FromSeconds(1);
            var sinceSample = 0;
            var lastReport = wall.Elapsed;
            var splits = s.Partitions.Select(p => (At: Start + SimScenario.ParseDuration(p.At, "at"),
                Heal: p.Heal is { } h ? Start + SimScenario.ParseDuration(h, "heal") : (DateTimeOffset?)null, Part: p)).ToList();
            var split = -1;
            long partitions = 0;
            while (vt.Now < end)
            {
                ct.ThrowIfCancellationRequested();
                // One split at a time: the latest that has begun and not healed.
                var now = splits.Select((x, i) => (x, i)).LastOrDefault(y => y.x.At <= vt.Now && (y.x.Heal is null || y.x.Heal > vt.Now), (default, -1)).Item2;
                if (now != split)
                {
                    if (now < 0) net.Heal();
                    else
                    {
                        var p = splits[now].Part;
                        var cut = Enumerable.Range(0, nodes.Count).Where(i => p.Fraction is { } f ? i < (int)Math.Round(f * nodes.Count)
                            : p.Regions.Contains(model.Regions[regions[i]].Name)).ToHashSet();
                        net.Split([.. cut.Select(i => ports[i])], [.. Enumerable.Range(0, nodes.Count).Where(i => !cut.Contains(i)).Select(i => ports[i])]);
                        partitions++;
                    }
                    split = now;
                }
                if (leaveChance > 0)
                    for (var i = 1; i < nodes.Count; i++)
                    {
                        if (producerAt.ContainsKey(i) || i == selfishAt || attackers.Contains(i)) continue;
                        if (online[i] && churn.NextDouble() < leaveChance)
                        {
                            var gone = nodes[i];
                            online[i] = false;
                            vt.Run(() => gone.DisposeAsync().AsTask());
                            backAt[i] = vt.Now + s.ChurnDowntimeSpan;
                            left++;
                        }
                        else if (!online[i] && vt.Now >= backAt[i])
                        {
                            var up = Enumerable.Range(0, nodes.Count).Where(n => online[n]).ToList();
                            var bootstrap = Enumerable.Range(0, 3).Select(_ => ports[up[churn.Next(up.Count)]]).Distinct().Select(p => new IPEndPoint(IPAddress.Loopback, p)).ToList();
                            nodes[i] = StartNode(i, bootstrap, ports[i]);
                            rejoined++;
                        }
                    }
                for (var t = 0; t < s.TransactionsPerSecond; t++)
                {
                    var u = random.Next(users.Length);
                    if (!online[home[u]]) { heldBack++; continue; } // the sender's wallet node is away: it waits
                    // A wallet asks its node for the next nonce (a node back from churn knows only the chain); with the
                    // load at the miners the sender counts its own.
                    var nonce = s.Load == "miners" ? nonces[u]++ : nodes[home[u]].Pool.NextNonce(users[u].Address);
                    var tx = Transaction.Create(users[u], spec.ChainId, TxKind.Transfer, nonce, 1, users[(u + 1) % users.Length].Address, 1);
                    if (s.Load == "miners")
                    {
                        // Straight to every miner's pool, in order; nodes relay blocks only.
                        var taken = false;
                        foreach (var m in producerAt.Keys.Order()) taken |= nodes[m].Pool.Admit([tx.Raw])[0].Accepted;
                        if (!taken) { refused++; nonces[u]--; } // the sender tries that nonce again
                    }
                    // Each sender uses one node (its wallet's), as a real one would: its nonces arrive there in order.
                    else if (!nodes[home[u]].Pool.Admit([tx.Raw])[0].Accepted) refused++;
                }
                vt.RunFor(end - vt.Now < step ? end - vt.Now : step);
                // The pools' sizes, every ten simulated seconds.
                if (++sinceSample == 10)
                {
                    sinceSample = 0;
                    for (var i = 0; i < nodes.Count; i++)
                        if (online[i]) trace.SamplePool(nodes[i].Pool.Count);
                    if (attackers.Count > 0) trace.SampleEclipse(EclipseCensus(nodes, online, attackers, ports));
                }
                if (progress is not null && wall.Elapsed - lastReport > TimeSpan.FromSeconds(1))
                {
                    lastReport = wall.Elapsed;
                    progress(new SimProgress(vt.Now - Start, s.DurationSpan, wall.Elapsed, vt.Scheduler.Executed, nodes[0].Chain.Head.Height));
                }
            }
            progress?.Invoke(new SimProgress(vt.Now - Start, s.DurationSpan, wall.Elapsed, vt.Scheduler.Executed, nodes[0].Chain.Head.Height));
            var report = SimReport.Of(s, model, regions, trace, nodes.Count,
                ports.Select(net.SentBy).ToList(), nodes[0].Chain.Head, refused, partitions, vt.Scheduler.Executed, wall.Elapsed);
            if (s.Churn > 0) report = report with { Results = report.Results with { NodesLeft = left, NodesRejoined = rejoined, TransfersHeldBack = heldBack } };
            return report with { Collected = CollectorWork.Now().Since(collectorAtStart) };
        }
        finally
        {
            for (var i = 0; i < nodes.Count; i++)
                if (online[i]) vt.Run(() => nodes[i].DisposeAsync().AsTask());
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Over the honest nodes that are up: how many of their inbound links lead to an attacker's address (its made-up
    /// identities dial from there, as do its ordinary links), how many inbound links there are, and how many nodes
    /// have no link to an honest node.
    /// </summary>
    private static (int Held, int Inbound, int Eclipsed) EclipseCensus(List<NodeCore> nodes, bool[] online, HashSet<int> attackers, int[] ports)
    {
        var attackerPorts = attackers.Select(a => ports[a]).ToHashSet();
        int held = 0, inbound = 0, eclipsed = 0;
        for (var i = 0; i < nodes.Count; i++)
        {
            if (!online[i] || attackers.Contains(i)) continue;
            var honest = 0;
            foreach (var peer in nodes[i].Network!.Peers)
            {
                var theirs = attackerPorts.Contains(IPEndPoint.Parse(peer.Address).Port);
                if (!peer.Outbound) { inbound++; if (theirs) held++; }
                if (!theirs) honest++;
            }
            if (honest == 0) eclipsed++;
        }
        return (held, inbound, eclipsed);
    }

    private static KeyPair[] Keys(int n, Random random) => Enumerable.Range(0, n).Select(_ => KeyPair.FromRandom(random)).ToArray();
}
