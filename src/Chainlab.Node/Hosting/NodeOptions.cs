using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Mempool;

namespace Chainlab.Node.Hosting;

/// <summary>How to run one node.</summary>
public sealed record NodeOptions
{
    /// <summary>Folder for the database, the chain spec copy and the lock file.</summary>
    public required string DataDir { get; init; }
    /// <summary>The chain spec; may be null when the data folder already holds one.</summary>
    public ChainSpec? Spec { get; init; }
    /// <summary>The key this node seals blocks with, if it is a producer.</summary>
    public KeyPair? ProducerKey { get; init; }
    /// <summary>Signs the evidence this node submits when it sees a producer equivocate (default: the producer key; none: no submission).</summary>
    public KeyPair? EvidenceKey { get; init; }
    /// <summary>Proof of work only: mining threads for the producer key (0 = do not mine).</summary>
    public int MineThreads { get; init; } = 1;
    /// <summary>Proof of work: hashes per second at most, all threads together (0: no cap).</summary>
    public long MineRate { get; init; }
    /// <summary>
    /// The simulator's proof of work (docs/SIMULATION.md): seals need no work, and this node's miner, holding this
    /// share of the hash power, finds a block after an exponential time on the node's clock. Set only in code by
    /// the simulator; no configuration file, flag or route can set it, so no real node accepts simulated work.
    /// </summary>
    public Production.SimulatedWork? SimulatedWork { get; init; }
    /// <summary>A PostgreSQL connection string; null keeps the embedded SQLite store in the data folder.</summary>
    public string? Postgres { get; init; }
    /// <summary>
    /// How a transaction's signature is checked (admission and import); null: each check verifies. The simulator's
    /// nodes share one memo of results keyed by the transaction's hash (which covers the signature), so a
    /// thousand nodes verify each transaction once between them; no option, file or flag of a real node sets it.
    /// </summary>
    public Func<Chainlab.Core.Model.Transaction, bool>? VerifySignature { get; init; }
    /// <summary>
    /// The receipts a block produced on another node of this process, or null. The simulator's nodes each execute
    /// every block themselves and keep the receipt another node made where theirs is equal to the last field
    /// (SharedBlocks.ReceiptsOf), instead of an equal copy each; no option, file or flag of a real node sets it.
    /// </summary>
    public Func<Chainlab.Core.Crypto.Hash, IReadOnlyList<Chainlab.Core.Model.Receipt>?>? KnownReceipts { get; init; }
    /// <summary>Opens the store to use instead of SQLite or PostgreSQL (the memory store, in tests and simulations).</summary>
    public Func<Storage.IChainStore>? Store { get; init; }
    public string ListenAddress { get; init; } = "127.0.0.1";
    /// <summary>Peer-to-peer settings; null runs the node alone.</summary>
    public Network.Peers.PeerOptions? Peers { get; init; }
    /// <summary>The node's identity key for peer links; null keeps (or creates) node.key in the data folder.</summary>
    public KeyPair? NodeKey { get; init; }
    /// <summary>API port; 0 picks a free one.</summary>
    public int ApiPort { get; init; }
    public MempoolOptions Mempool { get; init; } = new();
    /// <summary>Every clock read, wait, timer and time-out of the node's parts (a manual clock in tests and simulations).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Where the node's background work runs (the thread pool, or a simulator's deterministic scheduler).</summary>
    public TaskScheduler Scheduler { get; init; } = TaskScheduler.Default;
    /// <summary>Seeds every random choice the node makes (peer order, ping nonces, mining start); null: a random seed.</summary>
    public int? Seed { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary>Log lines as text (default) or one JSON object per line (category, event id, level, message, state).</summary>
    public bool JsonLogs { get; init; }
    /// <summary>Colour the text log when it goes to a terminal (off with --no-color or NO_COLOR).</summary>
    public bool ColorLogs { get; init; } = true;
    /// <summary>Most API connections open at once; more are refused by the server (file descriptors stay for peers and the store).</summary>
    public int MaxApiConnections { get; init; } = 1024;
    /// <summary>Most event streams open at once; more get a 503 problem.</summary>
    public int MaxEventStreams { get; init; } = 128;
    /// <summary>Transactions per second one client may submit through the batch route (bursts of twice that).</summary>
    public int BatchTransactionsPerSecond { get; init; } = 50_000;
    /// <summary>How long the event stream may stay silent before a keep-alive comment.</summary>
    public TimeSpan EventKeepAlive { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Ways this node breaks the rules on purpose (the adversary lab; names in Adversary.Misbehaviours); empty for an honest node.</summary>
    public IReadOnlyList<string> Misbehave { get; init; } = [];
    /// <summary>File store limits: largest file, quota, how long unanchored files stay.</summary>
    public Files.FileStoreOptions Files { get; init; } = new();
    /// <summary>Defences in force; tests switch some off to prove the adversary lab's checks catch it.</summary>
    public Defences Defences { get; init; } = Defences.All;
    /// <summary>The devnet control route and the faults it sets (adversary lab); null on every node outside a devnet.</summary>
    public Faults.DevnetControl? Devnet { get; init; }
    /// <summary>The contract transaction kinds (deploy, invoke); tests replace them to inject a fault of the node.</summary>
    public IReadOnlyList<Chainlab.Core.Execution.ITransactionRules>? ContractKinds { get; init; }
    /// <summary>Largest API request body (batch submissions).</summary>
    public long MaxRequestBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>These options under a devnet's control: its clock can be skewed and its links cut or shaped.</summary>
    public NodeOptions ControlledBy(Faults.DevnetControl control) => this with
    {
        Time = control.Clock,
        Peers = Peers is { } peers ? peers with { Faults = control.Links } : null,
        Devnet = control,
    };
}
