using Chainlab.Core.Crypto;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pos;

/// <summary>
/// Evidence that one producer signed two headers for the same slot (payload: the two headers, each
/// length-prefixed). Slashes <c>slashPpm</c> of all the producer's stake once per (producer, slot), pays
/// the reporter <c>reporterPpm</c> of it and burns the rest (<see cref="SystemAccounts.Burned"/>).
/// </summary>
public sealed class EvidenceRules : ITransactionRules
{
    public TxKind Kind => TxKind.Evidence;
    public bool CheckedAtAdmission => true;
    public bool FeeFree => true;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.Amount != 0 || !tx.To.IsZero) return new(TxError.Malformed, "evidence moves no coins and has no recipient");
        return PosEngine.ParseEvidence(tx.Payload, out var error) is null ? new(TxError.InvalidEvidence, error) : TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var spec = context.Spec;
        var rec = StakeRecord.Read(state);
        if (PosEngine.ParseEvidence(tx.Payload, out var error) is not var (a, b)) return new(TxError.InvalidEvidence, error);
        var clock = new SlotClock(spec.GenesisTimeMs, spec.BlockTimeMs);
        if (a.Hash == b.Hash) return new(TxError.InvalidEvidence, "the two headers are the same block");
        if (!a.Producer.AsSpan().SequenceEqual(b.Producer)) return new(TxError.InvalidEvidence, "the headers have different producers");
        var slot = clock.SlotAt(a.TimestampMs);
        if (a.TimestampMs != b.TimestampMs) return new(TxError.InvalidEvidence, "the headers are for different slots");
        if (SignedSeal.Verify(a, PosEngine.PrefixSize) is { } ea) return new(TxError.InvalidEvidence, "first header: " + ea);
        if (SignedSeal.Verify(b, PosEngine.PrefixSize) is { } eb) return new(TxError.InvalidEvidence, "second header: " + eb);
        var v = rec.Find(a.Producer);
        if (v is null || v.Total == 0) return new(TxError.InvalidEvidence, "the producer has no stake to slash");
        if (rec.Slashed.Any(s => s.Slot == slot && s.Key.AsSpan().SequenceEqual(a.Producer)))
            return new(TxError.Conflict, $"this equivocation (slot {slot}) was already punished");

        rec.Slashed.Add((a.Producer, slot));
        return Slash(state, rec, spec, a.Producer, tx.Sender, after);
    }

    /// <summary>
    /// Slashes <c>slashPpm</c> of every part of the validator's stake (active, bonding, unbonding, and its weight in
    /// the epoch snapshot), pays the reporter <c>reporterPpm</c> of it and burns the rest; writes the record. The one
    /// slashing path for equivocation evidence and vote evidence (finality).
    /// </summary>
    public static TxRejection Slash(StateOverlay state, StakeRecord rec, ChainSpec spec, byte[] key, Address reporter, Account reporterAfter)
    {
        var v = rec.Find(key) ?? throw new InvalidOperationException("the validator has no stake record");
        // Slash the same fraction of every part of the stake: active, bonding and unbonding.
        ulong Cut(ulong x) => (ulong)((UInt128)x * spec.Consensus.SlashPpm / 1_000_000);
        ulong slashed = 0, fromBonded = 0;
        var cut = Cut(v.Active); v.Active -= cut; slashed += cut; fromBonded += cut;
        for (var i = 0; i < v.Bonding.Count; i++) { cut = Cut(v.Bonding[i].Amount); v.Bonding[i] = (v.Bonding[i].Amount - cut, v.Bonding[i].Epoch); slashed += cut; fromBonded += cut; }
        for (var i = 0; i < v.Unbonding.Count; i++) { cut = Cut(v.Unbonding[i].Amount); v.Unbonding[i] = (v.Unbonding[i].Amount - cut, v.Unbonding[i].ReleaseHeight); slashed += cut; }
        for (var i = 0; i < rec.Snapshot.Count; i++)
            if (rec.Snapshot[i].Key.AsSpan().SequenceEqual(key)) rec.Snapshot[i] = (rec.Snapshot[i].Key, rec.Snapshot[i].Stake - Cut(rec.Snapshot[i].Stake));
        rec.Write(state);

        var reward = (ulong)((UInt128)slashed * spec.Consensus.ReporterPpm / 1_000_000);
        state.Set(reporter, reporterAfter with { Balance = reporterAfter.Balance + reward });
        if (!SystemAccounts.Burn(state, slashed - reward)) return new(TxError.Overflow, "the burnt total would overflow");
        var offender = Address.FromPublicKey(key);
        var acc = state.Get(offender);
        state.Set(offender, acc with { Stake = acc.Stake - Math.Min(acc.Stake, fromBonded) });
        return TxRejection.Ok;
    }
}
