using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

public sealed class FinalityProofTests
{
    private const ulong Interval = 4;
    private static readonly KeyPair[] Keys = Build.Keys(4, seed: 5);

    /// <summary>Checkpoints 1, 2 and 3 justified in turn by three of four voters of weights 1, 2, 3, 4 (total 10, line 7): 1 and 2 final.</summary>
    private static FinalityTracker Finalised()
    {
        var t = Tracker(Voters(Keys, 1, 2, 3, 4), Interval, 4);
        t.VoteAll(Keys[1..], Genesis, t.Cp(1));
        t.VoteAll(Keys[1..], t.Cp(1), t.Cp(2));
        t.VoteAll(Keys[1..], t.Cp(2), t.Cp(3));
        Assert.Equal(t.Cp(2), t.LastFinalised);
        return t;
    }

    [Fact]
    public void A_proof_from_the_tracker_verifies_offline_and_survives_its_encoding()
    {
        var t = Finalised();
        var proof = t.ProofOfFinality(t.Cp(2))!;
        Assert.Equal(t.Cp(2), proof.Finalised);
        Assert.Equal(3, proof.Links.Count);
        Assert.Null(proof.Verify(ChainId, Interval, Genesis));
        var back = FinalityProof.Decode(proof.Encode());
        Assert.Equal(proof.Encode(), back.Encode());
        Assert.Null(back.Verify(ChainId, Interval, Genesis));
        Assert.Null(t.ProofOfFinality(t.Cp(3)));
    }

    [Fact]
    public void A_proof_can_start_from_a_checkpoint_the_verifier_already_knows_is_final()
    {
        var t = Finalised();
        var proof = t.ProofOfFinality(t.Cp(2), anchor: t.Cp(1))!;
        Assert.Equal(2, proof.Links.Count);
        Assert.Null(proof.Verify(ChainId, Interval, t.Cp(1)));
        Assert.NotNull(proof.Verify(ChainId, Interval, Genesis));
        Assert.Null(t.ProofOfFinality(t.Cp(2), anchor: At("elsewhere", 4)));
    }

    public static TheoryData<string> Tampers => new(Tampering.Keys);

    private static readonly Dictionary<string, Func<FinalityProof, FinalityProof>> Tampering = new()
    {
        ["the heaviest vote dropped, leaving less than two thirds"] = p => With(p, 1, l => l with { Votes = l.Votes.Where(v => !v.VoterKey.AsSpan().SequenceEqual(Keys[3].PublicKey)).ToList() }),
        ["the weight of the voter who did not vote raised in the voter set"] = p => With(p, 0, l => l with { Voters = Voters(Keys, 10, 2, 3, 4) }),
        ["a vote's signature changed"] = p => With(p, 2, l => l with { Votes = l.Votes.Select((v, i) => i == 0 ? Resigned(v) : v).ToList() }),
        ["a vote counted twice"] = p => With(p, 0, l => l with { Votes = [.. l.Votes.Take(2), l.Votes[1]] }),
        ["a vote from outside the voter set"] = p => With(p, 0, l => l with { Voters = VoterSet.Create(l.Voters.Voters.Where(v => !v.Key.AsSpan().SequenceEqual(Keys[1].PublicKey)).Append((Build.Keys(1, seed: 99)[0].PublicKey, 2UL))) }),
        ["the links out of order"] = p => p with { Links = [p.Links[1], p.Links[0], p.Links[2]] },
        ["the justifying link left out"] = p => p with { Links = [p.Links[0], p.Links[2]] },
        ["the finalising link left out"] = p => p with { Links = [p.Links[0], p.Links[1]] },
        ["another chain id"] = p => p with { ChainId = "other-chain" },
        ["another interval"] = p => p with { Interval = 2 },
        ["another anchor"] = p => p with { Anchor = At("elsewhere", 0) },
        ["a vote for another link slipped in"] = p => With(p, 1, l => l with { Votes = [.. l.Votes.Take(2), Vote.Create(Keys[3], ChainId, Genesis, l.Target)] }),
    };

    private static FinalityProof With(FinalityProof p, int index, Func<FinalityLink, FinalityLink> change) =>
        p with { Links = p.Links.Select((l, i) => i == index ? change(l) : l).ToList() };

    private static Vote Resigned(Vote v)
    {
        var sig = (byte[])v.Signature.Clone();
        sig[10] ^= 0x08;
        return Vote.Assemble(v.ChainId, v.Source, v.Target, v.VoterKey, sig);
    }

    [Theory]
    [MemberData(nameof(Tampers))]
    public void A_tampered_proof_is_refused(string tamper)
    {
        var proof = Finalised().ProofOfFinality(At("main", 8))!;
        Assert.Null(proof.Verify(ChainId, Interval, Genesis));
        var tampered = Tampering[tamper](proof);
        // Refused, or at least no longer a proof for checkpoint 2 (dropping the last link leaves a true proof for checkpoint 1).
        Assert.True(tampered.Verify(ChainId, Interval, Genesis) is not null || tampered.Finalised != proof.Finalised);
    }

    [Fact]
    public void A_proof_whose_last_link_skips_a_checkpoint_proves_nothing()
    {
        var t = Tracker(Voters(Keys, 1, 2, 3, 4), Interval, 4);
        t.VoteAll(Keys[1..], Genesis, t.Cp(1));
        t.VoteAll(Keys[1..], t.Cp(1), t.Cp(3));
        var justifying = t.ProofOfFinality(Genesis);
        Assert.Null(justifying);
        var skipping = new FinalityProof(ChainId, Interval, Genesis,
        [
            new FinalityLink(t.VotersOf(t.Cp(1))!, Keys[1..].Select(k => Vote.Create(k, ChainId, Genesis, t.Cp(1))).ToList()),
            new FinalityLink(t.VotersOf(t.Cp(3))!, Keys[1..].Select(k => Vote.Create(k, ChainId, t.Cp(1), t.Cp(3))).ToList()),
        ]);
        Assert.Contains("next checkpoint", skipping.Verify(ChainId, Interval, Genesis));
    }

    [Fact]
    public void Proof_decoding_refuses_truncated_trailing_and_empty_proofs()
    {
        var raw = Finalised().ProofOfFinality(At("main", 8))!.Encode();
        for (var cut = 0; cut < raw.Length; cut += 13)
            Assert.Throws<DecodeException>(() => FinalityProof.Decode(raw.AsSpan(0, cut)));
        Assert.Throws<DecodeException>(() => FinalityProof.Decode([.. raw, 0]));
        var w = new CanonicalWriter();
        w.U8(1); w.Text(ChainId); w.U64(Interval); Genesis.Write(w); w.U32(0);
        Assert.Throws<DecodeException>(() => FinalityProof.Decode(w.ToArray()));
    }
}
