using Chainlab.Core.Rules;
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

    /// <summary>The gas the transaction may use at most (its gas limit); 0 for kinds that run no code. Blocks cap the sum.</summary>
    ulong GasLimit(Transaction tx) => 0;

    /// <summary>
    /// May this kind pay less than the minimum fee (down to none)? Only evidence: a validator that has earned
    /// nothing yet must still be able to report a double signer, and each report is checked in full at
    /// admission and counts once, so it cannot be used to spam.
    /// </summary>
    bool FeeFree => false;
}

/// <summary>
/// Where a transaction executes: the chain's spec, the height and time of the block that holds it (0 at
/// admission), and where rules that can fail after inclusion (contracts) put their outcome.
/// </summary>
public readonly record struct TxContext(ChainSpec Spec, ulong Height, ulong TimeMs = 0, TxOutcome? Outcome = null);

/// <summary>
/// What a transaction's receipt says beyond "applied": a contract transaction is applied (its gas is paid)
/// even when the contract fails, and pays only the gas it used.
/// </summary>
public sealed class TxOutcome
{
    public bool Success { get; set; } = true;
    public string? Error { get; set; }
    /// <summary>The fee actually paid, when it differs from the transaction's fee field.</summary>
    public ulong? FeePaid { get; set; }
    public ContractReceipt? Contract { get; set; }

    /// <summary>Back to a fresh outcome, for the next transaction (a block's execution uses one).</summary>
    public void Clear()
    {
        Success = true;
        Error = null;
        FeePaid = null;
        Contract = null;
    }
}
