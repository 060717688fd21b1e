using Chainlab.Core.Crypto;
using Chainlab.Core.State;
using Chainlab.Core.Model;

namespace Chainlab.Node.Chain;

/// <summary>
/// What the chain asks of the transactions waiting to be included (the mempool implements it; the chain does
/// not know the mempool): a block's worth to build from, dropping one that failed while building, and which of
/// a block's transactions were not already checked on admission.
/// </summary>
public interface IPendingTransactions
{
    /// <summary>Up to <paramref name="max"/> transactions for a block at this height, in inclusion order.</summary>
    IReadOnlyList<Transaction> Select(int max, ulong height);

    /// <summary>Removes a transaction that failed during block building, and its sender's later ones.</summary>
    void Drop(Transaction tx, TxRejection reason);

    /// <summary>Which of these transactions are not pending (so their signatures were not checked on admission).</summary>
    List<Transaction> NotPending(IReadOnlyList<Transaction> txs);

    /// <summary>The sender's next nonce counting its pending transactions (the head's account nonce when none).</summary>
    ulong NextNonce(in Address sender) => 0;

    /// <summary>Nothing pending: a chain without a mempool (tools, tests).</summary>
    public static readonly IPendingTransactions None = new Empty();

    private sealed class Empty : IPendingTransactions
    {
        public IReadOnlyList<Transaction> Select(int max, ulong height) => [];
        public void Drop(Transaction tx, TxRejection reason) { }
        public List<Transaction> NotPending(IReadOnlyList<Transaction> txs) => [.. txs];
    }
}

/// <summary>Finality votes waiting for a block (the node's vote pool); a producer puts the ones that count into its block.</summary>
public interface IPendingVotes
{
    /// <summary>Up to <paramref name="max"/> pooled votes, lowest target first.</summary>
    IReadOnlyList<Chainlab.Core.Finality.Vote> Candidates(int max);

    public static readonly IPendingVotes None = new Empty();

    private sealed class Empty : IPendingVotes
    {
        public IReadOnlyList<Chainlab.Core.Finality.Vote> Candidates(int max) => [];
    }
}
