using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Api;

/// <summary>What the API may use of the node: narrow views, never the node itself.</summary>
/// <param name="Chain">Reads of the committed chain and state.</param>
/// <param name="Import">The import pipeline, for blocks posted to the API.</param>
/// <param name="Pool">The one admission function and reads of the mempool.</param>
/// <param name="Peers">The peer directory, when the node runs a network.</param>
/// <param name="Events">The client event stream (SSE).</param>
/// <param name="Producer">The address this node produces for, if it does.</param>
public sealed record ApiContext(IChainReader Chain, IBlockImport Import, ITransactionAdmission Pool, IPeerDirectory? Peers,
    EventHub Events, string? Producer);
