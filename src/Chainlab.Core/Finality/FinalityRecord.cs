using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Finality;

/// <summary>
/// The finality record: the data of the system account <see cref="SystemAccounts.Finality"/> on a chain whose
/// spec switches finality on (decisions 0007 and 0009). It is world state, so the state root commits to it, a
/// reorganisation undoes it with the block's undo data, and a restart keeps it on every store.
/// Layout (big-endian, strict): version u8 = 1 | last finalised checkpoint | checkpoints: count u32, each
/// checkpoint then its voter set | justified above the last finalised: count u32, each checkpoint then the source
/// of the link that justified it | votes counted with a target above the last finalised: count u32, each as
/// bytes (u32 length). The first checkpoint is the last finalised one; the rest follow at the interval.
/// </summary>
public static class FinalityRecord
{
    public const byte Version = 1;

    public static byte[] Encode(FinalityState s)
    {
        var w = new CanonicalWriter();
        w.U8(Version);
        s.LastFinalised.Write(w);
        w.U32((uint)s.Checkpoints.Count);
        foreach (var (c, voters) in s.Checkpoints) { c.Write(w); voters.Write(w); }
        w.U32((uint)s.Justified.Count);
        foreach (var (c, source) in s.Justified) { c.Write(w); source.Write(w); }
        w.U32((uint)s.Votes.Count);
        foreach (var v in s.Votes) w.Bytes(v.Raw);
        return w.ToArray();
    }

    public static FinalityState Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var version = r.U8("finality record version");
        if (version != Version) throw new DecodeException($"finality record version {version} is not {Version}");
        var lf = Checkpoint.Read(ref r, "last finalised");
        var n = r.Count(1_000_000, Checkpoint.EncodedSize + 4 + 40, "checkpoints");
        var checkpoints = new List<(Checkpoint, VoterSet)>(n);
        for (var i = 0; i < n; i++) checkpoints.Add((Checkpoint.Read(ref r, "checkpoint"), VoterSet.Read(ref r)));
        var j = r.Count(1_000_000, 2 * Checkpoint.EncodedSize, "justified");
        var justified = new List<(Checkpoint, Checkpoint)>(j);
        for (var i = 0; i < j; i++) justified.Add((Checkpoint.Read(ref r, "justified"), Checkpoint.Read(ref r, "justified source")));
        var m = r.Count(10_000_000, 4 + Vote.MinEncodedSize, "votes");
        var votes = new List<Vote>(m);
        for (var i = 0; i < m; i++) votes.Add(Vote.Decode(r.Bytes(Vote.MaxEncodedSize, "vote")));
        r.EnsureEnd("finality record");
        return new FinalityState(lf, checkpoints, justified, votes);
    }

    /// <summary>
    /// The chain's finality as the state holds it: the tracker restored from the record, or null while the record
    /// is empty (before the block after genesis, which records genesis as the first checkpoint).
    /// </summary>
    public static FinalityTracker? Read(ChainSpec spec, IAccountReader state)
    {
        var data = state.Get(SystemAccounts.Finality).Data;
        if (data is not { Length: > 0 }) return null;
        return FinalityTracker.Restore(spec.ChainId, FinalityVoters.CheckpointInterval(spec)!.Value, Decode(data));
    }

    public static void Write(StateOverlay state, FinalityTracker tracker) =>
        state.Set(SystemAccounts.Finality, state.Get(SystemAccounts.Finality) with { Data = Encode(tracker.Export()) });

    /// <summary>
    /// Called as each block opens, before its transactions: when its parent is a checkpoint (height a multiple of
    /// the interval), the parent's hash (which the parent's own state cannot hold) and the voter set of the state
    /// after it (the state this block starts from) join the record. The block after genesis starts the record.
    /// </summary>
    public static void BeginBlock(ChainSpec spec, StateOverlay state, BlockHeader header)
    {
        if (!FinalityVoters.Enabled(spec) || header.Height == 0) return;
        var interval = FinalityVoters.CheckpointInterval(spec)!.Value;
        var parentHeight = header.Height - 1;
        if (parentHeight % interval != 0) return;
        var checkpoint = new Checkpoint(parentHeight, header.Parent);
        var tracker = Read(spec, state);
        // A proof-of-stake snapshot with no stake left has no voters: the checkpoint keeps the last set, so the
        // record has every checkpoint (nobody can vote a stakeless chain final anyway: it makes no blocks).
        var voters = FinalityVoters.Of(spec, state) ?? tracker?.VotersOf(tracker.Checkpoints.Last());
        if (voters is null) return;
        if (tracker is null)
        {
            if (parentHeight != 0) return; // the record starts with genesis; a chain switched on later has none
            tracker = new FinalityTracker(spec.ChainId, interval, checkpoint, voters);
        }
        else tracker.AddCheckpoint(checkpoint, voters);
        Write(state, tracker);
    }
}
