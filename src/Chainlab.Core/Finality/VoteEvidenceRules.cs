using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Encoding;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Finality;

/// <summary>
/// Vote evidence (kind 10, decision 0007 point 4): two signed finality votes of one voter that break a slashing
/// condition (<see cref="VoteEvidence"/> is the payload), no recipient, no amount, fee-free. Whoever holds the two
/// votes may send it; the votes need not be on the chain (a conflicting vote is refused by every honest node, so it
/// is usually only heard). Proof of stake slashes the voter as equivocation does (<see cref="EvidenceRules.Slash"/>:
/// <c>slashPpm</c> of its stake, <c>reporterPpm</c> of that to the sender, the rest burnt); proof of authority
/// removes the authority through its managed set (the removal takes effect <c>activationDelay</c> blocks later, as
/// the admin's would). An offence is punished once: per voter and the higher target height of the two votes,
/// kept in <see cref="SystemAccounts.VoteOffences"/>. Enabled only on chains whose spec switches finality on.
/// </summary>
public sealed class VoteEvidenceRules : ITransactionRules
{
    public TxKind Kind => TxKind.VoteEvidence;
    public bool CheckedAtAdmission => true;
    public bool FeeFree => true;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.Amount != 0 || !tx.To.IsZero) return new(TxError.Malformed, "vote evidence moves no coins and has no recipient");
        VoteEvidence evidence;
        try { evidence = VoteEvidence.Decode(tx.Payload); }
        catch (DecodeException e) { return new(TxError.InvalidEvidence, "vote evidence does not decode: " + e.Message); }
        return evidence.Check(spec.ChainId, out var error) == Offence.None ? new(TxError.InvalidEvidence, error!) : TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var spec = context.Spec;
        VoteEvidence evidence;
        try { evidence = VoteEvidence.Decode(tx.Payload); }
        catch (DecodeException e) { return new(TxError.InvalidEvidence, "vote evidence does not decode: " + e.Message); }
        var offence = evidence.Check(spec.ChainId, out var error);
        if (offence == Offence.None) return new(TxError.InvalidEvidence, error!);
        var key = evidence.First.VoterKey;
        var height = Math.Max(evidence.First.Target.Height, evidence.Second.Target.Height);
        var punished = ReadOffences(state);
        if (punished.Any(p => p.Height == height && p.Key.AsSpan().SequenceEqual(key)))
            return new(TxError.Conflict, $"this {Describe(offence)} (target height {height}) was already punished");

        TxRejection result;
        switch (spec.Consensus.Engine)
        {
            case "pos":
                var rec = StakeRecord.Read(state);
                if (rec.Find(key) is not { Total: > 0 }) return new(TxError.InvalidEvidence, "the voter has no stake to slash");
                punished.Add((key, height));
                WriteOffences(state, punished);
                result = EvidenceRules.Slash(state, rec, spec, key, tx.Sender, after);
                break;
            case "poa":
                var authorities = AuthorityRecord.Read(state);
                if (authorities.IndexOf(key) < 0) return new(TxError.InvalidEvidence, "the voter is not an authority");
                if (authorities.Pending.Any(p => !p.Add && p.Key.AsSpan().SequenceEqual(key)))
                    return new(TxError.Conflict, "the voter's removal is already pending");
                if (authorities.Authorities.Count - authorities.Pending.Count(p => !p.Add) <= 1)
                    return new(TxError.Conflict, "the last authority cannot be removed");
                authorities.Pending.Add(new PendingChange(context.Height + spec.Consensus.ActivationDelay, false, key));
                authorities.Write(state);
                punished.Add((key, height));
                WriteOffences(state, punished);
                state.Set(tx.Sender, after);
                result = TxRejection.Ok;
                break;
            default:
                return new(TxError.UnsupportedKind, "this chain has no finality voters");
        }
        return result;
    }

    private static string Describe(Offence o) => o == Offence.DoubleVote ? "double vote" : "surround vote";

    /// <summary>The punished offences: count u32, then per offence voter key [32] and height u64, in the order punished.</summary>
    public static List<(byte[] Key, ulong Height)> ReadOffences(IAccountReader state)
    {
        var data = state.Get(SystemAccounts.VoteOffences).Data;
        var list = new List<(byte[], ulong)>();
        if (data is not { Length: > 0 }) return list;
        var r = new CanonicalReader(data);
        var n = r.Count(1_000_000, 40, "vote offences");
        for (var i = 0; i < n; i++) list.Add((r.Fixed(32, "voter").ToArray(), r.U64("height")));
        r.EnsureEnd("vote offences");
        return list;
    }

    private static void WriteOffences(StateOverlay state, List<(byte[] Key, ulong Height)> list)
    {
        var w = new CanonicalWriter();
        w.U32((uint)list.Count);
        foreach (var (k, h) in list) { w.Fixed(k); w.U64(h); }
        state.Set(SystemAccounts.VoteOffences, state.Get(SystemAccounts.VoteOffences) with { Data = w.ToArray() });
    }
}
