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

    public string ChainId { get; }
    public ulong Interval { get; }
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
        if (c.Height % Interval != 0) return null;
        var i = c.Height / Interval;
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

        if (earlier is null) _byVoter[key] = earlier = new();
        earlier.Add(vote);
        _targetWeight[vote.Target] = _targetWeight.GetValueOrDefault(vote.Target) + weight;
        var link = (vote.Source, vote.Target);
        if (!_links.TryGetValue(link, out var tally)) _links[link] = tally = new Tally(voters);
        tally.Votes.Add(vote);
        tally.Weight += weight;
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

    private FinalityLink LinkOf((Checkpoint Source, Checkpoint Target) link)
    {
        var t = _links[link];
        return new FinalityLink(t.Voters, t.Votes.ToList());
    }
}
