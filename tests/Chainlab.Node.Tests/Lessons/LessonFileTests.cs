using Chainlab.Cli.Lessons;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Node.Tests.Lessons;

/// <summary>Lesson files: the library reads cleanly, prose and blocks land in the right places, and each mistake is an error at its line.</summary>
public sealed class LessonFileTests
{
    private const string Front = "---\ntitle: T\nengine: poa\nnodes: 4\n---\n";

    /// <summary>A lesson of the front matter above and this body (whose first line is line 6).</summary>
    private static Lesson Parse(string body, string name = "sample") => Lesson.Parse(Front + body, $"/lessons/{name}.md");

    private static LessonFileException Bad(string text, string name = "sample") =>
        Assert.Throws<LessonFileException>(() => Lesson.Parse(text, $"/lessons/{name}.md"));

    [Fact]
    public void Every_lesson_of_the_library_reads_checks_something_and_suggests_lessons_that_exist()
    {
        var files = Directory.GetFiles(RepoFiles.Path("lessons"), "*.md");
        Assert.True(files.Length >= 5, $"only {files.Length} lessons");
        var names = files.Select(Path.GetFileNameWithoutExtension).ToHashSet();
        foreach (var f in files)
        {
            var l = Lesson.Read(f);
            Assert.NotEmpty(l.Title);
            Assert.NotEmpty(l.Front.About);
            Assert.NotEmpty(l.Front.Duration);
            Assert.Contains(l.Steps, s => s.Checks.Count > 0);
            Assert.All(l.Front.Next, n => Assert.True(names.Contains(n), $"{l.Name}: next names '{n}', which is not a lesson"));
        }
    }

    [Fact]
    public void Prose_goes_to_the_intro_to_a_steps_narration_before_its_block_and_to_its_afterword_after_it()
    {
        var l = Parse("# Title from the heading\n\nIntro text.\n\n## First\nBefore.\n```sh\nchainlab node status\n```\n```yaml\nactions:\n  - action: partition\n    groups: [[1, 2], [3, 4]]\nchecks:\n  - check: heads-differ\n    groups: [[1, 2], [3, 4]]\n    say: two heads\n```\nAfter.\n## Second\nOnly words.\n");
        Assert.Equal("T", l.Title); // the front matter's title wins over the heading
        Assert.Equal("Intro text.", l.Intro);
        Assert.Equal(["First", "Second"], l.Steps.Select(s => s.Title));
        Assert.Equal("Before.\n```sh\nchainlab node status\n```", l.Steps[0].Narration);
        Assert.Equal("After.", l.Steps[0].Afterword);
        var a = Assert.Single(l.Steps[0].Actions);
        Assert.Equal(("partition", 17), (a.Action, a.Line));
        Assert.Equal("partition 1,2 | 3,4", Scenario.Command(a.ToFault()).ToString());
        var c = Assert.Single(l.Steps[0].Checks);
        Assert.Equal(("heads-differ", "two heads", 20), (c.Check, c.Say, c.Line));
        Assert.Empty(l.Steps[1].Actions);
        Assert.Equal("Only words.", l.Steps[1].Narration);
    }

    [Fact]
    public void A_lesson_runs_on_the_scenario_network_its_front_matter_describes_with_its_malicious_nodes()
    {
        var l = Lesson.Parse("---\ntitle: T\nengine: pos\nnodes: 3\nblockTime: 500ms\nmalicious:\n  - node: 3\n    behaviours: [double-sign]\n---\n## S\n```yaml\nchecks:\n  - check: equivocation-slashed\n```\n", "/x/t.md");
        var s = l.ToScenario();
        Assert.Equal(("t", 3, "pos", 500UL), (s.Name, s.Network.Nodes, s.Network.Consensus, s.BlockTimeMs));
        Assert.Equal(3, Assert.Single(s.Malicious).Node);
        Assert.Equal(0, s.Load.Rate);
        var invariant = Assert.Single(l.Steps[0].Checks).ToInvariant();
        Assert.Equal("equivocation-slashed", invariant.Check);
        Assert.True(invariant.MustExercise); // a lesson check that found nothing to test has not passed
    }

    [Fact]
    public void A_misbehave_action_restarts_its_nodes_with_its_behaviours_as_a_scenario_fault_does()
    {
        var l = Parse("## S\n```yaml\nactions:\n  - action: misbehave\n    nodes: [4]\n    behaviours: [double-sign]\nchecks:\n  - check: one-head\n```\n");
        var command = Scenario.Command(Assert.Single(l.Steps[0].Actions).ToFault());
        Assert.Equal(["double-sign"], command.Misbehave!);
        Assert.Equal("restart node 4 misbehaving: double-sign", command.ToString());
        Assert.Equal("restart node 4 honest", Scenario.Command(new Scenario.FaultPart { Action = "misbehave", Nodes = [4] }).ToString());
    }

    [Theory]
    [InlineData("## S\n```yaml\nactions:\n  - action: teleport\n```\n", 9, "unknown action 'teleport'")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: one-head\n  - check: all-is-well\n```\n", 10, "unknown check 'all-is-well'")]
    [InlineData("## S\n```yaml\nactions:\n  - action: partition\n    groups: [[1, 2]]\n```\n", 9, "at least two groups")]
    [InlineData("## S\n```yaml\nactions:\n  - action: kill\n    nodes: [9]\n```\n", 9, "no node 9")]
    [InlineData("## S\n```yaml\nactions:\n  - action: misbehave\n    nodes: [2]\n    behaviours: [gravity]\n```\n", 9, "unknown misbehaviour 'gravity'")]
    [InlineData("## S\n```yaml\nactions:\n  - action: send\n    from: dev1\n    to: dev7\n    amount: 5\n```\n", 9, "'dev7': the devnet's dev accounts are dev1..dev4")]
    [InlineData("## S\n```yaml\nactions:\n  - action: send\n    from: node2\n    to: dev1\n    amount: 5\n```\n", 9, "node2 has no producer key")]
    [InlineData("## S\n```yaml\nactions:\n  - action: wait\n    for: soon\n```\n", 9, "'soon' is not a duration")]
    [InlineData("## S\n```yaml\nactions:\n  - action: send\n    from: merchant\n    to: dev1\n    amount: 5\n```\n", 9, "merchant has no key: it only receives")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: tx-included\n    tx: payment\n```\n", 9, "no send action before it names a transaction 'payment'")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: heads-differ\n    groups: [[1, 2]]\n```\n", 9, "needs groups")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: balance\n    account: dev1\n```\n", 9, "needs atLeast or below")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: slashed\n    node: 2\n```\n", 9, "only proof of stake slashes")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: finality\n```\n", 9, "the lesson's chain does not finalise: set finality: true")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: peers\n    nodes: [1]\n```\n", 9, "needs atLeast or below (a number of links)")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: producers\n    blocks: 0\n```\n", 9, "blocks must be 1..100")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: producers\n    without: [6]\n```\n", 9, "without: no node 6")]
    [InlineData("## S\n```yaml\nactions:\n  - action: deploy\n    from: dev1\n    name: c\n```\n", 9, "needs source")]
    [InlineData("## S\n```yaml\nactions:\n  - action: deploy\n    from: dev1\n    name: c\n    source: x\n    gas: 0\n```\n", 9, "gas must be 1..10,000,000")]
    [InlineData("## S\n```yaml\nactions:\n  - action: invoke\n    from: dev1\n    contract: nowhere\n    function: f\n```\n", 9, "no deploy action before it names a contract 'nowhere'")]
    [InlineData("## S\n```yaml\nactions:\n  - action: add-file\n    name: f\n```\n", 9, "needs text")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: receipt\n    tx: ghost\n```\n", 9, "the name a send or invoke action before it gave its transaction")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: call\n    contract: c\n    function: get\n    equals: 1\n```\n", 9, "no deploy action before it names a contract 'c'")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: file-found\n    file: f\n```\n", 9, "the name an add-file action before it gave the file")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: one-head\n    nodez: [1]\n```\n", 10, "unknown field 'nodez'")]
    [InlineData("## S\n```yaml\nchecks: [\n```\n", 9, "")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: one-head\n```\n```yaml\nchecks:\n  - check: one-head\n```\n", 11, "one block a step")]
    [InlineData("## S\n```yaml\nchecks:\n  - check: one-head\n", 7, "never closed")]
    [InlineData("Intro.\n```yaml\nchecks:\n  - check: one-head\n```\n", 7, "belongs to a step")]
    [InlineData("## S\nNothing to check.\n", 1, "the lesson checks nothing")]
    public void A_mistake_in_a_lesson_is_an_error_at_its_line(string body, int line, string expected)
    {
        var e = Bad(Front + body);
        var error = Assert.Single(e.Errors);
        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Message);
        Assert.StartsWith($"/lessons/sample.md:{line}: ", e.Message);
    }

    [Theory]
    [InlineData("---\ntitle: T\nengine: pbft\n---\n", 3, "engine must be one of")]
    [InlineData("---\ntitle: T\nnodes: 2\nauthorities: 3\n---\n", 4, "authorities must be 1..2")]
    [InlineData("---\ntitle: T\nblockTime: 50ms\n---\n", 3, "blockTime must be at least 100ms")]
    [InlineData("---\ntitle: T\nmalicious:\n  - node: 7\n    behaviours: [double-sign]\n---\n", 3, "malicious: no node 7")]
    [InlineData("---\ntitle: T\nnext: [Not A Name]\n---\n", 3, "next: 'Not A Name' is not a lesson name")]
    [InlineData("---\nengine: poa\n---\n", 1, "needs a title")]
    [InlineData("---\ntitle: T\nenigne: poa\n---\n", 3, "unknown field 'enigne'")]
    [InlineData("---\ntitle: T\nplot: pie\n---\n", 3, "plot must be one of heights, shares, selfish")]
    [InlineData("---\ntitle: T\nengine: pow\nplot: selfish\n---\n", 4, "plot selfish needs a node that is malicious with selfish-mine")]
    [InlineData("---\ntitle: T\nengine: pos\nnodes: 2\nhashPower: [50, 50]\n---\n", 5, "hashPower: hash power is for proof of work")]
    [InlineData("---\ntitle: T\nengine: pow\nnodes: 3\nhashPower: [50, 50]\n---\n", 5, "give one share per node: 3, not 2")]
    [InlineData("---\ntitle: T\nengine: pow\nnodes: 2\nhashPower: [60, 60]\n---\n", 5, "must add up to 100, not 120")]
    [InlineData("---\ntitle: T\nengine: pow\nnodes: 2\nhashPower: [0, 100]\n---\n", 5, "each share is a per cent, 1..99")]
    [InlineData("---\ntitle: T\n", 1, "never closed")]
    [InlineData("# No front matter\n", 1, "starts with its front matter")]
    public void A_mistake_in_the_front_matter_is_an_error_at_its_field(string front, int line, string expected)
    {
        var e = Bad(front + "## S\n```yaml\nchecks:\n  - check: one-head\n```\n");
        Assert.Contains(e.Errors, x => x.Line == line && x.Message.Contains(expected));
    }

    [Fact]
    public void Every_mistake_of_a_file_is_reported_in_line_order_and_the_first_is_in_the_message()
    {
        var e = Bad(Front + "## S\n```yaml\nactions:\n  - action: kill\n    nodes: [5]\nchecks:\n  - check: nothing\n```\n## T\n```yaml\nchecks:\n  - check: one-head\n    within: ever\n```\n", "Bad_Name");
        Assert.Equal([1, 9, 12, 17], e.Errors.Select(x => x.Line));
        Assert.Contains("file name 'Bad_Name'", e.Errors[0].Message);
        Assert.EndsWith("(and 3 more; see chainlab lab check-file)", e.Message);
    }

    [Theory]
    [InlineData(1.0 / 3, 0.0, 1.0 / 3)] // γ = 0: selfish mining breaks even at a third (Eyal and Sirer, 2014)
    [InlineData(0.25, 0.5, 0.25)]      // γ = ½: the threshold (1 − γ) / (3 − 2γ) is a quarter
    [InlineData(0.4, 0.0, 0.48372)]    // the selfish-mining lesson's miner
    [InlineData(0.1, 0.0, 0.03564)]    // small miners lose by it
    public void The_selfish_revenue_curve_meets_the_honest_line_where_eyal_and_sirer_put_the_threshold(double alpha, double gamma, double revenue) =>
        Assert.Equal(revenue, Chainlab.Cli.Lessons.LessonPlot.SelfishRevenue(alpha, gamma), 4);
}
