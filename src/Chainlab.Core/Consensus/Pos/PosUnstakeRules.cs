using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pos;

/// <summary>
/// Leaves the lottery at once (newest bonding first, then active stake) and pays the coins back
/// <c>unbondingBlocks</c> later; until then they can still be slashed.
/// </summary>
public sealed class PosUnstakeRules : ITransactionRules
{
    public TxKind Kind => TxKind.Unstake;
    public bool CheckedAtAdmission => true;
    public ulong Moved(Transaction tx) => 0;
    public TxRejection CheckStateless(Transaction tx, ChainSpec spec) => StakeRules.CheckShape(tx);

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var rec = StakeRecord.Read(state);
        var v = rec.Find(tx.SenderKey);
        var bonded = v?.Bonded ?? 0;
        if (v is null || bonded < tx.Amount) return new(TxError.InsufficientStake, $"bonded stake {bonded} is less than {tx.Amount}");
        var left = tx.Amount;
        for (var i = v.Bonding.Count - 1; i >= 0 && left > 0; i--)
        {
            var take = Math.Min(left, v.Bonding[i].Amount);
            v.Bonding[i] = (v.Bonding[i].Amount - take, v.Bonding[i].Epoch);
            left -= take;
        }
        v.Bonding.RemoveAll(b => b.Amount == 0);
        v.Active -= left;
        v.Unbonding.Add((tx.Amount, context.Height + context.Spec.Consensus.UnbondingBlocks));
        state.Set(tx.Sender, after with { Stake = after.Stake - Math.Min(after.Stake, tx.Amount) });
        rec.Write(state);
        return TxRejection.Ok;
    }
}
