using System.Diagnostics;
using System.Text.RegularExpressions;
using Chainlab.Cli.Lessons;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Lessons;

/// <summary>
/// The challenges: each one's solution, kept in its file, reaches its goal on a real devnet after the lab has
/// checked that the goal was not reached before; and one played as a learner plays it, from another terminal,
/// where a wrong try leaves the goal unreached and the right one reaches it.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(LabRuns.Name)]
public sealed class ChallengeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-challenge-").FullName;

    public void Dispose() => TempDir.Delete(_dir);

    private static List<string> All() => Directory.GetFiles(RepoFiles.Path("challenges"), "*.md").Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToList();

    public static TheoryData<string> Names() => new(All());

    [Fact]
    public void There_are_at_least_five_challenges_and_each_reads_as_one()
    {
        var all = All();
        Assert.True(all.Count >= 5, string.Join(", ", all));
        foreach (var name in all)
        {
            var c = Lesson.Read(RepoFiles.Path("challenges", name + ".md"));
            Assert.True(c.IsChallenge, name);
            Assert.NotEmpty(c.Goal!.Checks);
            Assert.NotEmpty(c.Solution!.Actions);
            Assert.NotEmpty(c.Hints);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_solution_of_each_challenge_reaches_its_goal_which_the_setup_alone_does_not(string name)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(null, "lab", "play", name, "--solution", "--challenges", RepoFiles.Path("challenges"), "--dir", Path.Combine(_dir, name));
        var output = stdout + stderr;
        Assert.True(code == 0, output);
        var goal = Lesson.Read(RepoFiles.Path("challenges", name + ".md")).Goal!.Checks;
        // Before the solution: at least one of the goal's checks shown as not passing; after it, every one passing.
        var before = output[..output.IndexOf("The solution", StringComparison.Ordinal)];
        var after = output[output.IndexOf("The solution", StringComparison.Ordinal)..];
        Assert.Contains("  ✗ ", before);
        foreach (var c in goal) Assert.Contains($"  ✓ {c.Say ?? c.Check}: ", after);
        Assert.EndsWith("Solved.", output.Trim());
    }

    [Fact]
    public async Task Hints_come_one_at_a_time_and_the_solution_only_when_asked()
    {
        var (code, stdout, _) = await CliRunner.RunAsync(null, "lab", "hint", "open-vault", "--challenges", RepoFiles.Path("challenges"));
        Assert.Equal(0, code);
        Assert.Contains("Hint 1 of 2: Read every function", stdout);
        Assert.DoesNotContain("set_owner checks nothing", stdout.Replace("`", ""));
        Assert.Contains("chainlab lab hint open-vault 2", stdout);
        (code, stdout, _) = await CliRunner.RunAsync(null, "lab", "hint", "open-vault", "2", "--challenges", RepoFiles.Path("challenges"));
        Assert.Contains("Hint 2 of 2", stdout);
        Assert.Contains("--solution", stdout);
        (code, stdout, _) = await CliRunner.RunAsync(null, "lab", "hint", "open-vault", "--solution", "--challenges", RepoFiles.Path("challenges"));
        Assert.Equal(0, code);
        Assert.Contains("set_owner checks nothing", stdout.Replace("`", ""));
        Assert.Contains("function set_owner", stdout);
        var (bad, _, err) = await CliRunner.RunAsync(null, "lab", "hint", "open-vault", "3", "--challenges", RepoFiles.Path("challenges"));
        Assert.Equal(2, bad);
        Assert.Contains("open-vault has hints 1..2", err);
    }

    [Fact]
    public async Task Played_from_another_terminal_a_wrong_try_leaves_the_vault_full_and_the_right_one_empties_it()
    {
        var port = LoopbackPort.FreeRange(2);
        var dir = Path.Combine(_dir, "played");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { NodeProcess.ChainlabDll, "lab", "play", "open-vault", "--challenges", RepoFiles.Path("challenges"), "--dir", dir, "--port", port.ToString() })
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
            await Eventually.True(() => Seen().Contains("The devnet runs until Ctrl+C."), "the challenge set up", 120);
            var vault = Regex.Match(Seen(), @"contract vault: (\w+)").Groups[1].Value;
            string[] Me(params string[] args) => [.. args, "--node", $"http://127.0.0.1:{port}", "--from", Path.Combine(dir, "keys", "dev2.json"), "--password-file", Path.Combine(dir, "keys", "password"), "--wait"];
            async Task<(int, string)> Check()
            {
                var (c, o, e) = await CliRunner.RunAsync(null, "lab", "check", "open-vault", "--challenges", RepoFiles.Path("challenges"), "--dir", dir);
                return (c, o + e);
            }

            // The challenge's devnet takes faults as one started with devnet up does (the forty-per-cent challenge needs them).
            Assert.Contains($"chainlab devnet fault ACTION --dir {dir}", Seen());
            var (fc, fo, fe) = await CliRunner.RunAsync(null, "devnet", "fault", "heal", "--dir", dir);
            Assert.True(fc == 0 && fo.Contains("applied: heal"), fo + fe);

            var (code, said) = await Check();
            Assert.True(code == 1, said);
            Assert.Contains("✗ the vault is empty: balance of vault (below 1): node1 5000", said);
            Assert.Contains("Not yet.", said);

            // Not the owner: the withdrawal fails in its block, and the vault keeps its coins.
            var (_, wrong, wrongErr) = await CliRunner.RunAsync(null, Me("contract", "invoke", vault, "withdraw", "[5000]"));
            Assert.Contains("only the owner withdraws", wrong + wrongErr);
            (code, said) = await Check();
            Assert.True(code == 1, said);

            foreach (var step in new[] { new[] { "set_owner", "[\"" + Address(dir, "dev2") + "\"]" }, ["withdraw", "[5000]"] })
            {
                var (c, o, e) = await CliRunner.RunAsync(null, Me("contract", "invoke", vault, step[0], step[1]));
                Assert.True(c == 0, o + e);
            }
            (code, said) = await Check();
            Assert.True(code == 0, said);
            Assert.Contains("✓ the vault is empty", said);
            Assert.Contains("Solved.", said);

            CtrlC.Send(p.Id);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await p.WaitForExitAsync(timeout.Token);
            Assert.True(p.ExitCode == 0, Seen());
            Assert.False(Tcp.Listening(port) || Tcp.Listening(port + 1), "a node of the challenge still listens");
            var (gone, _, goneErr) = await CliRunner.RunAsync(null, "lab", "check", "open-vault", "--challenges", RepoFiles.Path("challenges"), "--dir", dir);
            Assert.Equal(3, gone);
            Assert.Contains("is chainlab lab play open-vault still running?", goneErr);
            var (after, _, afterErr) = await CliRunner.RunAsync(null, "devnet", "fault", "heal", "--dir", dir);
            Assert.True(after != 0 && afterErr.Contains("no devnet is running"), afterErr);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
    }

    private static string Address(string dir, string account) =>
        Chainlab.Core.Wallet.Keystore.ReadPublic(File.ReadAllText(Path.Combine(dir, "keys", account + ".json"))).Address;
}
