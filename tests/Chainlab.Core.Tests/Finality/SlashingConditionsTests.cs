using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

public sealed class SlashingConditionsTests
{
    private static readonly KeyPair[] Keys = Build.Keys(2, seed: 7);

    private static Vote V(ulong source, ulong target, string branch = "main", int key = 0, string chain = ChainId) =>
        Vote.Create(Keys[key], chain, source == 0 ? Genesis : At("main", source), At(branch, target));

    [Fact]
    public void Two_different_votes_for_one_target_height_are_a_double_vote()
    {
        Assert.Equal(Offence.DoubleVote, SlashingConditions.Find(V(0, 8), V(0, 8, "other")));
        Assert.Equal(Offence.DoubleVote, SlashingConditions.Find(V(0, 8), V(4, 8)));
        Assert.Equal(Offence.DoubleVote, SlashingConditions.Find(V(4, 8, "other"), V(0, 8)));
    }

    [Fact]
    public void A_vote_that_strictly_surrounds_another_is_a_surround_vote_whichever_comes_first()
    {
        Assert.Equal(Offence.SurroundVote, SlashingConditions.Find(V(0, 12), V(4, 8)));
        Assert.Equal(Offence.SurroundVote, SlashingConditions.Find(V(4, 8, "other"), V(0, 12)));
        Assert.True(SlashingConditions.Surrounds(V(0, 12), V(4, 8)));
        Assert.False(SlashingConditions.Surrounds(V(4, 8), V(0, 12)));
    }

    [Fact]
    public void Consecutive_overlapping_shared_source_and_repeated_votes_do_not_conflict()
    {
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 4), V(4, 8)));   // one after the other
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 8), V(4, 12)));  // overlapping, not nested
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 12), V(0, 8)));  // same source: not strictly surrounding
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 8), V(0, 8)));   // the same vote twice
    }

    [Fact]
    public void Votes_of_two_voters_or_two_chains_never_conflict()
    {
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 8), V(0, 8, "other", key: 1)));
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 12), V(4, 8, key: 1)));
        Assert.Equal(Offence.None, SlashingConditions.Find(V(0, 8), V(0, 8, "other", chain: "other-chain")));
    }

    [Fact]
    public void Evidence_round_trips_and_holds_only_for_one_voter_on_one_chain_with_valid_signatures()
    {
        var e = new VoteEvidence(V(0, 8), V(0, 8, "other"));
        var back = VoteEvidence.Decode(e.Encode());
        Assert.Equal(e.Encode(), back.Encode());
        Assert.Equal(Offence.DoubleVote, back.Check(ChainId, out var error));
        Assert.Null(error);
        Assert.Equal(Offence.SurroundVote, new VoteEvidence(V(0, 12), V(4, 8)).Check(ChainId, out _));

        Assert.Equal(Offence.None, e.Check("other-chain", out error));
        Assert.Contains("not for chain", error);
        Assert.Equal(Offence.None, new VoteEvidence(V(0, 8), V(0, 8, "other", key: 1)).Check(ChainId, out error));
        Assert.Contains("different voters", error);
        Assert.Equal(Offence.None, new VoteEvidence(V(0, 4), V(4, 8)).Check(ChainId, out error));
        Assert.Contains("neither", error);
        Assert.Equal(Offence.None, new VoteEvidence(V(0, 8), V(0, 8)).Check(ChainId, out error));
        Assert.Contains("same thing", error);

        var second = V(0, 8, "other");
        var sig = (byte[])second.Signature.Clone();
        sig[5] ^= 0x40;
        var forged = Vote.Assemble(ChainId, second.Source, second.Target, second.VoterKey, sig);
        Assert.Equal(Offence.None, new VoteEvidence(V(0, 8), forged).Check(ChainId, out error));
        Assert.Contains("second vote's signature", error);
    }

    [Fact]
    public void Evidence_decoding_refuses_truncated_and_trailing_bytes()
    {
        var raw = new VoteEvidence(V(0, 8), V(0, 8, "other")).Encode();
        for (var cut = 0; cut < raw.Length; cut += 7)
            Assert.Throws<DecodeException>(() => VoteEvidence.Decode(raw.AsSpan(0, cut)));
        Assert.Throws<DecodeException>(() => VoteEvidence.Decode([.. raw, 0]));
    }
}
