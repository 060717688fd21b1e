using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Poa;

/// <summary>
/// An admin-signed change of the authority set. Payload = op u8 (1 add, 2 remove) | public key [32];
/// the change takes effect <c>activationDelay</c> blocks after the block that includes it.
/// </summary>
public sealed class AuthorityChangeRules : ITransactionRules
{
    public TxKind Kind => TxKind.AuthorityChange;
    public bool CheckedAtAdmission => true;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.Amount != 0 || !tx.To.IsZero) return new(TxError.Malformed, "an authority change moves no coins and has no recipient");
        if (tx.Payload.Length != 33 || tx.Payload[0] is not (1 or 2)) return new(TxError.Malformed, "authority change payload must be op (1 add, 2 remove) and a 32-byte key");
        return TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var record = AuthorityRecord.Read(state);
        if (!tx.SenderKey.AsSpan().SequenceEqual(record.Admin)) return new(TxError.Unauthorised, "only the admin key may change the authorities");
        var add = tx.Payload[0] == 1;
        var key = tx.Payload.AsSpan(1).ToArray();
        if (record.Pending.Any(p => p.Key.AsSpan().SequenceEqual(key))) return new(TxError.Conflict, "a change for this authority is already pending");
        var present = record.IndexOf(key) >= 0;
        if (add && present) return new(TxError.Conflict, "already an authority");
        if (!add && !present) return new(TxError.Conflict, "not an authority");
        if (!add && record.Authorities.Count - record.Pending.Count(p => !p.Add) <= 1) return new(TxError.Conflict, "the last authority cannot be removed");
        record.Pending.Add(new PendingChange(context.Height + context.Spec.Consensus.ActivationDelay, add, key));
        state.Set(tx.Sender, after);
        record.Write(state);
        return TxRejection.Ok;
    }
}
