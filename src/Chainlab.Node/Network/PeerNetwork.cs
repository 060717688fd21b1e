using System.Net;
using Chainlab.Core.Crypto;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Gossip;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using Chainlab.Node.Network.Sync;

namespace Chainlab.Node.Network;

/// <summary>
/// The node's network, composed: the peer set (<see cref="PeerSet"/>: links, sessions, bans), and the protocols
/// over it, each owning its messages: transaction gossip, block announcements, sync and the DHT. It routes a
/// session's messages to their owner, serves blocks under the <see cref="ServingPolicy"/> (which the
/// adversary lab changes), and republishes the files this node provides.
/// </summary>
public sealed class PeerNetwork : IPeerDirectory, IPeerHandler, Dht.IDhtLinks, IAsyncDisposable
{
    private readonly IChainReader _chain;
    private readonly PeerSet _set;

    /// <summary>Dial rounds this node's peer set has run (tests: a settled node sleeps).</summary>
    internal long DialRounds => _set.Rounds;
    private readonly TransactionGossip _transactions;
    private readonly BlockAnnouncer _announcer;
    private readonly BlockSync _sync;
    private readonly VoteGossip? _votes;
    private readonly CancellationTokenSource _stop = new();
    private ulong _highestAnnounced;

    public PeerNetwork(IChainReader chain, IBlockImport import, ITransactionAdmission pool, NodeEvents events,
        KeyPair key, PeerOptions options, TimeProvider time, TaskScheduler scheduler, Random random, ILogger log,
        Func<Chainlab.Core.Files.Cid, byte[]?>? fileBlock = null, VotePool? votes = null)
    {
        _chain = chain;
        // The DHT's and sync's random sources are drawn first, in this order, so a seed gives the same network.
        var dhtRandom = new Random(Next(random, int.MaxValue));
        var syncRandom = new Random(Next(random, int.MaxValue));
        _set = new PeerSet(chain, key, options, time, scheduler, random, log);
        Dht = new Dht.Dht(this, options, time, dhtRandom, log, fileBlock ?? (_ => null));
        _transactions = new TransactionGossip(pool, events, _set, options, time);
        _announcer = new BlockAnnouncer(events, _set, _transactions, Serving.IsWithheld);
        _sync = new BlockSync(chain, import, _set, options, time, syncRandom, log);
        _votes = votes is null ? null : new VoteGossip(votes, _set, chain.Spec.ChainId);
        NodeId = Convert.ToHexStringLower(key.PublicKey)[..16];
    }

    private static int Next(Random random, int max) { lock (random) return random.Next(max); }

    public int Port => _set.Port;
    /// <summary>The settings this network runs with.</summary>
    public PeerOptions Options => _set.Options;
    /// <summary>The DHT over this node's links: providers of files, and file blocks.</summary>
    public Dht.Dht Dht { get; }
    /// <summary>What this node announces and serves of its chain; the adversary lab's misbehaviours change it.</summary>
    public ServingPolicy Serving { get; } = new();

    /// <summary>
    /// Adversary lab only (a misbehaviour sets it): while set, the node takes no blocks and no transactions from
    /// its peers, and so keeps mining on its own branch, with its own transactions, however long the public one
    /// grows; it still hears their heights (<see cref="HighestAnnounced"/>) and still sends. What arrives
    /// meanwhile is dropped.
    /// </summary>
    public bool Deaf { get => Volatile.Read(ref _deaf); set => Volatile.Write(ref _deaf, value); }
    private bool _deaf;
    public string NodeId { get; }
    public IReadOnlyCollection<Peer> Peers => _set.Linked;
    public IReadOnlyCollection<IPEndPoint> Known => _set.Known;
    public IReadOnlyList<(string Id, DateTimeOffset Until, string Reason)> Banned => _set.Bans.Current;
    /// <summary>What the network has counted since start.</summary>
    public NetworkStats Stats => new(_set.Stats, HighestAnnounced);
    /// <summary>The highest block height any peer has announced to us (what the rest of the network has reached, as far as we know).</summary>
    public ulong HighestAnnounced => Interlocked.Read(ref _highestAnnounced);

    byte[] Dht.IDhtLinks.SelfKey => _set.SelfKey;
    PeerInfo? Dht.IDhtLinks.Self => _set.Self;
    Task<Peer?> Dht.IDhtLinks.LinkAsync(Dht.Contact contact, CancellationToken ct) => _set.LinkAsync(contact.Key, contact.Endpoint, ct);

    public void Start()
    {
        _set.Listen(); // first: a port already taken fails the start before any loop runs
        _sync.Start(_stop.Token);
        _transactions.Start(_stop.Token);
        _announcer.Start(_stop.Token);
        _set.Run(this);
        _ = _set.Spawn(RepublishLoop);
    }

    /// <summary>Sends finality votes (in the node's vote pool already) to every peer; nothing on a chain without finality.</summary>
    public void PublishVotes(IReadOnlyList<Chainlab.Core.Finality.Vote> votes) => _votes?.Publish(votes);

    /// <summary>Runs background work on the node's scheduler; stopping the network awaits it.</summary>
    public Task Spawn(Func<Task> work) => _set.Spawn(work);
    public Task Send(Peer peer, Message message) => _set.Send(peer, message);
    public void Post(Peer peer, Message message) => _set.Post(peer, message);
    public void Broadcast(Message message) => _set.Broadcast(message);
    public void Ban(Peer peer, string why) => _set.Ban(peer, why);

    /// <summary>Announces again, well before their records expire, the files this node provides.</summary>
    private async Task RepublishLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(_set.Options.RepublishInterval, _set.Time, _stop.Token); }
            catch (OperationCanceledException) { return; }
            foreach (var cid in Dht.Provided)
            {
                try { await Dht.ProvideAsync(cid, _stop.Token); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    void IPeerHandler.OnLinked(Peer peer)
    {
        Dht.Seen(peer);
        if (peer.BestHeight > _chain.Head.Height && !Deaf) _sync.Pump();
    }

    Task IPeerHandler.OnSessionStartedAsync(Peer peer, CancellationToken ct) => _transactions.OnLinked(peer);

    void IPeerHandler.OnGone(Peer peer) => _sync.OnPeerGone(peer, pump: !Deaf);

    void IPeerHandler.OnRound() { if (!Deaf) _sync.Pump(); } // also re-issues block requests that timed out

    bool IPeerHandler.Idle => Deaf || _sync.Idle;

    async Task IPeerHandler.HandleAsync(Peer peer, Message m, CancellationToken ct)
    {
        switch (m)
        {
            case Protocol.Peers list: Dht.Seen(list.List); break;
            case AnnounceTxs or Txs when Deaf: break;
            case AnnounceTxs a: await _transactions.Handle(peer, a); break;
            case GetTxs g: await _transactions.Handle(peer, g); break;
            case Txs t: _transactions.Handle(peer, t); break;
            case AnnounceBlock b:
                InterlockedMax(ref _highestAnnounced, _chain.CapClaim(b.Height));
                if (Deaf) peer.BestHeight = _chain.CapClaim(b.Height);
                else _sync.OnAnnounce(peer, b);
                break;
            case GetBlocks g:
                var served = _chain.Blocks.RawBlocks(g.FromHeight, (int)g.Count, WireLimits.MaxBlocksBytes - 1024);
                await peer.SendAsync(new Blocks(Serving.Serve(peer, g.FromHeight, served)), ct);
                break;
            case Votes when Deaf || _votes is null: break; // a chain without finality has no use for votes
            case Votes v: _votes!.Handle(peer, v); break;
            case Blocks b when !Deaf: await _sync.OnBlocks(peer, b); break;
            case Blocks: _sync.Discard(peer); break; // answers a request made before: that request goes with it
            default: await Dht.HandleAsync(peer, m, ct); break;
        }
    }

    private static void InterlockedMax(ref ulong target, ulong value)
    {
        ulong seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _set.DisposeAsync();
        _announcer.Dispose();
        _transactions.Dispose();
    }
}

/// <summary>What the network has counted since start: the peer set's counts and the highest height announced to it.</summary>
public sealed record NetworkStats(PeerSetStats Peers, ulong HighestAnnounced);
