using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

public sealed class FinalityTrackerTests
{
    private static readonly KeyPair[] Keys = Build.Keys(6, seed: 26);

    [Fact]
    public void Genesis_is_justified_and_finalised_from_the_start_and_nothing_else_is()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 3);
        Assert.True(t.IsJustified(Genesis));
        Assert.True(t.IsFinalised(Genesis));
        Assert.Equal(Genesis, t.LastFinalised);
        Assert.False(t.IsJustified(t.Cp(1)));
        Assert.Null(t.ProofOfFinality(Genesis));
    }

    [Fact]
    public void Votes_weighing_exactly_two_thirds_do_not_justify_the_target()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 2);
        var o = t.VoteAll(Keys[..2], Genesis, t.Cp(1));
        Assert.Null(o.Justified);
        Assert.False(t.IsJustified(t.Cp(1)));
        Assert.Equal((2UL, 3UL), t.Participation(t.Cp(1)));

        // With weights, 200 of 300 is exactly two thirds too; one more unit of weight is enough.
        var w = Tracker(Voters(Keys[..3], 100, 100, 100), 4, 2);
        w.VoteAll(Keys[..2], Genesis, w.Cp(1));
        Assert.False(w.IsJustified(w.Cp(1)));
        var v = Tracker(Voters(Keys[..3], 101, 100, 99), 4, 2);
        v.VoteAll(Keys[..2], Genesis, v.Cp(1));
        Assert.True(v.IsJustified(v.Cp(1)));
    }

    [Fact]
    public void Votes_weighing_more_than_two_thirds_justify_the_target_at_the_vote_that_crosses_the_line()
    {
        var t = Tracker(Voters(Keys[..4]), 4, 2);
        Assert.Null(t.VoteAll(Keys[..2], Genesis, t.Cp(1)).Justified);
        var third = t.Include(Vote.Create(Keys[2], ChainId, Genesis, t.Cp(1)));
        Assert.Equal(t.Cp(1), third.Justified);
        Assert.Equal(t.Cp(1), t.LastJustified);
        // A vote after the line counts but justifies nothing new.
        var fourth = t.Include(Vote.Create(Keys[3], ChainId, Genesis, t.Cp(1)));
        Assert.True(fourth.Counted);
        Assert.Null(fourth.Justified);
        Assert.Equal((4UL, 4UL), t.Participation(t.Cp(1)));
    }

    [Fact]
    public void A_justified_checkpoint_is_finalised_when_a_supermajority_links_it_to_the_next_checkpoint()
    {
        var t = Tracker(Voters(Keys[..4]), 4, 3);
        Assert.Null(t.VoteAll(Keys[..3], Genesis, t.Cp(1)).Finalised); // genesis was final already: no news
        Assert.False(t.IsFinalised(t.Cp(1)));
        var o = t.VoteAll(Keys[..3], t.Cp(1), t.Cp(2));
        Assert.Equal(t.Cp(1), o.Finalised);
        Assert.Equal(t.Cp(2), o.Justified);
        Assert.True(t.IsFinalised(t.Cp(1)));
        Assert.False(t.IsFinalised(t.Cp(2)));
        Assert.Equal(t.Cp(1), t.LastFinalised);
        Assert.Equal(t.Cp(2), t.LastJustified);
    }

    [Fact]
    public void A_link_that_skips_a_checkpoint_justifies_its_target_but_finalises_nothing()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 3);
        var o = t.VoteAll(Keys[..3], Genesis, t.Cp(2));
        Assert.Equal(t.Cp(2), o.Justified);
        Assert.Null(o.Finalised);
        Assert.Equal(Genesis, t.LastFinalised);
        Assert.False(t.IsJustified(t.Cp(1)));
    }

    [Fact]
    public void A_vote_whose_source_is_not_justified_on_this_branch_is_refused()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 3);
        var o = t.Include(Vote.Create(Keys[0], ChainId, t.Cp(1), t.Cp(2)));
        Assert.Equal(VoteRefusal.SourceNotJustified, o.Refusal);
        Assert.Equal((0UL, 3UL), t.Participation(t.Cp(2)));
        var elsewhere = t.Include(Vote.Create(Keys[0], ChainId, At("other", 4), t.Cp(2)));
        Assert.Equal(VoteRefusal.SourceNotJustified, elsewhere.Refusal);
    }

    [Fact]
    public void A_vote_whose_source_lies_below_the_last_finalised_checkpoint_is_refused()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 4);
        t.VoteAll(Keys[..3], Genesis, t.Cp(1));
        t.VoteAll(Keys[..3], t.Cp(1), t.Cp(2));
        Assert.Equal(t.Cp(1), t.LastFinalised);
        var o = t.Include(Vote.Create(Keys[0], ChainId, Genesis, t.Cp(3)));
        Assert.Equal(VoteRefusal.SourceNotJustified, o.Refusal);
        Assert.Contains("below the last finalised", o.Reason);
        Assert.True(t.Include(Vote.Create(Keys[0], ChainId, t.Cp(1), t.Cp(3))).Counted);
    }

    [Fact]
    public void Votes_from_keys_outside_the_target_voter_set_are_ignored_and_weigh_nothing()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 2);
        foreach (var outsider in Keys[3..])
            Assert.Equal(VoteRefusal.UnknownVoter, t.Include(Vote.Create(outsider, ChainId, Genesis, t.Cp(1))).Refusal);
        t.Include(Vote.Create(Keys[0], ChainId, Genesis, t.Cp(1)));
        Assert.False(t.IsJustified(t.Cp(1)));
        Assert.Equal((1UL, 3UL), t.Participation(t.Cp(1)));
    }

    [Fact]
    public void Each_checkpoint_weighs_its_votes_with_its_own_voter_set()
    {
        var t = new FinalityTracker(ChainId, 4, Genesis, Voters(Keys[..3]));
        t.AddCheckpoint(At("main", 4), Voters(Keys[3..6], 1, 1, 10));
        foreach (var k in Keys[..3]) // the genesis voters are not the voters of checkpoint 1
            Assert.Equal(VoteRefusal.UnknownVoter, t.Include(Vote.Create(k, ChainId, Genesis, t.Cp(1))).Refusal);
        Assert.False(t.IsJustified(t.Cp(1)));
        Assert.Equal((0UL, 12UL), t.Participation(t.Cp(1)));
        Assert.Equal(t.Cp(1), t.Include(Vote.Create(Keys[5], ChainId, Genesis, t.Cp(1))).Justified);
    }

    [Fact]
    public void A_vote_counted_once_is_refused_as_a_duplicate_the_second_time()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 2);
        var v = Vote.Create(Keys[0], ChainId, Genesis, t.Cp(1));
        Assert.True(t.Include(v).Counted);
        Assert.Equal(VoteRefusal.Duplicate, t.Include(Vote.Decode(v.Raw)).Refusal);
        Assert.Equal((1UL, 3UL), t.Participation(t.Cp(1)));
    }

    [Fact]
    public void Votes_for_another_chain_another_branch_or_an_unreached_height_are_refused()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 2);
        Assert.Equal(VoteRefusal.WrongChain, t.Include(Vote.Create(Keys[0], "other-chain", Genesis, t.Cp(1))).Refusal);
        Assert.Equal(VoteRefusal.UnknownTarget, t.Include(Vote.Create(Keys[0], ChainId, Genesis, At("other", 4))).Refusal);
        Assert.Equal(VoteRefusal.UnknownTarget, t.Include(Vote.Create(Keys[0], ChainId, Genesis, At("main", 12))).Refusal);
        Assert.Equal(VoteRefusal.UnknownTarget, t.Include(Vote.Create(Keys[0], ChainId, Genesis, At("main", 5))).Refusal);
    }

    [Fact]
    public void A_vote_with_a_bad_signature_is_refused_unless_the_caller_checked_the_batch_already()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 2);
        var good = Vote.Create(Keys[0], ChainId, Genesis, t.Cp(1));
        var sig = (byte[])good.Signature.Clone();
        sig[0] ^= 1;
        var forged = Vote.Assemble(ChainId, Genesis, t.Cp(1), Keys[0].PublicKey, sig);
        Assert.Equal(VoteRefusal.BadSignature, t.Include(forged).Refusal);
        Assert.True(t.Include(good, signatureChecked: true).Counted);
    }

    [Fact]
    public void A_double_or_surround_vote_is_refused_and_names_the_voters_earlier_vote()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 4);
        t.VoteAll(Keys[..3], Genesis, t.Cp(1));
        var first = Vote.Create(Keys[0], ChainId, t.Cp(1), t.Cp(2));
        Assert.True(t.Include(first).Counted);
        var twin = t.Include(Vote.Create(Keys[0], ChainId, Genesis, t.Cp(2)));
        Assert.Equal(VoteRefusal.Slashable, twin.Refusal);
        Assert.Same(first, twin.Conflicting);
        t.VoteAll(Keys[1..3], t.Cp(1), t.Cp(2));
        var inner = Vote.Create(Keys[1], ChainId, t.Cp(2), t.Cp(3));
        Assert.True(t.Include(inner).Counted);
        var outer = t.Include(Vote.Create(Keys[1], ChainId, t.Cp(1), t.Cp(4)));
        Assert.Equal(VoteRefusal.Slashable, outer.Refusal);
        Assert.Equal(Offence.SurroundVote, SlashingConditions.Find(outer.Conflicting!, Vote.Create(Keys[1], ChainId, t.Cp(1), t.Cp(4))));
    }

    [Fact]
    public void Checkpoints_are_added_only_at_the_next_multiple_of_the_interval()
    {
        var t = Tracker(Voters(Keys[..3]), 4, 1);
        Assert.Throws<ArgumentException>(() => t.AddCheckpoint(At("main", 12), Voters(Keys[..3])));
        Assert.Throws<ArgumentException>(() => t.AddCheckpoint(At("main", 9), Voters(Keys[..3])));
        t.AddCheckpoint(At("main", 8), Voters(Keys[..3]));
        Assert.Equal(3, t.Checkpoints.Count());
    }
}
