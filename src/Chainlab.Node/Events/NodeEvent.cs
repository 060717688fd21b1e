using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Events;

/// <summary>Something that happened inside the node. Published on <see cref="NodeEvents"/>, never dropped.</summary>
public abstract record NodeEvent;

/// <summary>The canonical head moved (after a block was connected or a reorganisation ended).</summary>
public sealed record HeadChanged(BlockHeader Head) : NodeEvent;

/// <summary>A new checkpoint became final on the canonical chain (finality, decision 0007).</summary>
public sealed record Finalised(Chainlab.Core.Finality.Checkpoint Checkpoint) : NodeEvent;

/// <summary>A block became part of the canonical chain and is stored.</summary>
/// <summary>A block joined the canonical chain; the times are its execution and its store commit (NaN inside a reorganisation).</summary>
public sealed record BlockConnected(Block Block, IReadOnlyList<Receipt> Receipts, double ExecuteSeconds = double.NaN, double CommitSeconds = double.NaN) : NodeEvent;

/// <summary>A block left the canonical chain in a reorganisation.</summary>
public sealed record BlockDisconnected(Block Block) : NodeEvent;

/// <summary>The canonical chain switched branches: Depth blocks off from From, onto To.</summary>
public sealed record Reorganised(BlockHeader From, BlockHeader To, ulong Depth, IReadOnlyList<Transaction> OrphanedTransactions) : NodeEvent
{
    /// <summary>How many transactions only the abandoned blocks held.</summary>
    public int Orphaned => OrphanedTransactions.Count;
}

/// <summary>The mempool accepted these transactions (one admission call).</summary>
public sealed record TransactionsAdmitted(IReadOnlyList<Hash> Hashes) : NodeEvent;

/// <summary>
/// Finality votes the node heard: taken into its vote pool (from its voter or a peer's Votes frame), or in vote
/// transactions that passed the stateless checks and their signature, whether the mempool then took them or not.
/// A vote every honest node refuses (it conflicts with one the voter signed before) is still evidence, so the vote
/// watcher hears it here. Vote signatures are not checked yet in the second case.
/// </summary>
public sealed record VotesHeard(IReadOnlyList<Chainlab.Core.Finality.Vote> Votes) : NodeEvent;

/// <summary>One producer signed two different blocks for one slot.</summary>
public sealed record EquivocationSeen(BlockHeader First, BlockHeader Second) : NodeEvent;
