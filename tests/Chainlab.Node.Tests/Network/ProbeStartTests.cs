using Chainlab.Node.Chain;
using Chainlab.Node.Network.Sync;

namespace Chainlab.Node.Tests.Network;

public sealed class ProbeStartTests
{
    [Fact]
    public void Without_finality_a_probe_walks_back_by_the_distance_asked_down_to_height_1()
    {
        Assert.Equal(92ul, BlockSync.ProbeStart(100, 8, null));
        Assert.Equal(36ul, BlockSync.ProbeStart(100, 64, null));
        Assert.Equal(1ul, BlockSync.ProbeStart(100, 128, null));
    }

    [Fact]
    public void A_branch_whose_first_block_does_not_join_ours_is_given_up_and_so_is_a_fork_deeper_than_the_reorganisation_limit()
    {
        Assert.Null(BlockSync.ProbeStart(1, 8, null));
        Assert.Null(BlockSync.ProbeStart(5_000, 2 * (ulong)Blockchain.MaxReorgDepth + 1, null));
        Assert.Equal(5_000ul - 2 * (ulong)Blockchain.MaxReorgDepth, BlockSync.ProbeStart(5_000, 2 * (ulong)Blockchain.MaxReorgDepth, null));
    }

    [Fact]
    public void With_a_final_checkpoint_a_probe_never_looks_at_or_below_it_and_a_branch_that_does_not_join_just_above_it_is_given_up()
    {
        // Final at 40: a branch orphaned at 100 is looked for from 92, then no further back than 41.
        Assert.Equal(92ul, BlockSync.ProbeStart(100, 8, 40));
        Assert.Equal(41ul, BlockSync.ProbeStart(100, 64, 40));
        Assert.Equal(41ul, BlockSync.ProbeStart(45, 8, 40));
        // Its block at 41 does not join our final block at 40: it forks below finality and can never win.
        Assert.Null(BlockSync.ProbeStart(41, 16, 40));
        Assert.Null(BlockSync.ProbeStart(30, 8, 40));
    }
}
