using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>
/// Finality broken on purpose (issue 26 point 6), run as a user runs it (`chainlab scenario run FILE`) on real node
/// processes: a double-voting validator is slashed and finality goes on; a 2 | 2 partition halts finality and the
/// heal resumes it; a third of the authorities offline halts it while blocks keep coming. With the slashing
/// defence off, the double vote goes unpunished and the check says so. In the lab lane: each run waits on live
/// nodes with generous limits.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Lessons.LabRuns.Name)]
public sealed class FinalityScenarioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-finality-scenario-").FullName;

    public void Dispose() => TempDir.Delete(_dir);

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
        return (code, JsonNode.Parse(await File.ReadAllTextAsync(reportFile))!.AsObject(), output + err);
    }

    private static JsonNode Verdict(JsonObject report, string check) =>
        report["verdicts"]!.AsArray().Single(v => v!["check"]!.GetValue<string>() == check)!;

    private static string Evidence(JsonObject report, string check) => Verdict(report, check)["evidence"]!.GetValue<string>();

    [Fact]
    public async Task A_double_voting_validator_is_slashed_by_every_honest_node_while_finality_goes_on_and_with_slashing_off_the_check_reports_it()
    {
        var (code, report, output) = await Run("finality-double-vote-pos.yaml");
        Assert.True(code == 0, output);
        Assert.All(report["verdicts"]!.AsArray(), v => Assert.Equal("holds", v!["outcome"]!.GetValue<string>()));
        Assert.Contains("node4 on node1", Evidence(report, "vote-offences-punished"));
        Assert.Contains("slashes", Evidence(report, "supply-conserved")); // the slashed stake is burnt, exactly

        var (offCode, off, offOutput) = await Run("finality-double-vote-pos.yaml", "testOnly:\n  disableDefence: [slashing]\n");
        Assert.True(offCode == 1, offOutput);
        var verdict = Verdict(off, "vote-offences-punished");
        Assert.Equal("BROKEN", verdict["outcome"]!.GetValue<string>());
        Assert.Contains("not punished: node4 on node1", verdict["evidence"]!.GetValue<string>());
        // Nothing else broke: one voter in four double voting cannot make conflicting blocks final.
        Assert.Equal("holds", Verdict(off, "no-conflicting-finality")["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_split_without_two_thirds_on_either_side_halts_finality_until_the_heal_and_a_third_of_the_authorities_offline_halts_it_while_blocks_keep_coming()
    {
        var (code, report, output) = await Run("finality-partition-pos.yaml");
        Assert.True(code == 0, output);
        Assert.All(report["verdicts"]!.AsArray(), v => Assert.Equal("holds", v!["outcome"]!.GetValue<string>()));
        Assert.Contains("at the partition 1,2 | 3,4", Evidence(report, "finality-halts"));

        var (offCode, off, offOutput) = await Run("finality-offline-poa.yaml");
        Assert.True(offCode == 0, offOutput);
        Assert.All(off["verdicts"]!.AsArray(), v => Assert.Equal("holds", v!["outcome"]!.GetValue<string>()));
        Assert.Contains("at the kill node 3", Evidence(off, "finality-halts"));
    }
}
