using Chainlab.Node.Hosting;
using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Tests.Network;

/// <summary>Real nodes linked over loopback TCP: convergence, gossip, sync, and bad peers.</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class PeerNetworkTests : IAsyncLifetime
{
    private readonly List<NodeHost> _nodes = new();
    private readonly List<string> _dirs = new();
    private readonly KeyPair[] _all = Build.Keys(5, seed: 61);
    private KeyPair Authority => _all[0];
    private KeyPair[] Users => _all[1..];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        foreach (var d in _dirs) TempDir.Delete(d);
    }

    private ChainSpec Spec(ulong blockMs, ulong genesisMs) => TestNode.SpecFor(Authority, Users) with { BlockTimeMs = blockMs, GenesisTimeMs = genesisMs };

    private Task<NodeHost> Start(ChainSpec spec, bool producer, params int[] bootstrapPorts) => Start(spec, producer, null, bootstrapPorts);

    private Task<NodeHost> Start(ChainSpec spec, bool producer, string? dir, params int[] bootstrapPorts) =>
        Start(spec, producer ? Authority : null, dir, null, bootstrapPorts);

    private Task<NodeHost> Start(ChainSpec spec, KeyPair? producerKey, string? dir, ITransport? transport, params int[] bootstrapPorts) =>
        Start(spec, producerKey, dir, transport, o => o, bootstrapPorts);

    private async Task<NodeHost> Start(ChainSpec spec, KeyPair? producerKey, string? dir, ITransport? transport, Func<PeerOptions, PeerOptions> tune, params int[] bootstrapPorts)
    {
        if (dir is null) { dir = TestNode.NewDir(); _dirs.Add(dir); }
        var node = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = dir, Spec = spec, ApiPort = 0, LogLevel = LogLevel.Warning, ProducerKey = producerKey,
            Peers = new PeerOptions
            {
                Transport = transport ?? TcpTransport.Instance,
                Port = 0, DialInterval = TimeSpan.FromMilliseconds(200), HandshakeTimeout = TimeSpan.FromSeconds(2),
                IdleTimeout = TimeSpan.FromSeconds(3), PingInterval = TimeSpan.FromSeconds(1),
                Bootstrap = bootstrapPorts.Select(p => new IPEndPoint(IPAddress.Loopback, p)).ToList(),
            } is var peers ? tune(peers) : null,
        });
        _nodes.Add(node);
        return node;
    }

    /// <summary>After the bad peers: the network still produces, only the honest follower is linked, the violations were counted.</summary>
    private static async Task AssertUnharmed(NodeHost producer, NodeHost follower)
    {
        var before = follower.Chain.Head.Height;
        await Eventually.True(() => follower.Chain.Head.Height >= before + 3, "network still producing");
        Assert.Single(producer.Network!.Peers);
        Assert.True(producer.Network.Stats.Peers.Violations >= 2);
    }

    private static ulong Now => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task Four_nodes_converge_and_a_transaction_sent_to_any_node_lands_in_one_block_everywhere()
    {
        var spec = Spec(200, Now - Now % 200);
        var producer = await Start(spec, producer: true);
        var p = producer.Network!.Port;
        var a = await Start(spec, false, p);
        var b = await Start(spec, false, p, a.Network!.Port);
        var c = await Start(spec, false, b.Network!.Port);
        await Eventually.True(() => _nodes.All(n => n.Network!.Peers.Count >= 1) && producer.Network!.Peers.Count >= 2, "links");
        await Eventually.True(() => _nodes.All(n => n.Chain.Head.Height >= 5), "five blocks everywhere");

        var tx = Build.Transfer(Users[0], Users[1].Address, 42, 0);
        Assert.True(c.Pool.Admit([tx.Raw])[0].Accepted); // c is two hops from the producer
        await Eventually.True(() => _nodes.All(n => n.Store.Transaction(tx.Hash) is not null), "transaction included on every node");
        var blocks = _nodes.Select(n => n.Store.Transaction(tx.Hash)!.BlockHash).Distinct().ToList();
        Assert.Single(blocks);

        var target = _nodes.Min(n => n.Chain.Head.Height);
        await Eventually.True(() => _nodes.All(n => n.Store.HeaderByHeight(target) is not null), "common height");
        Assert.Single(_nodes.Select(n => n.Store.HeaderByHeight(target)!.Hash).Distinct());
        Assert.Single(_nodes.Select(n => n.Store.HeaderByHeight(target)!.StateRoot).Distinct());
        Assert.Equal(1_000_000UL + 42, c.Chain.Account(Users[1].Address).Balance);
    }

    [Fact]
    public async Task A_bootstrap_peer_named_by_host_links_once_its_name_resolves_and_not_before()
    {
        var spec = Spec(200, Now - Now % 200);
        var producer = await Start(spec, producer: true);
        var lookups = 0;
        var resolvable = false;
        // The name resolves only after a while, as a container's service name does while that container starts.
        var follower = await Start(spec, null, null, null, o => o with
        {
            BootstrapHosts = [new DnsEndPoint("node1", producer.Network!.Port)],
            Resolve = (host, _) =>
            {
                Interlocked.Increment(ref lookups);
                return host == "node1" && Volatile.Read(ref resolvable)
                    ? Task.FromResult(new[] { IPAddress.IPv6Loopback, IPAddress.Loopback })
                    : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
            },
        });
        await Eventually.True(() => Volatile.Read(ref lookups) >= 3, "several lookups while the name is unknown");
        Assert.Empty(follower.Network!.Peers);
        Volatile.Write(ref resolvable, true);
        await Eventually.True(() => follower.Network.Peers.Count == 1 && follower.Chain.Head.Height >= 3, "linked through the resolved name and syncing");
        Assert.Equal($"127.0.0.1:{producer.Network!.Port}", follower.Network.Peers.Single().Address);
    }

    [Fact]
    public async Task Peers_learned_by_exchange_are_dialed_and_remembered_across_a_restart()
    {
        var spec = Spec(250, Now - Now % 250);
        var a = await Start(spec, producer: true);
        var b = await Start(spec, false, a.Network!.Port);
        await Eventually.True(() => a.Network.Peers.Count == 1, "b linked to a");
        var c = await Start(spec, false, a.Network.Port); // c is told only about a
        await Eventually.True(() => c.Network!.Peers.Count == 2, "c found b through a's peer list");
        var dir = c.Options.DataDir;
        Assert.Contains($"127.0.0.1:{b.Network!.Port}", File.ReadAllText(Path.Combine(dir, "peers.txt")));
        await c.DisposeAsync();
        _nodes.Remove(c);

        var again = await Start(spec, false, dir); // no bootstrap: it uses the remembered peers
        await Eventually.True(() => again.Network!.Peers.Count >= 1 && again.Chain.Head.Height >= a.Chain.Head.Height - 1, "restarted node rejoins from peers.txt");
    }

    [Fact]
    public async Task A_transaction_accepted_before_any_link_exists_still_reaches_the_producer()
    {
        var spec = Spec(250, Now - Now % 250);
        var lonely = await Start(spec, producer: false);
        var tx = Build.Transfer(Users[1], Users[2].Address, 9, 0);
        Assert.True(lonely.Pool.Admit([tx.Raw])[0].Accepted);
        var producer = await Start(spec, true, lonely.Network!.Port);
        await Eventually.True(() => producer.Store.Transaction(tx.Hash) is not null && lonely.Store.Transaction(tx.Hash) is not null, "pending transaction gossiped on link-up and included");
    }

    [Fact]
    public async Task Sixteen_nodes_converge_to_the_same_head_and_state_root()
    {
        var spec = Spec(250, Now - Now % 250);
        var producer = await Start(spec, producer: true);
        var rng = new Random(4);
        for (var i = 1; i < 16; i++)
        {
            // Each joins the producer or one or two earlier nodes: a random tree with extra edges.
            var known = _nodes.Select(n => n.Network!.Port).ToList();
            await Start(spec, false, known.OrderBy(_ => rng.Next()).Take(1 + rng.Next(2)).ToArray());
        }
        var tx = Build.Transfer(Users[2], Users[3].Address, 5, 0);
        Assert.True(producer.Pool.Admit([tx.Raw])[0].Accepted);
        await Eventually.True(() => _nodes.All(n => n.Chain.Head.Height >= 8), "eight blocks on all 16 nodes", 60);
        // On a busy machine the block with the transfer may still be on its way to some nodes.
        await Eventually.True(() => _nodes.All(n => n.Store.Transaction(tx.Hash) is not null), "the transfer's block on all 16 nodes", 60);
        var target = _nodes.Min(n => n.Chain.Head.Height);
        Assert.Single(_nodes.Select(n => n.Store.HeaderByHeight(target)!.Hash).Distinct());
        Assert.Single(_nodes.Select(n => n.Store.HeaderByHeight(target)!.StateRoot).Distinct());
        Assert.All(_nodes, n => Assert.Equal(1_000_000UL + 5, n.Chain.Account(Users[3].Address).Balance));
    }

    [Fact]
    public async Task A_node_started_after_a_thousand_blocks_syncs_to_the_head()
    {
        // Build 1,000 blocks quickly: a chain whose slots lie in the past.
        var spec = Spec(1000, Now - Now % 1000 - 2_000_000);
        var producer = await Start(spec, producer: false);
        for (ulong slot = 1; slot <= 1000; slot++)
        {
            var s = slot;
            if (slot % 10 == 0) producer.Pool.Admit([Build.Transfer(Users[(int)(slot / 10 % 4)], Users[0].Address, 1, slot / 40).Raw]);
            var (_, r) = await producer.Loop.Run(() => producer.Chain.Produce(s, Authority));
            Assert.Equal(Chainlab.Node.Chain.ImportStatus.Imported, r.Status);
        }
        var first = await Start(spec, false, producer.Network!.Port);
        var second = await Start(spec, false, producer.Network.Port);
        await Eventually.True(() => first.Chain.Head.Height == 1000 && second.Chain.Head.Height == 1000, "two nodes synced from the producer", 60);

        // A node that knows all three downloads windows from several of them in parallel.
        var late = await Start(spec, false, producer.Network.Port, first.Network!.Port, second.Network!.Port);
        await Eventually.True(() => late.Chain.Head.Height == 1000, "late node at height 1000", 60);
        Assert.Equal(producer.Chain.Head.Hash, late.Chain.Head.Hash);
        Assert.Equal(producer.Chain.Head.StateRoot, late.Chain.Head.StateRoot);
        Assert.True(late.Network!.Peers.Count(p => p.BlocksReceived >= 128) >= 2,
            "blocks came from one peer only: " + string.Join(", ", late.Network.Peers.Select(p => $"{p.BlocksReceived} best {p.BestHeight} out {p.Outbound}")));
    }

    [Fact]
    public async Task Garbage_oversized_wrong_genesis_and_silent_peers_are_dropped_while_the_network_keeps_producing()
    {
        var spec = Spec(200, Now - Now % 200);
        var producer = await Start(spec, producer: true);
        var follower = await Start(spec, false, producer.Network!.Port);
        await Eventually.True(() => follower.Chain.Head.Height >= 2, "follower in sync");
        var port = producer.Network.Port;

        // Garbage: closed without a handshake.
        Assert.True(await ClosedAfter(port, Enumerable.Repeat((byte)0x5a, 64).ToArray()));
        // An oversized frame header: refused from the header alone.
        Assert.True(await ClosedAfter(port, [(byte)MessageType.Ping, 0x7f, 0xff, 0xff, 0xff]));
        // A valid Hello for another genesis: Disconnect(WrongChain).
        var stranger = KeyPair.Generate();
        var wrong = Handshake.CreateHello(stranger, spec.ChainId, Hash.Sha256("another genesis"u8), 1, 0);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync(MessageCodec.Encode(wrong));
            var first = await ReadFrame(stream); // its Hello
            Assert.IsType<Hello>(first);
            var second = await ReadFrame(stream);
            Assert.Equal(DisconnectReason.WrongChain, Assert.IsType<Disconnect>(second).Reason);
        }
        // A peer that connects and says nothing is dropped after the handshake timeout.
        Assert.True(await ClosedAfter(port, [], waitSeconds: 10));

        await AssertUnharmed(producer, follower);
    }

    [Fact]
    public async Task Four_authorities_split_two_and_two_then_healed_converge_on_one_chain_and_re_include_orphaned_transactions()
    {
        var authorities = Build.Keys(4, seed: 62);
        var spec = Spec(250, Now - Now % 250) with
        {
            Consensus = Build.Authorities(authorities),
        };
        var net = new CuttableNetwork();
        for (var i = 0; i < 4; i++)
            await Start(spec, authorities[i], null, net.ForNode(), _nodes.Select(n => n.Network!.Port).ToArray());
        await Eventually.True(() => _nodes.All(n => n.Network!.Peers.Count == 3), "full mesh");
        await Eventually.True(() => _nodes.All(n => n.Chain.Head.Height >= 4), "four blocks everywhere");

        var ports = _nodes.Select(n => n.Network!.Port).ToArray();
        net.Split([ports[0], ports[1]], [ports[2], ports[3]]);
        await Eventually.True(() => _nodes.All(n => n.Network!.Peers.Count == 1), "links cut between the halves");
        var splitAt = _nodes.Max(n => n.Chain.Head.Height);

        // One transaction on each side; each lands in its own half's branch.
        var left = Build.Transfer(Users[0], Users[1].Address, 11, 0);
        var right = Build.Transfer(Users[2], Users[3].Address, 22, 0);
        Assert.True(_nodes[0].Pool.Admit([left.Raw])[0].Accepted);
        Assert.True(_nodes[3].Pool.Admit([right.Raw])[0].Accepted);
        await Eventually.True(() => _nodes[1].Store.Transaction(left.Hash) is not null && _nodes[2].Store.Transaction(right.Hash) is not null, "included on each side");
        await Eventually.True(() => _nodes.All(n => n.Chain.Head.Height >= splitAt + 6), "both halves keep producing");
        var h = _nodes.Min(n => n.Chain.Head.Height);
        Assert.NotEqual(_nodes[0].Store.HeaderByHeight(h)!.Hash, _nodes[3].Store.HeaderByHeight(h)!.Hash);
        Assert.Null(_nodes[0].Store.Transaction(right.Hash));
        Assert.Null(_nodes[3].Store.Transaction(left.Hash));

        net.Heal();
        await Eventually.True(() => _nodes.All(n => n.Network!.Peers.Count == 3), "links back");
        await Eventually.True(() => _nodes.All(n => n.Store.Transaction(left.Hash) is not null && n.Store.Transaction(right.Hash) is not null), "both transactions included everywhere", 60);
        await Eventually.True(() =>
        {
            var common = _nodes.Min(n => n.Chain.Head.Height);
            return _nodes.Select(n => n.Store.HeaderByHeight(common)?.Hash).Distinct().Count() == 1;
        }, "one chain");
        var at = _nodes.Min(n => n.Chain.Head.Height);
        Assert.Single(_nodes.Select(n => n.Store.HeaderByHeight(at)!.StateRoot).Distinct());
        Assert.Single(_nodes.Select(n => n.Store.Transaction(left.Hash)!.BlockHash).Distinct());
        Assert.Single(_nodes.Select(n => n.Store.Transaction(right.Hash)!.BlockHash).Distinct());
        Assert.Contains(_nodes, n => n.Chain.Reorgs.Count > 0 && n.Chain.Reorgs.Deepest >= 3);
        Assert.All(_nodes, n => Assert.Equal(1_000_000UL + 22, n.Chain.Account(Users[3].Address).Balance));
    }

    [Fact]
    public async Task A_peer_that_floods_messages_or_sends_blocks_nobody_asked_for_is_banned()
    {
        var spec = Spec(250, Now - Now % 250);
        var producer = await Start(spec, producer: true);
        var follower = await Start(spec, false, producer.Network!.Port);
        await Eventually.True(() => follower.Chain.Head.Height >= 2, "follower in sync");

        // Flood: a handshaken peer sends 20,000 pings as fast as it can.
        var (flooder, floodKey) = await Handshaken(producer);
        var ping = MessageCodec.Encode(new Ping(1));
        var burst = new byte[ping.Length * 1000];
        for (var i = 0; i < 1000; i++) ping.CopyTo(burst, i * ping.Length);
        try { for (var i = 0; i < 20; i++) await flooder.GetStream().WriteAsync(burst); } catch (IOException) { }
        Assert.True(await Closed(flooder));
        flooder.Dispose();

        // Unrequested blocks: each costs score until the peer is banned.
        var (pusher, _) = await Handshaken(producer);
        var block = producer.Store.RawBlockByHeight(1)!;
        try { for (var i = 0; i < 10; i++) await pusher.GetStream().WriteAsync(MessageCodec.Encode(new Blocks([block]))); } catch (IOException) { }
        Assert.True(await Closed(pusher));
        pusher.Dispose();

        // Banned: the flooder's key is refused on the next handshake.
        using (var again = new TcpClient())
        {
            await again.ConnectAsync(IPAddress.Loopback, producer.Network.Port);
            var s = again.GetStream();
            await s.WriteAsync(MessageCodec.Encode(Handshake.CreateHello(floodKey, spec.ChainId, producer.Chain.GenesisHash, 0, 0)));
            Assert.IsType<Hello>(await ReadFrame(s));
            Assert.Equal(DisconnectReason.Banned, Assert.IsType<Disconnect>(await ReadFrame(s)).Reason);
        }
        await AssertUnharmed(producer, follower);
    }

    [Fact]
    public async Task Finality_votes_travel_in_their_own_frame_into_blocks_and_a_peer_sending_a_forged_vote_is_banned()
    {
        var spec = Spec(250, Now - Now % 250) with { Finality = new FinalitySpec { CheckpointInterval = 4, VoteDepth = 1 } };
        var producer = await Start(spec, producer: true);
        var follower = await Start(spec, false, producer.Network!.Port);
        // The authority votes in a Votes frame and its own vote pool; its blocks carry the votes in its own vote
        // transactions; the follower replays them to the same final checkpoint.
        await Eventually.True(() => follower.Chain.FinalizedHeight >= 8, "checkpoint 8 final on the follower", 30);
        var voteTxs = Enumerable.Range(1, (int)follower.Chain.Head.Height).SelectMany(h => follower.Store.BlockByHeight((ulong)h)!.Transactions)
            .Where(t => t.Kind == TxKind.Vote).ToList();
        Assert.NotEmpty(voteTxs);
        Assert.All(voteTxs, t => { Assert.Equal(Authority.Address, t.Sender); Assert.Equal(0UL, t.Fee); });

        // A validly signed vote of a key that votes nowhere is dropped without a ban; a vote of the authority with
        // a broken signature (for the newest checkpoint, so it is not merely stale) gets the sender banned.
        var (stranger, _) = await Handshaken(producer);
        (Chainlab.Core.Finality.Checkpoint Source, Chainlab.Core.Finality.Checkpoint Target) Link()
        {
            var record = Chainlab.Core.Finality.FinalityRecord.Read(spec, producer.Chain.Committed.State)!;
            return (record.LastFinalised, record.Checkpoints.Last());
        }
        var (source, target) = Link();
        var nobody = Chainlab.Core.Finality.Vote.Create(KeyPair.Generate(), spec.ChainId, source, target);
        await stranger.GetStream().WriteAsync(MessageCodec.Encode(new Votes([nobody.Raw])));
        Assert.False(await Closed(stranger, waitSeconds: 1));
        stranger.Dispose();
        var (forger, _) = await Handshaken(producer);
        (source, target) = Link();
        var forged = Chainlab.Core.Finality.Vote.Assemble(spec.ChainId, source, target, Authority.PublicKey, new byte[64]);
        await forger.GetStream().WriteAsync(MessageCodec.Encode(new Votes([forged.Raw])));
        Assert.True(await Closed(forger));
        forger.Dispose();
        Assert.Contains(producer.Network.Banned, b => b.Reason.Contains("signatures do not hold"));
        await Eventually.True(() => follower.Chain.FinalizedHeight >= target.Height, "finality goes on", 30);
    }

    [Fact]
    public async Task With_more_than_nine_known_peers_one_outbound_link_rotates_at_each_interval()
    {
        var spec = Spec(250, Now - Now % 250);
        var producer = await Start(spec, producer: true);
        for (var i = 0; i < 10; i++) await Start(spec, false, producer.Network!.Port);
        var ports = _nodes.Select(n => n.Network!.Port).ToArray();
        var rotating = await Start(spec, null, null, null,
            o => o with { MaxOutbound = 3, MaxInbound = 0, RotationInterval = TimeSpan.FromMilliseconds(300) }, ports);
        var seen = new HashSet<string>();
        await Eventually.True(() =>
        {
            foreach (var p in rotating.Network!.Peers.Where(p => p.Outbound)) seen.Add(p.Id);
            return seen.Count >= 7;
        }, "outbound links move over at least 7 of the 11 known peers", 30);
        // Links that drop and are replaced also add new peers, so "seen" can get there before two rotations.
        await Eventually.True(() => rotating.Network!.Stats.Peers.Rotations >= 2, "at least two rotations", 10);
        await Eventually.True(() => rotating.Network!.Peers.Count(p => p.Outbound) <= 3, "never more than 3 outbound links once settled", 5);
        await Eventually.True(() => rotating.Chain.Head.Hash == producer.Chain.Head.Hash || rotating.Chain.Head.Height + 1 >= producer.Chain.Head.Height, "still following the chain");
    }

    [Fact]
    public async Task Transactions_a_peer_sends_out_of_nonce_order_wait_for_the_gap_and_are_then_admitted()
    {
        var spec = Spec(60_000, Now - Now % 60_000); // no block during the test
        var node = await Start(spec, producer: false);
        var (peer, _) = await Handshaken(node);
        var s = peer.GetStream();
        var txs = Enumerable.Range(0, 3).Select(n => Build.Transfer(Users[0], Users[1].Address, 5, (ulong)n)).ToArray();
        // Nonces 2 and 1 first (as if they came by a shorter path), then 0.
        await s.WriteAsync(MessageCodec.Encode(new Txs([txs[2].Raw])));
        await s.WriteAsync(MessageCodec.Encode(new Txs([txs[1].Raw])));
        await Eventually.Holds(() => node.Pool.Count == 0, "nothing is admitted while nonce 0 is missing", TimeSpan.FromMilliseconds(300));
        await s.WriteAsync(MessageCodec.Encode(new Txs([txs[0].Raw])));
        await Eventually.True(() => node.Pool.Count == 3, "all three admitted once the gap closed", 10);
        Assert.Equal(3UL, node.Pool.NextNonce(Users[0].Address));
        peer.Dispose();
    }

    private static Task<(TcpClient Client, KeyPair Key)> Handshaken(NodeHost node) =>
        RawPeer.Handshaken(node.Network!.Port, node.Chain.Spec.ChainId, node.Chain.GenesisHash);

    /// <summary>Reads until the node closes the link (true) or the wait ends (false).</summary>
    private static async Task<bool> Closed(TcpClient client, int waitSeconds = 10)
    {
        var buf = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(waitSeconds));
        try
        {
            while (await client.GetStream().ReadAsync(buf, cts.Token) > 0) { }
            return true;
        }
        catch (IOException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    private static Task<Message> ReadFrame(NetworkStream s) => RawPeer.ReadFrame(s);

    /// <summary>Sends bytes and reports whether the node closes the link within the wait.</summary>
    private static async Task<bool> ClosedAfter(int port, byte[] bytes, int waitSeconds = 5)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        if (bytes.Length > 0) await client.GetStream().WriteAsync(bytes);
        return await Closed(client, waitSeconds);
    }
}
