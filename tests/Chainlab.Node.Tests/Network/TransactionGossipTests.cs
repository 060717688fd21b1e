using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Gossip;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Tests.Network;

public sealed class TransactionGossipTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void A_pending_transaction_is_announced_again_three_times_at_doubling_waits_then_every_ten_minutes_and_never_once_a_block_took_it()
    {
        var (gossip, events, pool, _) = Make(new PeerOptions());
        Hash a = Hash.Sha256([1]), b = Hash.Sha256([2]);
        pool.Pending.UnionWith([a, b]);
        events.Publish(new TransactionsAdmitted([a, b]));

        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromSeconds(5)));
        Assert.Equal([a, b], gossip.DueAgain(T0 + TimeSpan.FromSeconds(6)));
        pool.Pending.Remove(b); // a block carried it
        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromSeconds(17)));
        Assert.Equal([a], gossip.DueAgain(T0 + TimeSpan.FromSeconds(18))); // 6 s after, then 12 s
        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromSeconds(41)));
        Assert.Equal([a], gossip.DueAgain(T0 + TimeSpan.FromSeconds(42))); // then 24 s
        // Then every ten minutes while it stays pending.
        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromSeconds(42 + 599)));
        Assert.Equal([a], gossip.DueAgain(T0 + TimeSpan.FromSeconds(42 + 600)));
        pool.Pending.Remove(a);
        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task A_blocks_only_node_neither_announces_transactions_nor_asks_for_announced_ones()
    {
        var (gossip, events, pool, links) = Make(new PeerOptions { BlocksOnly = true });
        var a = Hash.Sha256([1]);
        pool.Pending.Add(a);
        events.Publish(new TransactionsAdmitted([a]));
        Assert.Empty(gossip.DueAgain(T0 + TimeSpan.FromHours(1)));

        await gossip.Handle(null!, new AnnounceTxs([Hash.Sha256([9])]));
        Assert.Empty(links.Sent);

        // The same announcement to a relaying node is answered with a request.
        var (relaying, _, _, relayLinks) = Make(new PeerOptions());
        await relaying.Handle(null!, new AnnounceTxs([Hash.Sha256([9])]));
        Assert.IsType<GetTxs>(Assert.Single(relayLinks.Sent));
    }

    private static (TransactionGossip, NodeEvents, FakePool, FakeLinks) Make(PeerOptions options)
    {
        var events = new NodeEvents();
        var pool = new FakePool();
        var links = new FakeLinks();
        var time = new Chainlab.Sim.Time.ManualTime(T0);
        return (new TransactionGossip(pool, events, links, options, time), events, pool, links);
    }

    private sealed class FakePool : ITransactionAdmission
    {
        public readonly HashSet<Hash> Pending = [];
        public Admission[] Admit(IReadOnlyList<byte[]> raws) => throw new NotSupportedException();
        public int Count => Pending.Count;
        public bool Contains(in Hash hash) => Pending.Contains(hash);
        public Transaction? Get(in Hash hash) => null;
        public string? RejectionReason(in Hash hash) => null;
        public ulong NextNonce(in Address sender) => 0;
        public List<Hash> PendingHashes(int max) => Pending.Take(max).ToList();
        public List<Transaction> List(int offset, int limit) => [];
    }

    private sealed class FakeLinks : IPeerLinks
    {
        public readonly List<Message> Sent = [];
        public IReadOnlyCollection<Peer> Linked => [];
        public Task Send(Peer peer, Message message) { Sent.Add(message); return Task.CompletedTask; }
        public void Post(Peer peer, Message message) => Sent.Add(message);
        public void Broadcast(Message message) => Sent.Add(message);
        public void FlushRequests(Peer peer) { }
        public Task Spawn(Func<Task> work) => work();
    }
}
