using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Api;

/// <summary>What the API may use of the node: narrow views, never the node itself.</summary>
/// <param name="Chain">Reads of the committed chain and state.</param>
/// <param name="Import">The import pipeline, for blocks posted to the API.</param>
/// <param name="Pool">The one admission function and reads of the mempool.</param>
/// <param name="Peers">The peer directory, when the node runs a network.</param>
/// <param name="Events">The client event stream (SSE).</param>
/// <param name="Producer">The address this node produces for, if it does.</param>
/// <param name="Settings">Limits and guards of the API.</param>
/// <param name="Files">The node's files (content-addressed blocks and their records).</param>
/// <param name="Misbehaving">The misbehaviours the node was started with (the adversary lab); empty for an honest node.</param>
/// <param name="Devnet">The devnet control (faults on this node's links and clock); null outside a devnet.</param>
public sealed record ApiContext(IChainReader Chain, IBlockImport Import, ITransactionAdmission Pool, IPeerDirectory? Peers,
    EventHub Events, string? Producer, ApiSettings Settings, Files.FileService Files, IReadOnlyList<string>? Misbehaving = null,
    Faults.DevnetControl? Devnet = null, Chain.FinalityArchive? FinalityArchive = null);

/// <summary>The API's own settings.</summary>
/// <param name="KeepAlive">How long the event stream stays silent before it sends a keep-alive comment.</param>
/// <param name="AllowedHosts">Host names requests may carry; null allows any.</param>
/// <param name="Time">The clock for keep-alives (the wall clock: they keep real connections open).</param>
/// <param name="MaxEventStreams">Most event streams at once; more get a 503 problem.</param>
/// <param name="Budget">Transactions per second each client may submit in batches.</param>
/// <param name="ApiPort">The port the API was asked to listen on (a devnet node finds itself among the members by it).</param>
public sealed record ApiSettings(TimeSpan KeepAlive, IReadOnlyList<string>? AllowedHosts, TimeProvider Time, int MaxEventStreams, SubmissionBudget Budget, int? ApiPort = null);
