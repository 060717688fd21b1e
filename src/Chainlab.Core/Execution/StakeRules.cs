using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Execution;

/// <summary>
/// Locks coins as stake on a chain whose engine does not use stake (proof of authority and of work): the
/// coins move from balance to stake and back, nothing more. Proof of stake registers its own rules.
/// </summary>
public sealed class StakeRules : ITransactionRules
{
    public TxKind Kind => TxKind.Stake;
    public bool CheckedAtAdmission => true;
    public ulong Moved(Transaction tx) => tx.Amount;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec) => CheckShape(tx);

    /// <summary>The shape of stake and unstake transactions on every engine: a positive amount, no recipient, no payload.</summary>
    public static TxRejection CheckShape(Transaction tx)
    {
        if (tx.Amount == 0) return new(TxError.ZeroAmount, $"{tx.Kind.ToString().ToLowerInvariant()} needs a positive amount");
        if (!tx.To.IsZero || tx.Payload.Length != 0) return new(TxError.Malformed, $"{tx.Kind} has no recipient and no payload");
        return TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        if (after.Stake > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "stake would overflow");
        state.Set(tx.Sender, after with { Stake = after.Stake + tx.Amount });
        return TxRejection.Ok;
    }
}
