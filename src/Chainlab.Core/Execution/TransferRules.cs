using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Execution;

/// <summary>Moves coins from the sender to a recipient.</summary>
public sealed class TransferRules : ITransactionRules
{
    public TxKind Kind => TxKind.Transfer;
    public bool CheckedAtAdmission => false;
    public ulong Moved(Transaction tx) => tx.Amount;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.Amount == 0) return new(TxError.ZeroAmount, "a transfer must move a positive amount");
        if (tx.Payload.Length != 0) return new(TxError.Malformed, "a transfer carries no payload");
        if (SystemAccounts.IsReserved(tx.To)) return new(TxError.Malformed, $"{tx.To} is reserved for the chain's own records; no coins can be sent to it");
        return TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        if (tx.To == tx.Sender)
        {
            state.Set(tx.Sender, after with { Balance = after.Balance + tx.Amount });
            return TxRejection.Ok;
        }
        var to = state.Get(tx.To);
        if (to.Balance > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "recipient balance would overflow");
        state.Set(tx.Sender, after);
        state.Set(tx.To, to with { Balance = to.Balance + tx.Amount });
        return TxRejection.Ok;
    }
}
