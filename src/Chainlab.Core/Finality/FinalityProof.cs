using Chainlab.Core.Encoding;

namespace Chainlab.Core.Finality;

/// <summary>The votes of one link (all with the same source and target) and the voter set of the link's target.</summary>
public sealed record FinalityLink(VoterSet Voters, IReadOnlyList<Vote> Votes)
{
    public Checkpoint Source => Votes[0].Source;
    public Checkpoint Target => Votes[0].Target;
}

/// <summary>
/// A proof that a checkpoint is final, checkable offline: starting from an anchor the verifier trusts (genesis, or a
/// checkpoint it already knows to be final), each link's source is the anchor or an earlier link's target, and its
/// votes weigh more than two thirds of its voter set; the last link goes from the proved checkpoint to the very next
/// checkpoint. Canonical layout: version u8 (= 1) | chainId text | interval u64 | anchor height u64 | anchor hash [32] |
/// link count u32 | per link: voter set | vote count u32 | each vote as bytes.
/// </summary>
public sealed record FinalityProof(string ChainId, ulong Interval, Checkpoint Anchor, IReadOnlyList<FinalityLink> Links)
{
    public const byte CurrentVersion = 1;
    public const int MaxLinks = 10_000;
    public const int MaxEncodedSize = 64 * 1024 * 1024;

    /// <summary>The checkpoint the proof is for: the source of its last link.</summary>
    public Checkpoint Finalised => Links[^1].Source;

    /// <summary>
    /// Null when the proof holds for this chain id, interval and trusted anchor, else why not. Checks every vote's
    /// signature. The voter sets are the proof's word: a verifier that knows them otherwise compares them too.
    /// </summary>
    public string? Verify(string chainId, ulong interval, Checkpoint trustedAnchor)
    {
        if (ChainId != chainId) return $"the proof is for chain '{ChainId}', not '{chainId}'";
        if (Interval != interval || interval == 0) return $"the proof uses the checkpoint interval {Interval}, not {interval}";
        if (Anchor != trustedAnchor) return $"the proof starts from {Anchor}, not from the trusted {trustedAnchor}";
        if (Anchor.Height % interval != 0) return "the anchor is not at a checkpoint height";
        if (Links.Count == 0) return "the proof has no links";
        var justified = new Dictionary<ulong, Checkpoint> { [Anchor.Height] = Anchor };
        for (var i = 0; i < Links.Count; i++)
        {
            var link = Links[i];
            if (link.Votes.Count == 0) return $"link {i} has no votes";
            var (source, target) = (link.Source, link.Target);
            if (target.Height % interval != 0) return $"link {i}: the target {target} is not at a checkpoint height";
            if (!justified.TryGetValue(source.Height, out var j) || j != source) return $"link {i}: the source {source} is not justified by the links before it";
            var seen = new HashSet<string>();
            ulong weight = 0;
            foreach (var v in link.Votes)
            {
                if (v.Source != source || v.Target != target) return $"link {i}: a vote is for another link ({v.Source} -> {v.Target})";
                if (v.ChainId != chainId) return $"link {i}: a vote is for chain '{v.ChainId}'";
                if (!seen.Add(Convert.ToHexString(v.VoterKey))) return $"link {i}: a voter votes twice";
                var w = link.Voters.WeightOf(v.VoterKey);
                if (w == 0) return $"link {i}: a vote comes from a key outside the voter set";
                if (!v.VerifySignature()) return $"link {i}: a vote's signature is not valid";
                weight += w;
            }
            if (!link.Voters.IsSupermajority(weight))
                return $"link {i}: the votes weigh {weight} of {link.Voters.Total}, not more than two thirds";
            if (justified.TryGetValue(target.Height, out var other) && other != target)
                return $"link {i}: two checkpoints at height {target.Height} are justified";
            justified[target.Height] = target;
        }
        var last = Links[^1];
        if (last.Target.Height != last.Source.Height + interval) return "the last link does not go to the next checkpoint";
        return null;
    }

    public byte[] Encode()
    {
        var w = new CanonicalWriter(1024);
        w.U8(CurrentVersion);
        w.Text(ChainId);
        w.U64(Interval);
        Anchor.Write(w);
        w.U32((uint)Links.Count);
        foreach (var link in Links)
        {
            link.Voters.Write(w);
            w.U32((uint)link.Votes.Count);
            foreach (var v in link.Votes) w.Bytes(v.Raw);
        }
        return w.ToArray();
    }

    /// <summary>Strict decode of the layout; says nothing about whether the proof holds (that is <see cref="Verify"/>).</summary>
    public static FinalityProof Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxEncodedSize) throw new DecodeException("finality proof is larger than the limit");
        var r = new CanonicalReader(data);
        var version = r.U8("version");
        if (version != CurrentVersion) throw new DecodeException($"unknown finality proof version {version}");
        var chainId = r.Text(Model.Limits.MaxChainIdBytes, "chain id");
        var interval = r.U64("interval");
        var anchor = Checkpoint.Read(ref r, "anchor");
        var n = r.Count(MaxLinks, 4 + 40 + 4, "links");
        if (n == 0) throw new DecodeException("a finality proof has at least one link");
        var links = new List<FinalityLink>(n);
        for (var i = 0; i < n; i++)
        {
            var voters = VoterSet.Read(ref r);
            var m = r.Count(voters.Count, 4 + Vote.MinEncodedSize, "votes");
            if (m == 0) throw new DecodeException("a link has at least one vote");
            var votes = new List<Vote>(m);
            for (var k = 0; k < m; k++) votes.Add(Vote.Decode(r.Bytes(Vote.MaxEncodedSize, "vote")));
            links.Add(new FinalityLink(voters, votes));
        }
        r.EnsureEnd("finality proof");
        return new FinalityProof(chainId, interval, anchor, links);
    }
}
