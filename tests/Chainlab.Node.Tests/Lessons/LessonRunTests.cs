using System.Diagnostics;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Lessons;

/// <summary>
/// The lessons run as a learner runs them (`chainlab lab run NAME --auto`), each on a real devnet of its own,
/// every check passing; a check that cannot pass stops the run naming it; Ctrl+C stops it; either way every
/// node of the lesson's devnet is gone.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(LabRuns.Name)]
public sealed class LessonRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-lesson-").FullName;

    public void Dispose() => TempDir.Delete(_dir);

    private async Task<(int Code, string Output)> Run(string name, params string[] extra)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(null, ["lab", "run", name, "--auto", "--lessons", RepoFiles.Path("lessons"), "--dir", Path.Combine(_dir, name), .. extra]);
        return (code, stdout + stderr);
    }

    /// <summary>Every check of the lesson shows as passed, the summary follows, and the run exits 0.</summary>
    private static void AssertPassed(int code, string output, string lesson)
    {
        Assert.True(code == 0, output);
        var checks = Chainlab.Cli.Lessons.Lesson.Read(RepoFiles.Path("lessons", lesson + ".md")).Steps.SelectMany(s => s.Checks).ToList();
        foreach (var c in checks) Assert.Contains($"✓ {c.Say ?? c.Check}: ", output);
        Assert.Contains($"{checks.Count} checks passed", output);
        Assert.Contains("Try this next:", output);
    }

    [Fact]
    public async Task A_transactions_life_runs_on_a_proof_of_authority_devnet_and_its_proof_checks()
    {
        var (code, output) = await Run("transaction-life");
        AssertPassed(code, output, "transaction-life");
        Assert.Contains("Merkle proof checks against its transaction root", output);
        Assert.Contains("transactions sent: 1", output);
    }

    [Fact]
    public async Task A_contract_is_deployed_and_called_and_gas_memory_and_the_sandbox_stop_the_three_that_misbehave()
    {
        var (code, output) = await Run("contract-gas-and-sandbox");
        AssertPassed(code, output, "contract-gas-and-sandbox");
        Assert.Contains("out of gas (limit 50000)", output);
        Assert.Contains("out of memory (limit", output);
        Assert.Contains("global 'os'", output);
    }

    [Fact]
    public async Task A_file_stored_on_one_node_is_found_through_the_dht_from_another_and_the_same_bytes_get_the_same_cid()
    {
        var (code, output) = await Run("content-addressing");
        AssertPassed(code, output, "content-addressing");
        var cids = System.Text.RegularExpressions.Regex.Matches(output, @"stores \w+ \(\d+ bytes\) as (\w+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, cids.Count);
        Assert.Equal(cids[0], cids[1]);
    }

    [Fact]
    public async Task Forks_and_reorganisations_split_a_proof_of_work_devnet_and_after_the_heal_the_lighter_branch_is_undone()
    {
        var (code, output) = await Run("forks-and-reorgs");
        AssertPassed(code, output, "forks-and-reorgs");
        Assert.Contains("> partition 1,2 | 3,4", output);
        Assert.DoesNotContain("reorganisations on honest nodes: 0", output);
    }

    [Fact]
    public async Task A_miner_with_seventy_per_cent_of_the_hash_power_undoes_a_payment_confirmed_twice_and_the_merchant_is_left_with_nothing()
    {
        var (code, output) = await Run("majority-attack");
        AssertPassed(code, output, "majority-attack");
        Assert.Contains("> restart node 3 misbehaving: double-spend", output);
        // The figure the Learn page draws: every node's head height over time.
        var plot = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "majority-attack", "plot.json")))!;
        Assert.Equal("heights", plot["kind"]!.GetValue<string>());
        Assert.Equal(["node1", "node2", "node3"], plot["series"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        Assert.All(plot["series"]!.AsArray(), s => Assert.True(s!["points"]!.AsArray().Count > 10));
    }

    [Fact]
    public async Task A_selfish_miner_with_forty_per_cent_orphans_honest_blocks_and_the_summary_sets_its_share_beside_eyal_and_sirer()
    {
        var (code, output) = await Run("selfish-mining", "--block-time", "500ms");
        AssertPassed(code, output, "selfish-mining");
        Assert.Contains("Eyal and Sirer predict 48.4 % (γ = 0)", output);
        var plot = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "selfish-mining", "plot.json")))!;
        Assert.Equal("selfish", plot["kind"]!.GetValue<string>());
        Assert.Equal(0.4, plot["alpha"]!.GetValue<double>());
        Assert.True(plot["blocks"]!.GetValue<int>() >= 30, plot.ToJsonString());
        Assert.Equal(plot["blocks"]!.GetValue<int>(), plot["bars"]!.AsArray().Sum(b => b!["blocks"]!.GetValue<int>()));
    }

    [Fact]
    public async Task In_the_proof_of_stake_lottery_every_validator_wins_slots_and_a_stopped_one_wins_none()
    {
        var (code, output) = await Run("pos-lottery", "--block-time", "500ms");
        AssertPassed(code, output, "pos-lottery");
        Assert.Contains("> kill node 4", output);
        Assert.Contains("against their share of the stake:", output);
        // The figure: each validator's share of the blocks beside its share of the stake (a quarter each).
        var plot = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "pos-lottery", "plot.json")))!;
        Assert.Equal("shares", plot["kind"]!.GetValue<string>());
        Assert.True(plot["blocks"]!.GetValue<int>() >= 22, plot.ToJsonString());
        Assert.All(plot["bars"]!.AsArray(), b => Assert.Equal(0.25, b!["expected"]!.GetValue<double>()));
        Assert.All(plot["bars"]!.AsArray(), b => Assert.True(b!["blocks"]!.GetValue<int>() > 0, plot.ToJsonString()));
    }

    [Fact]
    public async Task Finality_stops_while_a_partition_leaves_no_side_two_thirds_and_comes_back_after_the_heal()
    {
        var (code, output) = await Run("finality-under-partition");
        AssertPassed(code, output, "finality-under-partition");
        Assert.Contains("> partition 1,2 | 3,4", output);
        Assert.Contains("the final height stayed while the heads grew 6 blocks", output);
    }

    [Fact]
    public async Task Slashing_a_double_signer_halves_the_stake_of_the_validator_made_to_sign_twice()
    {
        var (code, output) = await Run("slashing-double-signer");
        AssertPassed(code, output, "slashing-double-signer");
        Assert.Contains("> restart node 4 misbehaving: double-sign", output);
        // Each slash takes half (slashPpm 500000): once, or again for a second proven equivocation.
        var stakes = output.Split('\n').Single(l => l.Contains("stake of node4 (below 1000000): "));
        var values = System.Text.RegularExpressions.Regex.Matches(stakes, @"node[1-3] (\d+)").Select(m => ulong.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(values);
        Assert.All(values, v => Assert.True(v is 500000 or 250000 or 125000, stakes));
    }

    [Fact]
    public async Task An_eclipse_attempt_fills_the_honest_nodes_inbound_slots_but_leaves_each_an_honest_peer()
    {
        var (code, output) = await Run("eclipse-attempt");
        AssertPassed(code, output, "eclipse-attempt");
        Assert.Contains("> restart node 4 misbehaving: eclipse", output);
        Assert.Contains("at least 2 honest peer(s) at every sample", output);
    }

    [Fact]
    public async Task When_a_proof_of_authority_authority_falls_silent_the_next_ones_seal_its_slots_until_it_returns()
    {
        var (code, output) = await Run("poa-hand-over");
        AssertPassed(code, output, "poa-hand-over");
        Assert.Contains("> pause node 1", output);
        Assert.Contains("> resume node 1", output);
    }

    [Fact]
    public async Task A_check_that_cannot_pass_stops_the_run_naming_it_and_its_line_and_every_node_is_stopped()
    {
        var lesson = Path.Combine(_dir, "too-high.md");
        await File.WriteAllTextAsync(lesson, "---\ntitle: Too high\nengine: poa\nnodes: 2\n---\n## Wait for ever\n```yaml\nchecks:\n  - check: height-at-least\n    height: 100000\n    within: 3s\n```\n");
        var port = LoopbackPort.FreeRange(2);
        var (code, stdout, stderr) = await CliRunner.RunAsync(null, "lab", "run", lesson, "--auto", "--dir", Path.Combine(_dir, "too-high"), "--port", port.ToString());
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("error: step 1 'Wait for ever': check height-at-least (line 9) did not pass within 3 s: heads node1 ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Tcp.Listening(port) || Tcp.Listening(port + 1), "a node of the failed lesson still listens");
    }

    [Fact]
    public async Task Without_auto_the_lesson_waits_for_enter_between_steps_and_ctrl_c_stops_it_and_its_nodes()
    {
        var port = LoopbackPort.FreeRange(3);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["CHAINLAB_LAB_TRACE"] = "1"; // where the clean-up is, should it ever hang again
        foreach (var a in new[] { NodeProcess.ChainlabDll, "lab", "run", "transaction-life", "--lessons", RepoFiles.Path("lessons"), "--dir", Path.Combine(_dir, "paused"), "--port", port.ToString() })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        string Seen() { lock (output) return output.ToString(); }
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            // The prompt has no line end of its own: the first step's last check shows it has been reached.
            await Eventually.True(() => Seen().Contains("✓ the three nodes agree on one head"), "the first step's checks", 90);
            await Task.Delay(2000);
            Assert.DoesNotContain("Step 2 of 3", Seen());
            await p.StandardInput.WriteLineAsync();
            await p.StandardInput.FlushAsync();
            await Eventually.True(() => Seen().Contains("Step 2 of 3"), "the second step after Enter", 30);
            await Eventually.True(() => Seen().Contains("✓ every node has the payment in a block"), "the second step's check", 60);
            Assert.True(Tcp.Listening(port));
            var sent = CtrlC.Send(p.Id);
            // Stopping three node processes takes a few seconds, much longer on a loaded machine.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try { await p.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { Assert.Fail($"the lesson did not end within 120 s of {sent}; it said:\n" + Seen()); }
            Assert.True(p.ExitCode == 130, Seen());
            Assert.Contains("Stopped: every node of the lesson's devnet is shut down.", Seen());
            Assert.DoesNotContain("Step 3 of 3", Seen());
            Assert.False(Tcp.Listening(port) || Tcp.Listening(port + 1) || Tcp.Listening(port + 2), "a node of the stopped lesson still listens");
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
    }
}
