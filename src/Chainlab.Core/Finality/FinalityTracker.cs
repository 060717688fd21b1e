namespace Chainlab.Core.Finality;

/// <summary>Why a vote did not count.</summary>
public enum VoteRefusal
{
    None = 0,
    /// <summary>The vote is for another chain id.</summary>
    WrongChain,
    /// <summary>The target is not a checkpoint of this chain (wrong height, another branch's block, or not reached yet).</summary>
    UnknownTarget,
    /// <summary>The source is not a justified checkpoint of this chain, or lies below the last finalised checkpoint.</summary>
    SourceNotJustified,
    /// <summary>The key is not in the voter set of the target checkpoint.</summary>
    UnknownVoter,
    /// <summary>The same vote already counted.</summary>
    Duplicate,
    /// <summary>The vote and one of the voter's counted votes break a slashing condition (see <see cref="VoteOutcome.Conflicting"/>).</summary>
    Slashable,
    /// <summary>The signature does not verify.</summary>
    BadSignature,
}

/// <summary>What including a vote did: counted, or refused with a reason; and what it justified or finalised.</summary>
public sealed record VoteOutcome(VoteRefusal Refusal, string Reason, Vote? Conflicting = null, Checkpoint? Justified = null, Checkpoint? Finalised = null)
{
    public bool Counted => Refusal == VoteRefusal.None;
}

/// <summary>
/// The finality state machine of one branch, pure and deterministic (Casper FFG rules). Feed it, in chain order,
/// the branch's checkpoints (the block at every multiple of the interval, with the voter set of its epoch) and the
/// votes the branch's blocks include. A vote counts when it is for this chain, its target is a checkpoint of the
/// branch, its source is a justified checkpoint of the branch no lower than the last finalised one, its voter is in the target's voter set, it is new,
/// it breaks no slashing condition with the voter's counted votes, and its signature holds. A checkpoint is
/// justified when the votes of one link from a justified source to it weigh more than two thirds of its voter
/// set; a justified checkpoint is finalised when such a link goes from it to the very next checkpoint.
/// Genesis is justified and finalised from the start.
/// </summary>
public sealed class FinalityTracker
{
    private sealed class Tally(VoterSet voters)
    {
        public VoterSet Voters { get; } = voters;
        public List<Vote> Votes { get; } = new();
        public ulong Weight { get; set; }
        public bool Supermajority { get; set; }
    }

    private readonly List<(Checkpoint Checkpoint, VoterSet Voters)> _checkpoints = new();
    private readonly Dictionary<Checkpoint, (Checkpoint Source, Checkpoint Target)?> _justifiedBy = new();
    private readonly Dictionary<Checkpoint, (Checkpoint Source, Checkpoint Target)?> _finalisedBy = new();
    private readonly Dictionary<(Checkpoint Source, Checkpoint Target), Tally> _links = new();
    private readonly Dictionary<Checkpoint, ulong> _targetWeight = new();
    private readonly Dictionary<string, List<Vote>> _byVoter = new();
    private readonly List<Vote> _order = new(); // every counted vote, in the order counted

    public FinalityTracker(string chainId, ulong interval, Checkpoint genesis, VoterSet genesisVoters)
    {
        if (interval == 0) throw new ArgumentException("the checkpoint interval must be above 0", nameof(interval));
        if (genesis.Height != 0) throw new ArgumentException("the first checkpoint is genesis, at height 0", nameof(genesis));
        ChainId = chainId;
        Interval = interval;
        _checkpoints.Add((genesis, genesisVoters));
        _justifiedBy[genesis] = null;
        _finalisedBy[genesis] = null;
        LastJustified = LastFinalised = genesis;
    }

    /// <summary>
    /// A tracker picked up from its state as <see cref="Export"/> wrote it (the chain's finality record): the last
    /// finalised checkpoint is where it starts, as genesis is for a new one; the justified checkpoints above it
    /// keep the link that justified them; the votes are counted again (they were checked when first counted), so
    /// the tallies, the participation and the slashing checks are as they were.
    /// </summary>
    public static FinalityTracker Restore(string chainId, ulong interval, FinalityState state)
    {
        if (interval == 0) throw new ArgumentException("the checkpoint interval must be above 0", nameof(interval));
        if (state.Checkpoints.Count == 0 || state.Checkpoints[0].Checkpoint != state.LastFinalised)
            throw new FormatException("the finality state's first checkpoint must be its last finalised one");
        var t = new FinalityTracker(chainId, interval, state.LastFinalised, state.Checkpoints[0].Voters, restored: true);
        for (var i = 1; i < state.Checkpoints.Count; i++) t.AddCheckpoint(state.Checkpoints[i].Checkpoint, state.Checkpoints[i].Voters);
        foreach (var (c, source) in state.Justified)
        {
            if (t.Find(c) is null || t.Find(source) is null && source.Height >= state.LastFinalised.Height)
                throw new FormatException($"the finality state justifies {c} from {source}, which are not its checkpoints");
            t._justifiedBy[c] = (source, c);
            if (c.Height > t.LastJustified.Height) t.LastJustified = c;
        }
        foreach (var v in state.Votes)
        {
            if (v.Target.Height <= state.LastFinalised.Height || t.Find(v.Target) is not { } ti)
                throw new FormatException($"the finality state holds {v}, whose target is not a checkpoint above the last finalised one");
            t.Count(v, t._checkpoints[ti].Voters, restoring: true);
        }
        return t;
    }

    private FinalityTracker(string chainId, ulong interval, Checkpoint anchor, VoterSet voters, bool restored)
    {
        if (!anchor.IsAt(interval)) throw new FormatException($"the last finalised checkpoint {anchor} is not at a multiple of {interval}");
        _ = restored; // tells this constructor from the public one
        ChainId = chainId;
        Interval = interval;
        _checkpoints.Add((anchor, voters));
        _justifiedBy[anchor] = null;
        _finalisedBy[anchor] = null;
        LastJustified = LastFinalised = anchor;
    }

    /// <summary>
    /// What the chain's finality record keeps (decision 0007, point 6): the last finalised checkpoint, the
    /// checkpoints from it on with their voter sets, the justified ones above it with their justifying link's
    /// source, and the counted votes whose target lies above it. Votes for older targets are forgotten: a
    /// slashable pair with one of them is then punished with evidence, not refused.
    /// </summary>
    public FinalityState Export()
    {
        var lf = LastFinalised;
        var justified = _justifiedBy.Where(j => j.Key.Height > lf.Height && j.Value is not null)
            .Select(j => (j.Key, j.Value!.Value.Source)).OrderBy(j => j.Key.Height).ToList();
        var votes = _order.Where(v => v.Target.Height > lf.Height).ToList();
        return new FinalityState(lf, _checkpoints.Where(c => c.Checkpoint.Height >= lf.Height).ToList(), justified, votes);
    }

    public string ChainId { get; }
    public ulong Interval { get; }
    /// <summary>The first checkpoint this tracker knows: genesis, or the last finalised one it was restored from.</summary>
    public Checkpoint Genesis => _checkpoints[0].Checkpoint;
    /// <summary>The branch's checkpoints so far, genesis first.</summary>
    public IEnumerable<Checkpoint> Checkpoints => _checkpoints.Select(c => c.Checkpoint);
    /// <summary>The justified checkpoint of greatest height.</summary>
    public Checkpoint LastJustified { get; private set; }
    /// <summary>The finalised checkpoint of greatest height.</summary>
    public Checkpoint LastFinalised { get; private set; }

    /// <summary>The branch reached its next checkpoint: the block at the next multiple of the interval, with its epoch's voter set.</summary>
    public void AddCheckpoint(Checkpoint checkpoint, VoterSet voters)
    {
        var expected = _checkpoints[^1].Checkpoint.Height + Interval;
        if (checkpoint.Height != expected)
            throw new ArgumentException($"the next checkpoint is at height {expected}, not {checkpoint.Height}", nameof(checkpoint));
        _checkpoints.Add((checkpoint, voters));
    }

    /// <summary>The voter set of a checkpoint of this branch, or null.</summary>
    public VoterSet? VotersOf(Checkpoint checkpoint) => Find(checkpoint) is { } i ? _checkpoints[i].Voters : null;

    private int? Find(Checkpoint c)
    {
        var first = _checkpoints[0].Checkpoint.Height;
        if (c.Height % Interval != 0 || c.Height < first) return null;
        var i = (c.Height - first) / Interval;
        return i < (ulong)_checkpoints.Count && _checkpoints[(int)i].Checkpoint == c ? (int)i : null;
    }

    public bool IsJustified(Checkpoint c) => _justifiedBy.ContainsKey(c);
    public bool IsFinalised(Checkpoint c) => _finalisedBy.ContainsKey(c);

    /// <summary>The weight of the distinct voters whose counted votes target this checkpoint, and its voter set's total.</summary>
    public (ulong Weight, ulong Total) Participation(Checkpoint target) =>
        (_targetWeight.GetValueOrDefault(target), VotersOf(target)?.Total ?? 0);

    /// <summary>
    /// Counts a vote included in the branch, or refuses it with the reason. <paramref name="signatureChecked"/> lets
    /// a caller that verified a batch of signatures (in parallel) skip the check here.
    /// </summary>
    public VoteOutcome Include(Vote vote, bool signatureChecked = false)
    {
        if (vote.ChainId != ChainId) return new(VoteRefusal.WrongChain, $"the vote is for chain '{vote.ChainId}', not '{ChainId}'");
        // Settled first, so a tracker restored from the record (which forgets checkpoints below the last finalised
        // one) answers as the one that saw them: such a vote's source is below the last finalised checkpoint.
        if (vote.Target.Height <= LastFinalised.Height)
            return new(VoteRefusal.SourceNotJustified, $"the target {vote.Target} is not above the last finalised checkpoint {LastFinalised}, so its source is below it");
        if (Find(vote.Target) is not { } ti) return new(VoteRefusal.UnknownTarget, $"the target {vote.Target} is not a checkpoint of this branch");
        if (Find(vote.Source) is null || !IsJustified(vote.Source))
            return new(VoteRefusal.SourceNotJustified, $"the source {vote.Source} is not a justified checkpoint of this branch");
        if (vote.Source.Height < LastFinalised.Height)
            return new(VoteRefusal.SourceNotJustified, $"the source {vote.Source} is below the last finalised checkpoint {LastFinalised}");
        var voters = _checkpoints[ti].Voters;
        var weight = voters.WeightOf(vote.VoterKey);
        if (weight == 0) return new(VoteRefusal.UnknownVoter, $"the voter is not in the voter set of {vote.Target}");
        var key = Convert.ToHexString(vote.VoterKey);
        var earlier = _byVoter.GetValueOrDefault(key);
        if (earlier is not null)
        {
            if (earlier.Any(vote.SameContent)) return new(VoteRefusal.Duplicate, "the vote already counted");
            foreach (var e in earlier)
                if (SlashingConditions.Find(e, vote) is var o && o != Offence.None)
                    return new(VoteRefusal.Slashable, $"the vote and the voter's earlier {e} are a {(o == Offence.DoubleVote ? "double" : "surround")} vote", e);
        }
        if (!signatureChecked && !vote.VerifySignature()) return new(VoteRefusal.BadSignature, "the signature is not valid");

        var link = (vote.Source, vote.Target);
        var tally = Count(vote, voters);
        if (tally.Supermajority || !voters.IsSupermajority(tally.Weight)) return new(VoteRefusal.None, "counted");

        tally.Supermajority = true;
        Checkpoint? justified = null, finalised = null;
        if (_justifiedBy.TryAdd(vote.Target, link))
        {
            justified = vote.Target;
            if (vote.Target.Height > LastJustified.Height) LastJustified = vote.Target;
        }
        if (vote.Target.Height == vote.Source.Height + Interval && _finalisedBy.TryAdd(vote.Source, link))
        {
            finalised = vote.Source;
            if (vote.Source.Height > LastFinalised.Height) LastFinalised = vote.Source;
        }
        return new(VoteRefusal.None, "counted", null, justified, finalised);
    }

    /// <summary>Adds a vote to the voter's, the target's and the link's counts (the rules are the caller's); answers the link's tally.</summary>
    private Tally Count(Vote vote, VoterSet voters, bool restoring = false)
    {
        var key = Convert.ToHexString(vote.VoterKey);
        if (!_byVoter.TryGetValue(key, out var mine)) _byVoter[key] = mine = new();
        mine.Add(vote);
        _order.Add(vote);
        _targetWeight[vote.Target] = _targetWeight.GetValueOrDefault(vote.Target) + voters.WeightOf(vote.VoterKey);
        var link = (vote.Source, vote.Target);
        if (!_links.TryGetValue(link, out var tally)) _links[link] = tally = new Tally(voters);
        tally.Votes.Add(vote);
        tally.Weight += voters.WeightOf(vote.VoterKey);
        // Restored: a link that weighs a supermajority had its effect (justified, finalised) when it first did.
        if (restoring && voters.IsSupermajority(tally.Weight)) tally.Supermajority = true;
        return tally;
    }

    /// <summary>
    /// A proof that <paramref name="checkpoint"/> is final: the links that justify it, one after the other from
    /// <paramref name="anchor"/> (genesis when not given; it must be on the checkpoint's chain of justifying links),
    /// then the link from it to the next checkpoint. Null when the checkpoint is not finalised on this branch.
    /// </summary>
    public FinalityProof? ProofOfFinality(Checkpoint checkpoint, Checkpoint? anchor = null)
    {
        if (!_finalisedBy.TryGetValue(checkpoint, out var finalising)) return null;
        var from = anchor ?? Genesis;
        var links = new List<FinalityLink>();
        if (finalising is { } f) links.Add(LinkOf(f));
        else return null; // genesis is final by definition and has no proof
        var c = checkpoint;
        while (c != from)
        {
            if (_justifiedBy[c] is not { } j) return null; // reached genesis without meeting the anchor
            links.Add(LinkOf(j));
            c = j.Source;
        }
        links.Reverse();
        return new FinalityProof(ChainId, Interval, from, links);
    }

    /// <summary>
    /// Every link whose counted votes weigh more than two thirds of its target's voter set, with those votes: what a
    /// node keeps to prove finality later (the record forgets votes once their target is final).
    /// </summary>
    public IEnumerable<FinalityLink> SupermajorityLinks() =>
        _links.Where(l => l.Value.Supermajority).OrderBy(l => l.Key.Target.Height).ThenBy(l => l.Key.Source.Height).Select(l => LinkOf(l.Key));

    private FinalityLink LinkOf((Checkpoint Source, Checkpoint Target) link)
    {
        var t = _links[link];
        return new FinalityLink(t.Voters, t.Votes.ToList());
    }
}

/// <summary>What a chain's finality record holds (see <see cref="FinalityTracker.Export"/>).</summary>
public sealed record FinalityState(Checkpoint LastFinalised, IReadOnlyList<(Checkpoint Checkpoint, VoterSet Voters)> Checkpoints,
    IReadOnlyList<(Checkpoint Checkpoint, Checkpoint Source)> Justified, IReadOnlyList<Vote> Votes);
