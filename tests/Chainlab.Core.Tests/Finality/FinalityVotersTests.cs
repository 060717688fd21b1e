using Chainlab.Core.Consensus;
using Chainlab.Core.Finality;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Finality;

public sealed class FinalityVotersTests
{
    private static readonly KeyPair[] Keys = Build.Keys(3, seed: 3);

    private static (ChainSpec Spec, WorldState State) Genesis(ConsensusSpec consensus)
    {
        var spec = Build.Spec(Keys) with { Consensus = consensus };
        var state = new WorldState();
        ConsensusEngines.For(spec).InitGenesis(state);
        return (spec, state);
    }

    [Fact]
    public void Proof_of_stake_voters_are_the_epoch_snapshot_weighted_by_stake_with_a_checkpoint_every_epoch_length()
    {
        var (spec, state) = Genesis(new ConsensusSpec
        {
            Engine = "pos",
            EpochSlots = 8,
            Validators = [new(Convert.ToHexStringLower(Keys[0].PublicKey), 500), new(Convert.ToHexStringLower(Keys[1].PublicKey), 300)],
        });
        var voters = FinalityVoters.Of(spec, state)!;
        Assert.Equal(800UL, voters.Total);
        Assert.Equal(500UL, voters.WeightOf(Keys[0].PublicKey));
        Assert.Equal(300UL, voters.WeightOf(Keys[1].PublicKey));
        Assert.False(voters.Contains(Keys[2].PublicKey));
        Assert.Equal(8UL, FinalityVoters.CheckpointInterval(spec));

        // Stake bonded later is not in the snapshot, so it does not vote until the snapshot is retaken.
        var rec = StakeRecord.Read(state);
        rec.Validators.Add(new ValidatorEntry { Key = Keys[2].PublicKey, Active = 1_000 });
        state.Put(SystemAccounts.Validators, new Account(0, 0, 0, rec.Encode()));
        Assert.False(FinalityVoters.Of(spec, state)!.Contains(Keys[2].PublicKey));
        var next = rec.AdvanceTo(1);
        state.Put(SystemAccounts.Validators, new Account(0, 0, 0, next.Encode()));
        Assert.Equal(1_000UL, FinalityVoters.Of(spec, state)!.WeightOf(Keys[2].PublicKey));
    }

    [Fact]
    public void Proof_of_authority_voters_are_the_authorities_with_equal_weight()
    {
        var (spec, state) = Genesis(Build.Authorities(Keys));
        var voters = FinalityVoters.Of(spec, state)!;
        Assert.Equal(3UL, voters.Total);
        Assert.All(Keys, k => Assert.Equal(1UL, voters.WeightOf(k.PublicKey)));
        Assert.Equal(FinalityVoters.DefaultPoaInterval, FinalityVoters.CheckpointInterval(spec));
    }

    [Fact]
    public void Proof_of_work_has_no_voters_and_no_checkpoints()
    {
        var (spec, state) = Genesis(new ConsensusSpec { Engine = "pow" });
        Assert.Null(FinalityVoters.Of(spec, state));
        Assert.Null(FinalityVoters.CheckpointInterval(spec));
    }
}
