using Chainlab.Core.Encoding;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Finality;

/// <summary>
/// Vote transactions (kind 9, decision 0007 point 5): a batch of 1 to 256 signed checkpoint votes
/// (<see cref="VoteBatch"/>), no recipient, no amount, fee-free (anyone may send the votes it heard, as with
/// evidence). Valid only when every vote counts, in order, against the finality record of the state it applies
/// to: so a vote transaction cannot carry filler, and finality is replayed from the chain alone. Enabled only on
/// chains whose spec switches finality on.
/// </summary>
public sealed class VoteRules : ITransactionRules
{
    public TxKind Kind => TxKind.Vote;
    public bool CheckedAtAdmission => true;
    public bool FeeFree => true;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.Amount != 0 || !tx.To.IsZero) return new(TxError.Malformed, "a vote transaction moves no coins and has no recipient");
        IReadOnlyList<Vote> votes;
        try { votes = VoteBatch.Decode(tx.Payload); }
        catch (DecodeException e) { return new(TxError.Malformed, e.Message); }
        if (votes.FirstOrDefault(v => v.ChainId != spec.ChainId) is { } other)
            return new(TxError.InvalidVote, $"{other} is for chain '{other.ChainId}', not '{spec.ChainId}'");
        return TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var votes = VoteBatch.Decode(tx.Payload);
        if (FinalityRecord.Read(context.Spec, state) is not { } tracker)
            return new(TxError.InvalidVote, "no checkpoint to vote for yet: the record starts with the block after genesis");
        // Signatures first, all of them (in parallel): the rules below then need no crypto.
        var bad = new bool[votes.Count];
        Parallel.For(0, votes.Count, i => bad[i] = !votes[i].VerifySignature());
        for (var i = 0; i < votes.Count; i++)
        {
            if (bad[i]) return new(TxError.InvalidVote, $"vote {i} ({votes[i]}): the signature is not valid");
            var outcome = tracker.Include(votes[i], signatureChecked: true);
            if (!outcome.Counted) return new(TxError.InvalidVote, $"vote {i} ({votes[i]}): {outcome.Reason}");
        }
        FinalityRecord.Write(state, tracker);
        state.Set(tx.Sender, after);
        return TxRejection.Ok;
    }
}
