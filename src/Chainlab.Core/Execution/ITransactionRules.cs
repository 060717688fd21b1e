using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Execution;

/// <summary>
/// The rules of one transaction kind. <see cref="ChainRules"/> does what every kind shares (chain id, fee,
/// nonce, paying for the transaction) and hands the rest to the kind's rules. Undo needs no code here:
/// rules write only through the <see cref="StateOverlay"/>, whose changes the chain keeps as undo data.
/// A new kind is one class implementing this, registered in <see cref="ChainRules"/> or by an engine.
/// </summary>
public interface ITransactionRules
{
    TxKind Kind { get; }

    /// <summary>Checks that need no state: amount, recipient, payload shape.</summary>
    TxRejection CheckStateless(Transaction tx, ChainSpec spec);

    /// <summary>What leaves the sender's balance besides the fee (the moved amount, if any).</summary>
    ulong Moved(Transaction tx);

    /// <summary>
    /// Whether admission tries <see cref="Apply"/> on a throwaway copy of the head state, so a refusal reaches
    /// the sender at once. Transfers skip it: nonce and balance, checked for every kind, are all they need.
    /// </summary>
    bool CheckedAtAdmission { get; }

    /// <summary>
    /// Applies the transaction after the shared part: <paramref name="after"/> is the sender's account with
    /// fee and moved amount taken and the nonce advanced; the rules write it (changed as they need).
    /// On rejection nothing may have been written.
    /// </summary>
    TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context);
}

/// <summary>Where a transaction executes: the chain's spec and the height of the block that holds it (0 at admission).</summary>
public readonly record struct TxContext(ChainSpec Spec, ulong Height);
