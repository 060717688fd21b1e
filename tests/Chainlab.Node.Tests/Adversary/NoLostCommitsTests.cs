using Chainlab.Cli.Scenarios;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>The no-lost-commits invariant's reading of the nodes' deepest reorganisation, on samples made here.</summary>
public sealed class NoLostCommitsTests
{
    private static Observations Run(params (double T, ulong Node1, ulong Node2)[] deepest)
    {
        var o = new Observations(new Scenario(), null!, new HashSet<int> { 1, 2 }, _ => throw new InvalidOperationException("no node is asked"), _ => false);
        foreach (var (t, a, b) in deepest)
            o.Samples.Add(new Sample(t, [new NodeSample(1, true, 10, "aa", 0, a, []), new NodeSample(2, true, 10, "aa", 0, b, [])]));
        o.DeepBlocks[(5, "aa")] = (1, 0.5); // a block held 2 deep, so that the check is exercised
        return o;
    }

    private static Task<Verdict> Check(Observations o) => Checks.RunAsync(new Scenario.InvariantPart { Check = "no-lost-commits", Depth = 2 }, o, default);

    [Fact]
    public async Task A_deep_reorganisation_from_before_the_run_began_is_the_network_forming_not_a_loss()
    {
        var v = await Check(Run((0, 3, 0), (0.5, 3, 0), (1, 3, 1)));
        Assert.True(v.Holds, v.Evidence);
    }

    [Fact]
    public async Task A_reorganisation_deeper_than_the_depth_during_the_run_is_a_loss()
    {
        var v = await Check(Run((0, 0, 0), (0.5, 1, 0), (1, 3, 0)));
        Assert.False(v.Holds);
        Assert.Contains("node1 reorganised 3 blocks deep", v.Evidence);
    }

    [Fact]
    public async Task A_run_that_reorganises_deeper_than_start_up_did_is_a_loss()
    {
        var v = await Check(Run((0, 3, 0), (0.5, 3, 4)));
        Assert.False(v.Holds);
        Assert.Contains("node2 reorganised 4 blocks deep", v.Evidence);
    }

    [Fact]
    public async Task A_node_that_restarts_begins_its_figure_again_and_a_deep_reorganisation_after_counts()
    {
        var v = await Check(Run((0, 1, 0), (0.5, 0, 0), (1, 3, 0))); // node1 restarted between the first two samples
        Assert.False(v.Holds);
        Assert.Contains("node1 reorganised 3 blocks deep", v.Evidence);
    }
}
