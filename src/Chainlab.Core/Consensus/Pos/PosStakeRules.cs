using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pos;

/// <summary>Bonds coins as stake: they count in the lottery from <c>bondingEpochs</c> epochs on.</summary>
public sealed class PosStakeRules : ITransactionRules
{
    public TxKind Kind => TxKind.Stake;
    public bool CheckedAtAdmission => true;
    public ulong Moved(Transaction tx) => tx.Amount;
    public TxRejection CheckStateless(Transaction tx, ChainSpec spec) => StakeRules.CheckShape(tx);

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        if (after.Stake > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "stake would overflow");
        var rec = StakeRecord.Read(state);
        var v = rec.Find(tx.SenderKey);
        if (v is null) rec.Validators.Add(v = new ValidatorEntry { Key = tx.SenderKey });
        v.Bonding.Add((tx.Amount, rec.Epoch + Math.Max(1, context.Spec.Consensus.BondingEpochs)));
        state.Set(tx.Sender, after with { Stake = after.Stake + tx.Amount });
        rec.Write(state);
        return TxRejection.Ok;
    }
}
