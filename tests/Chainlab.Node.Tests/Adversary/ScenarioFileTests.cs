using Chainlab.Cli;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>Scenario files: the library reads cleanly, and each kind of mistake is one clear error naming the field.</summary>
public sealed class ScenarioFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-scenario-file-").FullName;

    public void Dispose() => TempDir.Delete(_dir);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Every_scenario_of_the_library_reads_and_names_at_least_one_invariant()
    {
        var files = Directory.GetFiles(RepoFiles.Path("scenarios"), "*.yaml");
        Assert.True(files.Length >= 10, $"only {files.Length} scenarios");
        foreach (var f in files)
        {
            var s = Scenario.Read(f);
            Assert.Equal(Path.GetFileNameWithoutExtension(f), s.Name);
            Assert.NotEmpty(s.Invariants);
            Assert.NotEmpty(s.About);
            // Every check of the library must find something to test (one that finds nothing fails the run),
            // unless the scenario says why chance may leave it nothing.
            Assert.All(s.Invariants, i => Assert.True(i.MustExercise || s.About.Contains("not exercised"), $"{s.Name}: {i.Check} may go unexercised"));
        }
    }

    [Fact]
    public void A_check_that_found_nothing_to_test_fails_the_run_only_when_the_scenario_requires_it()
    {
        var idle = Verdict.NotExercised("no-lost-commits", "no honest node ever had a block 2 deep");
        Assert.Equal("not exercised", idle.Outcome);
        Assert.False(idle.Holds);
        Assert.True(idle.Passes);
        Assert.False((idle with { Required = true }).Passes);
        Assert.True(new Verdict("identical-below", true, "same block").Passes);
        Assert.False(new Verdict("identical-below", false, "two blocks", Required: false).Passes);
        Assert.Equal("BROKEN", new Verdict("identical-below", false, "two blocks").Outcome);
    }

    [Theory]
    [InlineData("network:\n  nodes: 4\nmalicious:\n  - node: 9\n    behaviours: [invalid-tx]\n", "malicious: no node 9")]
    [InlineData("invariants:\n  - check: everything-fine\n", "unknown invariant 'everything-fine'")]
    [InlineData("network:\n  nodez: 4\n", "line 3, column 3: unknown field 'nodez'")]
    [InlineData("faults:\n  - at: 5s\n    action: partition\n    groups: [[1, 2]]\n", "at least two groups")]
    [InlineData("faults:\n  - at: 90s\n    action: heal\n", "after the end")]
    [InlineData("malicious:\n  - node: 2\n    behaviours: [teleport]\n", "unknown misbehaviour 'teleport'")]
    [InlineData("testOnly:\n  disableDefence: [gravity]\n", "unknown defence 'gravity'")]
    [InlineData("network:\n  consensus: pbft\n", "network.consensus")]
    [InlineData("faults: [", "line")]
    [InlineData("network:\n  nodes: 4\n  authorities: 5\n", "network.authorities must be 1..4")]
    [InlineData("network:\n  consensus: pos\n  authorities: 2\n", "network.authorities is for consensus poa")]
    public void A_mistake_in_a_scenario_file_is_one_error_naming_it(string yaml, string expected)
    {
        var e = Assert.Throws<CliException>(() => Scenario.Read(Write("name: bad\n" + yaml)));
        Assert.Contains(expected, e.Message);
    }
}
