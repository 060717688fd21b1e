using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>
/// The CI short set of the scenario library, run as a user runs it (`chainlab scenario run FILE`) on real node
/// processes, and the same scenarios with a defence switched off, which must report the matching violation.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class ScenarioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-scenario-").FullName;

    public void Dispose()
    {
        TempDir.Delete(_dir);
    }

    private async Task<(int Code, JsonObject Report, string Output)> Run(string file, string? extra = null)
    {
        var path = RepoFiles.Path("scenarios", file);
        if (extra is not null)
        {
            path = Path.Combine(_dir, file);
            await File.WriteAllTextAsync(path, await File.ReadAllTextAsync(RepoFiles.Path("scenarios", file)) + extra);
        }
        var run = Path.Combine(_dir, Path.GetFileNameWithoutExtension(file) + (extra is null ? "" : "-off"));
        var (code, output, err) = await CliRunner.RunAsync(null, "scenario", "run", path, "--dir", run);
        var reportFile = Path.Combine(run, "report.json");
        Assert.True(File.Exists(reportFile), $"no report; exit {code}\n{output}\n{err}");
        Assert.True(File.Exists(Path.Combine(run, "report.md")));
        return (code, JsonNode.Parse(await File.ReadAllTextAsync(reportFile))!.AsObject(), output + err);
    }

    private static JsonNode Verdict(JsonObject report, string check) =>
        report["verdicts"]!.AsArray().Single(v => v!["check"]!.GetValue<string>() == check)!;

    [Fact]
    public async Task A_partition_of_a_proof_of_authority_devnet_heals_and_every_invariant_holds()
    {
        var (code, report, output) = await Run("partition-heal-poa.yaml");
        Assert.True(code == 0, output);
        Assert.True(report["passed"]!.GetValue<bool>());
        Assert.Contains(report["timeline"]!.AsArray(), e => e!["what"]!.GetValue<string>() == "fault: partition 1,2 | 3,4");
        // The minority side made no blocks while cut off, and caught up after the heal.
        Assert.Contains("heads differ", output);
        Assert.True(report["figures"]!["transactions committed (reported at depth)"]!.GetValue<int>() > 0);
    }

    /// <summary>
    /// The scenario that once passed three runs in four (which honest nodes got the forged twin decided it): a
    /// short soak, as a user runs it, must pass every run, and prints the pass rate and each run's verdicts.
    /// </summary>
    [Fact]
    public async Task A_short_soak_of_the_double_signing_authority_passes_every_run_and_reports_its_pass_rate()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "library")).FullName;
        File.Copy(RepoFiles.Path("scenarios", "double-sign-poa.yaml"), Path.Combine(folder, "double-sign-poa.yaml"));
        var output = Path.Combine(_dir, "soak");
        var (code, stdout, err) = await CliRunner.RunAsync(null, "scenario", "soak", folder, "--runs", "2", "--out", output);
        Assert.True(code == 0, stdout + err);
        Assert.Contains("| double-sign-poa | 2 of 2 | passed | passed |", stdout);
        Assert.Contains("PASSED: 2 of 2 runs passed", stdout);
        Assert.True(File.Exists(Path.Combine(output, "soak.md")));
        foreach (var run in new[] { 1, 2 })
        {
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "double-sign-poa", $"run-{run}.json")))!.AsObject();
            Assert.True(report["passed"]!.GetValue<bool>());
            Assert.All(report["verdicts"]!.AsArray(), v => Assert.True(v!["exercised"]!.GetValue<bool>(), v.ToJsonString()));
            Assert.Contains("= genesis", Verdict(report, "supply-conserved")["evidence"]!.GetValue<string>());
        }
    }

    /// <summary>With bans on, the same scenario passes: the dashboard's adversary story runs it from the page
    /// (DashboardTests), so it is not run twice.</summary>
    [Fact]
    public async Task With_bans_switched_off_a_node_relaying_invalid_transactions_stays_linked_and_the_check_says_so()
    {
        var (offCode, off, offOutput) = await Run("invalid-tx.yaml", "testOnly:\n  disableDefence: [ban]\n");
        Assert.True(offCode == 1, offOutput);
        var verdict = Verdict(off, "malicious-banned");
        Assert.False(verdict["holds"]!.GetValue<bool>());
        Assert.Contains("has not banned it", verdict["evidence"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_slashing_switched_off_a_double_signing_validator_goes_unpunished_and_the_check_reports_it()
    {
        // Which nodes get the twin is chance: in about one run in five no honest node holds both headers, and the
        // check says it was not exercised (the scenario allows that). Run until an honest node saw the equivocation.
        for (var attempt = 1; ; attempt++)
        {
            var (code, report, output) = await Run("double-sign-pos.yaml", "testOnly:\n  disableDefence: [slashing]\n");
            var verdict = Verdict(report, "equivocation-slashed");
            Assert.False(verdict["holds"]!.GetValue<bool>());
            Assert.Contains("not slashed: node4", verdict["evidence"]!.GetValue<string>());
            if (!verdict["exercised"]!.GetValue<bool>() && attempt < 3) continue;
            Assert.True(verdict["exercised"]!.GetValue<bool>(), "three runs without an equivocation seen by an honest node");
            Assert.True(code == 1, output);
            Assert.Equal("BROKEN", verdict["outcome"]!.GetValue<string>());
            break;
        }
    }

    [Fact]
    public async Task A_node_serving_forged_seals_to_a_syncing_node_is_refused_and_banned_and_with_the_seal_check_off_the_check_catches_the_forged_heads()
    {
        var (code, report, output) = await Run("forged-seals.yaml");
        Assert.True(code == 0, output);
        Assert.Contains("node3 banned node4", Verdict(report, "malicious-banned")["evidence"]!.GetValue<string>());

        var (offCode, off, offOutput) = await Run("forged-seals.yaml", "testOnly:\n  disableDefence: [seal-check]\n");
        Assert.True(offCode == 1, offOutput);
        var verdict = Verdict(off, "valid-seals");
        Assert.False(verdict["holds"]!.GetValue<bool>());
        // Where the forged blocks show is timing: a head of node 3 sampled while it sat on one, or (when node 3
        // builds on them before a sample lands) blocks of an honest node's final chain after the heal.
        Assert.Matches(@"node[123] (head|block) \d+", verdict["evidence"]!.GetValue<string>());
        Assert.Contains("seal signature is invalid", verdict["evidence"]!.GetValue<string>());
    }
}
