using Chainlab.Node.Hosting;
using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

using Chainlab.Node.Tests.Network;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>What the outside probe did to the peer port (issue 11, items 2, 3 and 5).</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class PeerHardeningTests : IAsyncLifetime
{
    private NodeHost _node = null!;
    private readonly string _dir = TestNode.NewDir();

    public async Task InitializeAsync()
    {
        var all = Build.Keys(3, seed: 21);
        var spec = TestNode.SpecFor(all[0], all) with { GenesisTimeMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), BlockTimeMs = 1000 };
        _node = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = _dir, Spec = spec, LogLevel = LogLevel.Warning,
            Peers = new PeerOptions
            {
                Port = 0, MaxInbound = 2, HandshakeTimeout = TimeSpan.FromSeconds(10), DialInterval = TimeSpan.FromMilliseconds(200),
                SendTimeout = TimeSpan.FromSeconds(2), MessagesPerSecond = 1_000_000, MessageBurst = 1_000_000,
            },
        });
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        TempDir.Delete(_dir);
    }

    [Fact]
    public async Task A_stranger_announcing_a_huge_frame_before_the_handshake_is_cut_off_at_the_header()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _node.Network!.Port);
        var s = tcp.GetStream();
        Assert.IsType<Hello>(await RawPeer.ReadFrame(s));
        // A Blocks frame of almost the 65 MiB cap, announced before any handshake: only the 5-byte header is sent.
        await s.WriteAsync(new byte[] { (byte)MessageType.Blocks, 0x03, 0xF0, 0x00, 0x00 });
        var bye = Assert.IsType<Disconnect>(await RawPeer.ReadFrame(s).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(DisconnectReason.ProtocolViolation, bye.Reason);
        Assert.Contains("before the handshake", bye.Detail);
    }

    [Fact]
    public async Task The_inbound_limit_holds_when_a_burst_of_handshakes_completes()
    {
        var spec = _node.Chain.Spec;
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            try { return await RawPeer.Handshaken(_node.Network!.Port, spec.ChainId, _node.Chain.GenesisHash); }
            catch (Exception e) when (e is IOException or SocketException or EndOfStreamException) { return default; }
        }));
        // A linked client is asked for its peers; a refused one is told the node is full.
        var linked = 0;
        foreach (var (client, _) in attempts.Where(a => a.Client is not null))
        {
            using var c = client;
            var m = await RawPeer.ReadFrame(c.GetStream()).WaitAsync(TimeSpan.FromSeconds(30));
            if (m is GetPeers) linked++;
            else Assert.Equal(DisconnectReason.TooManyPeers, Assert.IsType<Disconnect>(m).Reason);
        }
        Assert.InRange(linked, 1, 2);
        Assert.InRange(_node.Network!.Peers.Count, 0, 2);
    }

    [Fact]
    public async Task A_claimed_height_of_2_64_is_capped_at_what_any_chain_can_have_reached()
    {
        var (client, _) = await RawPeer.Handshaken(_node.Network!.Port, _node.Chain.Spec.ChainId, _node.Chain.GenesisHash, bestHeight: ulong.MaxValue);
        using var _ = client;
        await Eventually.True(() => _node.Network.Peers.Count == 1, "the liar is linked");
        var status = await new HttpClient { BaseAddress = _node.ApiUrl }.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/v1/status");
        var target = status!["sync"]!["target"]!.GetValue<ulong>();
        // The chain started moments ago with 1 s slots: no chain can be more than a few blocks high.
        var slots = (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)_node.Chain.Spec.GenesisTimeMs) / 1000 + 2;
        Assert.True(target <= slots, $"status reports a sync target of {target}");
        Assert.True(_node.Network.Peers.Single().BestHeight <= slots);
    }

    [Fact]
    public async Task Signed_transactions_from_unfunded_senders_are_refused_before_the_signature_check_and_cost_the_peer_that_sent_them()
    {
        var spec = _node.Chain.Spec;
        // A bad signature from an unfunded account is refused for the balance: the signature was never checked.
        var stranger = Core.Crypto.KeyPair.Generate();
        var forged = (byte[])Transaction.Create(stranger, spec.ChainId, TxKind.Transfer, 0, 1, Build.Keys(1)[0].Address, 5).Raw.Clone();
        forged[^1] ^= 0xFF;
        Assert.Equal(Core.State.TxError.InsufficientBalance, _node.Pool.Admit([forged])[0].Result.Error);

        var (client, _) = await RawPeer.Handshaken(_node.Network!.Port, spec.ChainId, _node.Chain.GenesisHash);
        using var c = client;
        var s = c.GetStream();
        var spam = Enumerable.Range(0, 150).Select(_ =>
            Transaction.Create(Core.Crypto.KeyPair.Generate(), spec.ChainId, TxKind.Transfer, 0, 1, stranger.Address, 5).Raw).ToList();
        await s.WriteAsync(MessageCodec.Encode(new Txs(spam)));
        Message m;
        do m = await RawPeer.ReadFrame(s).WaitAsync(TimeSpan.FromSeconds(30));
        while (m is not Disconnect);
        Assert.Contains("cannot pay", ((Disconnect)m).Detail);
        Assert.Equal(0, _node.Pool.Count);
    }

    [Fact]
    public async Task A_peer_can_teach_only_so_many_addresses_and_ones_that_never_answer_are_forgotten()
    {
        var spec = _node.Chain.Spec;
        var (client, _) = await RawPeer.Handshaken(_node.Network!.Port, spec.ChainId, _node.Chain.GenesisHash);
        using var c = client;
        // 64 loopback addresses nobody listens on (tests never reach other hosts).
        var bogus = Enumerable.Range(0, 64).Select(_ => new PeerInfo("127.0.0.1", (ushort)Chainlab.Cli.Processes.LoopbackPort.Free(), new byte[32])).ToList();
        await c.GetStream().WriteAsync(MessageCodec.Encode(new Chainlab.Node.Network.Protocol.Peers(bogus)));
        await Eventually.True(() => _node.Network.Known.Count > 0, "the addresses are taken");
        Assert.InRange(_node.Network.Known.Count, 1, new PeerOptions().MaxAddressesPerPeer);
        // Each is dialed, refused three times in a row, and forgotten, in peers.txt too.
        await Eventually.True(() => _node.Network.Known.Count == 0, "the dead addresses are forgotten", 60);
        var saved = Path.Combine(_dir, "peers.txt");
        Assert.True(!File.Exists(saved) || File.ReadAllLines(saved).Length == 0);
    }

    [Fact]
    public async Task A_peer_that_stops_reading_loses_its_slot()
    {
        var spec = _node.Chain.Spec;
        var (client, _) = await RawPeer.Handshaken(_node.Network!.Port, spec.ChainId, _node.Chain.GenesisHash);
        using var c = client;
        await Eventually.True(() => _node.Network.Peers.Count == 1, "the peer is linked");
        // Ask for blocks again and again, and never read an answer: the node's writes fill the socket buffers.
        using var stop = new CancellationTokenSource();
        var request = MessageCodec.Encode(new GetBlocks(0, 128));
        var flood = Task.Run(async () =>
        {
            try { for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++) await c.GetStream().WriteAsync(request, stop.Token); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        });
        await Eventually.True(() => _node.Network.Peers.Count == 0, "the silent reader is dropped", 60);
        stop.Cancel();
        c.Close();
        await flood;
    }

    [Fact]
    public async Task A_crowd_of_strangers_that_claim_much_and_serve_nothing_does_not_hold_up_the_sync_from_a_peer_we_chose()
    {
        var all = Build.Keys(3, seed: 44);
        var spec = TestNode.SpecFor(all[0], all) with { GenesisTimeMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), BlockTimeMs = 200 };
        var dirs = new[] { TestNode.NewDir(), TestNode.NewDir() };
        await using var producer = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = dirs[0], Spec = spec, LogLevel = LogLevel.Warning, ProducerKey = all[0], Peers = new PeerOptions { Port = 0 },
        });
        await Eventually.True(() => producer.Chain.Head.Height >= 20, "the producer has a chain");
        // The new node waits 30 s for an unanswered request: only preferring the peer it dialed can sync it sooner.
        await using var fresh = await NodeHost.StartAsync(new NodeOptions
        {
            DataDir = dirs[1], Spec = spec, LogLevel = LogLevel.Warning,
            Peers = new PeerOptions { Port = 0, MaxInbound = 40, RequestTimeout = TimeSpan.FromSeconds(30), DialInterval = TimeSpan.FromMilliseconds(200) },
        });
        var strangers = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < 24; i++)
                strangers.Add((await RawPeer.Handshaken(fresh.Network!.Port, spec.ChainId, fresh.Chain.GenesisHash, bestHeight: ulong.MaxValue)).Client);
            await Eventually.True(() => fresh.Network!.Peers.Count == 24, "the strangers are linked");
            // One of them tells the node where the producer is; the node dials it.
            await strangers[0].GetStream().WriteAsync(MessageCodec.Encode(new Chainlab.Node.Network.Protocol.Peers(
                [new PeerInfo("127.0.0.1", (ushort)producer.Network!.Port, new byte[32])])));
            var target = producer.Chain.Head.Height;
            await Eventually.True(() => fresh.Chain.Head.Height >= target, $"the new node syncs to {target} from the producer", 15);
        }
        finally
        {
            foreach (var c in strangers) c.Dispose();
            foreach (var d in dirs) TempDir.Delete(d);
        }
    }
}
