using Chainlab.Cli.Scenarios;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>
/// The finality invariants judge what a run saw, and can fail: a final height that went back, two blocks final at
/// one height, finality that moved while a split should have halted it, or never moved after the heal.
/// </summary>
public sealed class FinalityChecksTests
{
    private static Observations Run(Scenario? scenario = null)
    {
        var spec = Build.Spec(Build.Keys(1)) with
        {
            Consensus = Build.Authorities(Build.Keys(3)),
            Finality = new Chainlab.Core.Model.FinalitySpec { CheckpointInterval = 8, VoteDepth = 2 },
        };
        // No node answers at the end (none live): the checks judge the samples alone.
        return new Observations(scenario ?? new Scenario(), spec, new HashSet<int> { 1, 2 }, _ => throw new InvalidOperationException("no node is asked"), _ => false);
    }

    private static Task<Verdict> Check(string name, Observations o) => Checks.RunAsync(new Scenario.InvariantPart { Check = name }, o, default);

    private static void Sample(Observations o, double t, (ulong Head, ulong Final) n1, (ulong Head, ulong Final) n2) =>
        o.Samples.Add(new Sample(t, [new NodeSample(1, true, n1.Head, "h", 0, 0, [], n1.Final), new NodeSample(2, true, n2.Head, "h", 0, 0, [], n2.Final)]));

    [Fact]
    public async Task A_final_checkpoint_that_goes_back_breaks_final_never_reverts_and_two_blocks_final_at_one_height_break_no_conflicting_finality()
    {
        var o = Run();
        Assert.False((await Check("final-never-reverts", o)).Exercised);
        o.Finals.AddRange([new(1, 1, 8, "aa"), new(2, 2, 8, "aa"), new(3, 1, 16, "bb")]);
        Assert.True((await Check("final-never-reverts", o)).Holds);
        Assert.True((await Check("no-conflicting-finality", o)).Holds);

        o.Finals.AddRange([new(4, 1, 8, "aa"), new(5, 2, 16, "cc")]);
        var reverts = await Check("final-never-reverts", o);
        Assert.Equal("BROKEN", reverts.Outcome);
        Assert.Contains("node1's final checkpoint went back from 16 to 8", reverts.Evidence);
        var conflict = await Check("no-conflicting-finality", o);
        Assert.Equal("BROKEN", conflict.Outcome);
        Assert.Contains("at height 16: node1 bb", conflict.Evidence);
        Assert.Contains("node2 cc", conflict.Evidence);
    }

    [Fact]
    public async Task Finality_that_moves_more_than_a_checkpoint_during_a_split_breaks_finality_halts_and_none_after_the_heal_breaks_finality_resumes()
    {
        var o = Run();
        Assert.False((await Check("finality-halts", o)).Exercised);
        o.Note(10, "fault: partition 1 | 2");
        o.Note(20, "fault: heal");
        Sample(o, 9, (30, 16), (30, 16));
        Sample(o, 15, (40, 24), (38, 16)); // one link whose votes were out may finish
        Sample(o, 25, (50, 24), (50, 24));
        Assert.True((await Check("finality-halts", o)).Holds);
        var stuck = await Check("finality-resumes", o);
        Assert.Equal("BROKEN", stuck.Outcome);
        Assert.Contains("finality did not move", stuck.Evidence);

        Sample(o, 19, (45, 40), (45, 16));
        var moved = await Check("finality-halts", o);
        Assert.Equal("BROKEN", moved.Outcome);
        Assert.Contains("moved more than one interval (8)", moved.Evidence);
        Sample(o, 30, (60, 48), (60, 48));
        Assert.True((await Check("finality-resumes", o)).Holds);
    }
}
