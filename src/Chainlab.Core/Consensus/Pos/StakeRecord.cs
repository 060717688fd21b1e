using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pos;

/// <summary>One validator's stake: active (counted in the next snapshot), bonding (active from an epoch) and unbonding (paid out at a height).</summary>
public sealed class ValidatorEntry
{
    public required byte[] Key { get; init; }
    public ulong Active { get; set; }
    public List<(ulong Amount, ulong Epoch)> Bonding { get; } = new();
    public List<(ulong Amount, ulong ReleaseHeight)> Unbonding { get; } = new();
    /// <summary>Stake that can still be unstaked: active plus bonding.</summary>
    public ulong Bonded => Active + Bonding.Aggregate(0UL, (s, b) => s + b.Amount);
    /// <summary>Everything at stake, unbonding included (what slashing can reach).</summary>
    public ulong Total => Bonded + Unbonding.Aggregate(0UL, (s, u) => s + u.Amount);
}

/// <summary>
/// The proof-of-stake record in state (data of <see cref="SystemAccounts.Validators"/>): the snapshot of
/// the current epoch (who may win a slot and with what stake), its randomness, the running mix of VRF
/// outputs that seeds the next epoch's randomness, every validator's live stake, and the (validator, slot)
/// pairs already slashed.
/// </summary>
public sealed class StakeRecord
{
    public ulong Epoch { get; set; }
    public byte[] Randomness { get; set; } = new byte[32];
    public byte[] Mix { get; set; } = new byte[32];
    public List<(byte[] Key, ulong Stake)> Snapshot { get; set; } = new();
    public List<ValidatorEntry> Validators { get; } = new();
    public List<(byte[] Key, ulong Slot)> Slashed { get; } = new();

    public ulong SnapshotTotal => Snapshot.Aggregate(0UL, (s, v) => s + v.Stake);

    public ValidatorEntry? Find(ReadOnlySpan<byte> key)
    {
        foreach (var v in Validators) if (v.Key.AsSpan().SequenceEqual(key)) return v;
        return null;
    }

    public ulong SnapshotStake(ReadOnlySpan<byte> key)
    {
        foreach (var (k, s) in Snapshot) if (k.AsSpan().SequenceEqual(key)) return s;
        return 0;
    }

    /// <summary>
    /// Moves the record to a later epoch: bonds due by then become active, the snapshot is retaken from the
    /// active stakes, and the randomness is derived from the mix and the epoch number. Pure: works on a copy.
    /// </summary>
    public StakeRecord AdvanceTo(ulong epoch)
    {
        var r = Decode(Encode());
        if (epoch <= r.Epoch) return r;
        foreach (var v in r.Validators)
        {
            foreach (var b in v.Bonding.Where(b => b.Epoch <= epoch)) v.Active += b.Amount;
            v.Bonding.RemoveAll(b => b.Epoch <= epoch);
        }
        r.Validators.RemoveAll(v => v.Total == 0);
        r.Epoch = epoch;
        r.Snapshot = r.Validators.Where(v => v.Active > 0).Select(v => (v.Key, v.Active)).ToList();
        var w = new CanonicalWriter();
        w.Fixed("chainlab/pos/epoch"u8);
        w.Fixed(r.Mix);
        w.U64(epoch);
        r.Randomness = Hash.Sha256(w.WrittenSpan).ToArray();
        return r;
    }

    public byte[] Encode()
    {
        var w = new CanonicalWriter();
        w.U64(Epoch); w.Fixed(Randomness); w.Fixed(Mix);
        w.U32((uint)Snapshot.Count);
        foreach (var (k, s) in Snapshot) { w.Fixed(k); w.U64(s); }
        w.U32((uint)Validators.Count);
        foreach (var v in Validators.OrderBy(v => Convert.ToHexString(v.Key)))
        {
            w.Fixed(v.Key); w.U64(v.Active);
            w.U32((uint)v.Bonding.Count);
            foreach (var (a, e) in v.Bonding) { w.U64(a); w.U64(e); }
            w.U32((uint)v.Unbonding.Count);
            foreach (var (a, h) in v.Unbonding) { w.U64(a); w.U64(h); }
        }
        w.U32((uint)Slashed.Count);
        foreach (var (k, s) in Slashed) { w.Fixed(k); w.U64(s); }
        return w.ToArray();
    }

    public static StakeRecord Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var rec = new StakeRecord { Epoch = r.U64("epoch"), Randomness = r.Fixed(32, "randomness").ToArray(), Mix = r.Fixed(32, "mix").ToArray() };
        var n = r.Count(100_000, 40, "snapshot");
        for (var i = 0; i < n; i++) rec.Snapshot.Add((r.Fixed(32, "key").ToArray(), r.U64("stake")));
        var m = r.Count(100_000, 48, "validators");
        for (var i = 0; i < m; i++)
        {
            var v = new ValidatorEntry { Key = r.Fixed(32, "key").ToArray(), Active = r.U64("active") };
            var b = r.Count(100_000, 16, "bonding");
            for (var j = 0; j < b; j++) v.Bonding.Add((r.U64("amount"), r.U64("epoch")));
            var u = r.Count(100_000, 16, "unbonding");
            for (var j = 0; j < u; j++) v.Unbonding.Add((r.U64("amount"), r.U64("height")));
            rec.Validators.Add(v);
        }
        var s = r.Count(1_000_000, 40, "slashed");
        for (var i = 0; i < s; i++) rec.Slashed.Add((r.Fixed(32, "key").ToArray(), r.U64("slot")));
        r.EnsureEnd("stake record");
        return rec;
    }

    public static StakeRecord Read(IAccountReader state) =>
        state.Get(SystemAccounts.Validators).Data is { Length: > 0 } d ? Decode(d) : throw new InvalidOperationException("the state has no validator record");

    public void Write(StateOverlay state) => state.Set(SystemAccounts.Validators, new Account(0, 0, 0, Encode()));
}
