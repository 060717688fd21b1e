using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Execution;

/// <summary>Returns locked stake to the balance at once, on a chain whose engine does not use stake.</summary>
public sealed class UnstakeRules : ITransactionRules
{
    public TxKind Kind => TxKind.Unstake;
    public bool CheckedAtAdmission => true;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec) => StakeRules.CheckShape(tx);

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        if (after.Stake < tx.Amount) return new(TxError.InsufficientStake, $"stake {after.Stake} is less than {tx.Amount}");
        if (after.Balance > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "balance would overflow");
        state.Set(tx.Sender, after with { Stake = after.Stake - tx.Amount, Balance = after.Balance + tx.Amount });
        return TxRejection.Ok;
    }
}
