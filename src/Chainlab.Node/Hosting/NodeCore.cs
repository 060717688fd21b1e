using Chainlab.Core.Rules;
using Chainlab.Core.Consensus;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Consensus.Pow;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Production;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Hosting;

/// <summary>
/// A node without a web host: store, state, rules, mempool, chain loop, network and producer, composed in
/// named start-up steps. <see cref="NodeHost"/> adds the REST API; tests and (later) the simulator can run
/// many of these in one process with an in-memory store, a manual clock and an in-memory transport.
/// </summary>
public sealed class NodeCore : IAsyncDisposable
{
    public const string SpecFileName = "chainspec.json";

    private readonly FileStream _lock;
    private readonly IChainStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _subscriptions = new();
    private Task _producer = Task.CompletedTask;
    private Task _voter = Task.CompletedTask;
    private readonly Random _random;

    private NodeCore(NodeOptions options, ILoggerFactory logging, FileStream lockFile, IChainStore store, Blockchain chain,
        TransactionPool pool, NodeEvents events)
    {
        Options = options; Logging = logging; _lock = lockFile; _store = store; Chain = chain; Pool = pool; Events = events;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        Files = new Files.FileService(store, options.Files, options.Time, logging.CreateLogger("Chainlab.Files"));
    }

    public NodeOptions Options { get; }
    public ILoggerFactory Logging { get; }
    public ChainRules Rules => Chain.Rules;
    public Blockchain Chain { get; }
    public ChainLoop Loop => Chain.Loop;
    public TransactionPool Pool { get; }
    /// <summary>The node's internal events (never dropped).</summary>
    public NodeEvents Events { get; }
    public IChainStore Store => _store;
    public Hash GenesisHash => Chain.GenesisHash;
    /// <summary>Files by content address, beside the chain in the same store.</summary>
    public Files.FileService Files { get; }
    /// <summary>The links that prove finality (chains with finality only), for GET /api/v1/finality/proof.</summary>
    public FinalityArchive? FinalityArchive { get; private set; }

    /// <summary>The finality votes heard and not yet in a block (chains with finality only).</summary>
    public VotePool? Votes { get; private set; }

    /// <summary>A vote this node's voter signed: into the vote pool (for this node's blocks) and out to every peer.</summary>
    private void PublishVote(Chainlab.Core.Finality.Vote vote)
    {
        Votes?.Add([vote], signaturesChecked: true);
        Network?.PublishVotes([vote]);
    }

    private void KeepFinalityProofs()
    {
        var archive = FinalityArchive = new FinalityArchive(Chain.Spec, Options.DataDir);
        // Handlers run on the writer's thread right after the head moved: a block connected alone is the committed
        // head; inside a reorganisation the head is already the new tip, so the archive reads those blocks' own records.
        _subscriptions.Add(Events.Subscribe<BlockConnected>(e =>
        {
            var committed = Chain.Committed;
            if (committed.Header.Hash == e.Block.Hash) archive.Observe(e.Block, committed.State);
            else archive.Forget();
        }));
    }

    /// <summary>The peer network, when the options ask for one.</summary>
    public PeerNetwork? Network { get; private set; }

    /// <summary>
    /// Starts the node's parts in order: check crypto, open the data folder, load the chain spec, open the
    /// store, check the state, engine and rules, mempool and chain loop, network, producer. Each step is
    /// logged with its duration; a failure is a <see cref="NodeStartException"/> with one clear line.
    /// </summary>
    public static NodeCore Start(NodeOptions options, ILoggerFactory? logging = null)
    {
        logging ??= CreateLogging(options.LogLevel, options.JsonLogs, options.ColorLogs);
        var log = logging.CreateLogger("Chainlab.Node");
        var steps = new StartupSteps(log);
        steps.Run("check crypto", () =>
        {
            try { Ed25519.PublicKeyFromSeed(new byte[32]); }
            catch (DllNotFoundException e) { throw new NodeStartException(e.Message, e); }
        });
        var lockFile = steps.Run("open data folder", () => DataFolder.Lock(options.DataDir));
        IChainStore? store = null;
        try
        {
            var spec = steps.Run("load chain spec", () => DataFolder.LoadOrSaveSpec(options));
            var genesis = spec.GenesisBlock();
            store = steps.Run("open store", () => options.Store?.Invoke() ?? ChainStores.Open(options.DataDir, options.Postgres));
            var opened = store;
            var (world, head) = steps.Run("check state", () =>
            {
                if (opened.GenesisHash is null) opened.InitGenesis(genesis, spec.GenesisState());
                else if (opened.GenesisHash != genesis.Hash)
                    throw new NodeStartException($"the database in {options.DataDir} belongs to another chain (genesis {opened.GenesisHash.Value.Short}, spec gives {genesis.Hash.Short}); a folder made by an older chainlab (before consensus state was part of genesis) cannot resume: start over (devnet reset, or a new --data folder)");
                var w = new WorldState();
                foreach (var (addr, acc) in opened.LoadAccounts()) w.Put(addr, acc);
                var h = opened.Head();
                if (w.Root != h.StateRoot)
                    throw new NodeStartException($"stored accounts do not match the state root of head block {h.Height}: the database is damaged");
                return (w, h);
            });
            var rules = steps.Run("engine and rules", () =>
            {
                var engine = ConsensusEngines.For(spec);
                if (engine is PowEngine pow)
                {
                    pow.Threads = Math.Max(1, options.MineThreads);
                    pow.MaxHashRate = options.MineRate;
                    if (options.Seed is { } seed) pow.NonceStart = new Random(seed);
                    pow.SimulatedWork = options.SimulatedWork is not null;
                }
                if (!options.Defences.SealCheck) engine = new Adversary.UncheckedSeals(engine);
                return new ChainRules(spec, engine, options.ContractKinds ?? Chainlab.Contracts.ContractKinds.All);
            });
            var events = new NodeEvents();
            events.HandlerFailed += (e, ex) => log.LogError(ex, "A handler of {Event} failed: {Message}", e.GetType().Name, ex.Message);
            var (pool, chain) = steps.Run("mempool and chain loop", () =>
            {
                var built = new Blockchain(rules, opened, world, head, new ChainLoop(options.Scheduler), events, options.Time, logging.CreateLogger("Chainlab.Chain"), options.VerifySignature,
                    options.Scheduler.MaximumConcurrencyLevel)
                { KnownReceipts = options.KnownReceipts };
                var p = new TransactionPool(rules, built, options.Mempool, events, options.VerifySignature, options.Scheduler.MaximumConcurrencyLevel);
                built.Pending = p;
                return (p, built);
            });
            foreach (var off in options.Defences.Off) log.LogWarning("DEFENCE SWITCHED OFF (a test-only setting): {Defence}", off);
            var node = new NodeCore(options, logging, lockFile, store, chain, pool, events);
            node.WatchEquivocation(log);
            if (Chainlab.Core.Finality.FinalityVoters.Enabled(spec))
            {
                node.KeepFinalityProofs();
                chain.Votes = node.Votes = new VotePool(chain, events);
            }
            if (options.Peers is { } peerOptions)
                steps.Run("network", () => node.StartNetwork(peerOptions));
            if (options.Misbehave.Count > 0)
                steps.Run("misbehaviours", () => node.StartMisbehaving(log));
            if (options.ProducerKey is { } key && (rules.Engine is not PowEngine || options.MineThreads > 0))
                steps.Run("producer", () =>
                {
                    var producer = new BlockProducer(chain, events, key, (TimeProvider?)node._producerClock ?? options.Time, logging.CreateLogger("Chainlab.Producer"))
                    {
                        Simulated = options.SimulatedWork is { HashShare: > 0 } sim ? (sim, new Random(options.Seed ?? 0)) : null,
                    };
                    node._producer = Task.Factory.StartNew(() => producer.RunAsync(node._stop.Token), CancellationToken.None,
                        TaskCreationOptions.DenyChildAttach, options.Scheduler).Unwrap();
                });
            if (options.ProducerKey is { } voterKey && Chainlab.Core.Finality.FinalityVoters.Enabled(spec))
                steps.Run("finality voter", () =>
                {
                    var journal = new VoteJournal(Path.Combine(options.DataDir, VoteJournal.FileName));
                    var voter = new FinalityVoter(chain, events, voterKey, node.PublishVote, journal, logging.CreateLogger("Chainlab.Finality"), options.Time);
                    node._voter = Task.Factory.StartNew(() => voter.RunAsync(node._stop.Token), CancellationToken.None,
                        TaskCreationOptions.DenyChildAttach, options.Scheduler).Unwrap();
                });
            log.LogInformation("Node core up in {Ms:0} ms: chain {Chain} ({Engine}), head {Height} {Hash}, store {Store}",
                steps.Done.Sum(s => s.Ms), spec.ChainId, rules.Engine.Name, head.Height, head.Hash.Short, store.Describe);
            return node;
        }
        catch (StoreException e)
        {
            store?.Dispose();
            lockFile.Dispose();
            throw new NodeStartException(e.Message, e);
        }
        catch
        {
            store?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>The console log every node process writes: one line per entry, with a timestamp.</summary>
    public static ILoggerFactory CreateLogging(LogLevel level, bool json = false, bool color = true) => LoggerFactory.Create(b =>
    {
        if (json)
            b.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        else b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.ColorBehavior = color ? Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Default : Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
        });
        b.SetMinimumLevel(level);
        b.AddFilter("Microsoft", LogLevel.Warning);
    });

    /// <summary>
    /// On proof-of-stake chains, a node with a key submits evidence when it sees a producer sign two blocks for one
    /// slot; on chains with finality, when it hears a voter double or surround vote.
    /// </summary>
    private void WatchEquivocation(ILogger log)
    {
        if ((Options.EvidenceKey ?? Options.ProducerKey) is not { } reporter) return;
        if (!Options.Defences.Slashing)
        {
            log.LogWarning("The slashing defence is switched off (a test setting): equivocations seen here are not reported");
            return;
        }
        _subscriptions.Add(Events.Subscribe<EquivocationSeen>(e =>
        {
            var spec = Chain.Spec;
            var tx = Transaction.Create(reporter, spec.ChainId, TxKind.Evidence, Pool.NextNonce(reporter.Address), 0,
                Address.Zero, 0, PosEngine.EvidencePayload(e.First, e.Second));
            var r = Pool.Admit([tx.Raw])[0];
            if (r.Accepted) log.LogWarning("Submitted equivocation evidence {Hash} against {Producer}", tx.Hash, Convert.ToHexStringLower(e.First.Producer)[..16]);
            else log.LogWarning("Could not submit equivocation evidence: {Reason}", r.Result.Detail);
        }));
        if (!Chainlab.Core.Finality.FinalityVoters.Enabled(Chain.Spec)) return;
        // Finality: a double or surround vote heard (in the vote pool, or in vote transactions taken or refused) is answered with vote
        // evidence, which slashes the voter (proof of stake) or removes the authority (proof of authority).
        var watcher = new VoteWatcher(Chain.Spec.ChainId);
        _subscriptions.Add(Events.Subscribe<VotesHeard>(e =>
        {
            // A node never reports its own key (an honest one cannot double vote: its journal refuses to).
            foreach (var evidence in watcher.Hear(e.Votes.Where(v => !v.VoterKey.AsSpan().SequenceEqual(reporter.PublicKey))))
            {
                var spec = Chain.Spec;
                var tx = Transaction.Create(reporter, spec.ChainId, TxKind.VoteEvidence, Pool.NextNonce(reporter.Address), 0,
                    Address.Zero, 0, evidence.Encode());
                var r = Pool.Admit([tx.Raw])[0];
                var offence = Chainlab.Core.Finality.SlashingConditions.Find(evidence.First, evidence.Second);
                if (r.Accepted) log.LogWarning("Submitted vote evidence {Hash} ({Offence}: {First} and {Second})", tx.Hash, offence, evidence.First, evidence.Second);
                else log.LogWarning("Could not submit vote evidence ({Offence}: {First} and {Second}): {Reason}", offence, evidence.First, evidence.Second, r.Result.Detail);
            }
        }));
    }

    // The producer's own clock when a misbehaviour stamps blocks with false times (time-warp); null otherwise.
    private Faults.SkewedClock? _producerClock;

    /// <summary>The misbehaviours this node was started with (empty for an honest node).</summary>
    public IReadOnlyList<Adversary.IMisbehaviour> Misbehaviours { get; private set; } = [];

    private void StartMisbehaving(ILogger log)
    {
        IReadOnlyList<Adversary.IMisbehaviour> list;
        try { list = Adversary.Misbehaviours.Parse(Options.Misbehave); }
        catch (ArgumentException e) { throw new NodeStartException(e.Message, e); }
        if (Network is not { } network) throw new NodeStartException("a misbehaving node needs peers to misbehave towards (--p2p-port or --bootstrap)");
        foreach (var m in list.Where(m => m.Engines is { } engines && !engines.Contains(Chain.Spec.Consensus.Engine)))
            throw new NodeStartException($"misbehaviour {m.Name} works on {string.Join(" or ", m.Engines!)} chains; this one runs {Chain.Spec.Consensus.Engine}");
        var key = Options.ProducerKey ?? KeyPair.Generate();
        if (list.Any(m => m is Adversary.TimeWarp)) _producerClock = new Faults.SkewedClock(Options.Time);
        foreach (var m in list)
        {
            log.LogWarning("This node MISBEHAVES on purpose: {Name}: {What}", m.Name, m.What);
            var context = new Adversary.MisbehaviourContext(Chain, network, key, Options.Time, new Random(_random.Next()), Logging.CreateLogger("Chainlab.Adversary"), Pool, _producerClock);
            _ = network.Spawn(async () =>
            {
                try { await m.RunAsync(context, _stop.Token); }
                catch (OperationCanceledException) { }
            });
        }
        Misbehaviours = list;
    }

    private async Task Announce(PeerNetwork network, Chainlab.Core.Files.Cid cid)
    {
        try { await network.Dht.ProvideAsync(cid, _stop.Token); }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is StoreException or IOException) { Logging.CreateLogger("Chainlab.Files").LogWarning("Could not announce {Cid}: {Message}", cid, e.Message); }
    }

    private void StartNetwork(PeerOptions peerOptions)
    {
        var identity = Options.NodeKey ?? DataFolder.LoadOrCreateNodeKey(Options.DataDir);
        var network = new PeerNetwork(Chain, Chain, Pool, Events, identity,
            peerOptions with { PeersFile = peerOptions.PeersFile ?? Path.Combine(Options.DataDir, "peers.txt"), BanOffenders = peerOptions.BanOffenders && Options.Defences.Ban }, Options.Time,
            Options.Scheduler, new Random(_random.Next()), Logging.CreateLogger("Chainlab.Network"), cid => _store.FileBlock(cid), Votes);
        try { network.Start(); }
        catch (System.Net.Sockets.SocketException e) { throw new NodeStartException($"cannot listen for peers on {peerOptions.ListenAddress}:{peerOptions.Port}: {e.Message}", e); }
        Network = network;
        // Files: fetched through the DHT when missing, announced when kept (and once after start, for those kept before).
        Files.Fetcher = new Files.FileFetcher(network.Dht, network, _store, Options.Files, Files.Quota, Options.Time, Logging.CreateLogger("Chainlab.Files"));
        Files.Kept += cid => _ = network.Spawn(() => Announce(network, cid));
        _ = network.Spawn(async () =>
        {
            try { await Task.Delay(TimeSpan.FromSeconds(2), Options.Time, _stop.Token); }
            catch (OperationCanceledException) { return; }
            // Once per data folder: files recorded by older versions get references to every block under them.
            var referenced = Path.Combine(Options.DataDir, "files-referenced");
            if (!File.Exists(referenced))
            {
                try
                {
                    var n = await Files.ReferenceAllAsync(_stop.Token);
                    await File.WriteAllTextAsync(referenced, $"{n} files referenced every block under them\n");
                }
                catch (Exception e) when (e is OperationCanceledException or IOException) { }
            }
            for (var offset = 0; offset < 100_000 && !_stop.IsCancellationRequested; offset += 500)
            {
                var page = _store.StoredFiles(500, offset);
                foreach (var f in page) await Announce(network, f.Cid);
                if (page.Count < 500) break;
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _producer;
        await _voter;
        if (Network is not null) await Network.DisposeAsync();
        foreach (var s in _subscriptions) s.Dispose();
        await Loop.DisposeAsync();
        Pool.Dispose();
        await Files.DisposeAsync();
        _store.Dispose();
        _lock.Dispose();
    }
}
