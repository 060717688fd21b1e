using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Poa;

/// <summary>A change of the authority set waiting for its height: add (true) or remove the key.</summary>
public sealed record PendingChange(ulong EffectiveHeight, bool Add, byte[] Key);

/// <summary>The authority set in state (data of <see cref="SystemAccounts.Authorities"/>).</summary>
public sealed record AuthorityRecord(byte[] Admin, List<byte[]> Authorities, List<PendingChange> Pending)
{
    public byte[] Encode()
    {
        var w = new CanonicalWriter();
        w.Fixed(Admin);
        w.U32((uint)Authorities.Count);
        foreach (var a in Authorities) w.Fixed(a);
        w.U32((uint)Pending.Count);
        foreach (var p in Pending) { w.U64(p.EffectiveHeight); w.U8(p.Add ? (byte)1 : (byte)2); w.Fixed(p.Key); }
        return w.ToArray();
    }

    public static AuthorityRecord Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var admin = r.Fixed(32, "admin").ToArray();
        var n = r.Count(10_000, 32, "authorities");
        var list = new List<byte[]>(n);
        for (var i = 0; i < n; i++) list.Add(r.Fixed(32, "authority").ToArray());
        var m = r.Count(10_000, 41, "pending changes");
        var pending = new List<PendingChange>(m);
        for (var i = 0; i < m; i++) pending.Add(new PendingChange(r.U64("height"), r.U8("op") == 1, r.Fixed(32, "key").ToArray()));
        r.EnsureEnd("authority record");
        return new AuthorityRecord(admin, list, pending);
    }

    public static AuthorityRecord Read(IAccountReader state) =>
        state.Get(SystemAccounts.Authorities).Data is { Length: > 0 } d ? Decode(d) : throw new InvalidOperationException("the state has no authority record");

    public void Write(StateOverlay state) => state.Set(SystemAccounts.Authorities, new Account(0, 0, 0, Encode()));

    public int IndexOf(ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < Authorities.Count; i++) if (Authorities[i].AsSpan().SequenceEqual(key)) return i;
        return -1;
    }
}

/// <summary>
/// Proof of authority. The authority set and the admin key live in state. Slot s belongs to authority
/// s mod n (in turn); if it stays silent, the authority k places after it may seal the same slot with the
/// timestamp slot start + k * takeover delay, so a stopped authority is skipped after the delay. Blocks are
/// signed by their producer. In-turn blocks weigh 2 and the others 1, so fork choice prefers the in-turn
/// branch. The admin adds or removes authorities with signed transactions that take effect
/// <c>activationDelay</c> blocks after the block that includes them.
/// </summary>
public sealed class PoaEngine(ChainSpec spec) : IConsensusEngine
{
    private readonly SlotClock _clock = new(spec.GenesisTimeMs, spec.BlockTimeMs);

    public string Name => "poa";

    /// <summary>Producers look four times a slot (or at the configured takeover step), so a takeover starts at most a quarter slot late.</summary>
    public ulong TickMs => Math.Max(1, Math.Min(spec.BlockTimeMs / 4, spec.Consensus.TakeoverMs > 0 ? spec.Consensus.TakeoverMs : ulong.MaxValue));

    private ulong Delay(int authorities) =>
        spec.Consensus.TakeoverMs > 0 ? spec.Consensus.TakeoverMs : Math.Max(1, spec.BlockTimeMs / (ulong)Math.Max(1, authorities));

    public IReadOnlyList<Execution.ITransactionRules> TransactionRules { get; } = [new AuthorityChangeRules()];

    public void InitGenesis(WorldState state)
    {
        var admin = spec.Consensus.Admin is { } a ? Convert.FromHexString(a) : new byte[32];
        var record = new AuthorityRecord(admin, spec.Consensus.Authorities.Select(Convert.FromHexString).ToList(), []);
        state.Put(SystemAccounts.Authorities, new Account(0, 0, 0, record.Encode()));
    }

    /// <summary>The producer's place after the in-turn authority of this slot (0 = in turn), or -1 when not an authority.</summary>
    public static int Rank(AuthorityRecord record, ulong slot, ReadOnlySpan<byte> key)
    {
        var i = record.IndexOf(key);
        if (i < 0) return -1;
        var n = record.Authorities.Count;
        return (int)(((ulong)i + (ulong)n - slot % (ulong)n) % (ulong)n);
    }

    public Claim? TryClaim(BlockHeader parent, IAccountReader parentState, ulong nowMs, KeyPair key)
    {
        var record = AuthorityRecord.Read(parentState);
        var slot = _clock.SlotAt(nowMs);
        if (slot <= _clock.SlotAt(parent.TimestampMs)) return null;
        var rank = Rank(record, slot, key.PublicKey);
        if (rank < 0) return null;
        var at = _clock.StartOf(slot) + (ulong)rank * Delay(record.Authorities.Count);
        if (nowMs < at || at >= _clock.StartOf(slot + 1)) return null;
        return new Claim(at, []);
    }

    public byte[]? Seal(BlockHeader draft, KeyPair key, CancellationToken ct) => SignedSeal.Sign(draft, key);

    /// <summary>One block per slot at most, and a block may be one slot early (the import tolerance).</summary>
    public ulong? MaxHeightAt(ulong nowMs) => _clock.SlotAt(nowMs + spec.BlockTimeMs);

    public string? VerifySeal(BlockHeader header, BlockHeader parent)
    {
        if (header.TimestampMs < spec.GenesisTimeMs) return "timestamp is before genesis";
        if (_clock.SlotAt(header.TimestampMs) <= _clock.SlotAt(parent.TimestampMs)) return "slot is not after the parent's";
        return SignedSeal.Verify(header, 0);
    }

    public string? VerifyProducer(BlockHeader header, BlockHeader parent, IAccountReader parentState)
    {
        var record = AuthorityRecord.Read(parentState);
        var slot = _clock.SlotAt(header.TimestampMs);
        var rank = Rank(record, slot, header.Producer);
        if (rank < 0) return "producer is not an authority";
        var expected = _clock.StartOf(slot) + (ulong)rank * Delay(record.Authorities.Count);
        if (header.TimestampMs != expected)
            return rank == 0 ? $"the in-turn authority must seal at the slot start {expected}"
                : $"producer is {rank} place(s) after the in-turn authority of slot {slot}: it may take over only at {expected}, not {header.TimestampMs}";
        return null;
    }

    /// <summary>In-turn blocks (sealed at the slot start) weigh 2, taken-over slots 1.</summary>
    public ulong Weight(BlockHeader header, BlockHeader parent) => _clock.IsSlotStart(header.TimestampMs) ? 2UL : 1UL;

    public void BeginBlock(StateOverlay state, BlockHeader header) { }

    public void EndBlock(StateOverlay state, BlockHeader header)
    {
        var record = AuthorityRecord.Read(state);
        var due = record.Pending.Where(p => p.EffectiveHeight <= header.Height + 1).ToList();
        if (due.Count == 0) return;
        foreach (var p in due)
        {
            var i = record.IndexOf(p.Key);
            if (p.Add && i < 0) record.Authorities.Add(p.Key);
            if (!p.Add && i >= 0 && record.Authorities.Count > 1) record.Authorities.RemoveAt(i);
        }
        record.Pending.RemoveAll(due.Contains);
        record.Write(state);
    }

    public object Describe(BlockHeader head, IAccountReader state, ulong nowMs)
    {
        var record = AuthorityRecord.Read(state);
        var slot = Math.Max(_clock.SlotAt(nowMs), _clock.SlotAt(head.TimestampMs) + 1);
        var n = record.Authorities.Count;
        return new
        {
            admin = Convert.ToHexStringLower(record.Admin),
            authorities = record.Authorities.Select(Convert.ToHexStringLower).ToList(),
            nextSlot = slot,
            inTurn = Convert.ToHexStringLower(record.Authorities[(int)(slot % (ulong)n)]),
            takeoverMs = Delay(n),
            pending = record.Pending.Select(p => new { effectiveHeight = p.EffectiveHeight, action = p.Add ? "add" : "remove", key = Convert.ToHexStringLower(p.Key) }).ToList(),
        };
    }

    /// <summary>The payload of an authority change (see <see cref="AuthorityChangeRules"/>).</summary>
    public static byte[] ChangePayload(bool add, ReadOnlySpan<byte> key) => [add ? (byte)1 : (byte)2, .. key];
}
