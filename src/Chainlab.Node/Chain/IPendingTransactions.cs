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

    /// <summary>Nothing pending: a chain without a mempool (tools, tests).</summary>
    public static readonly IPendingTransactions None = new Empty();

    private sealed class Empty : IPendingTransactions
    {
        public IReadOnlyList<Transaction> Select(int max, ulong height) => [];
        public void Drop(Transaction tx, TxRejection reason) { }
        public List<Transaction> NotPending(IReadOnlyList<Transaction> txs) => [.. txs];
    }
}
