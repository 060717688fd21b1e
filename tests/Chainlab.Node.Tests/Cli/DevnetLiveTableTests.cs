using System.Diagnostics;
using System.Text.RegularExpressions;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Cli;

[Trait("Category", Categories.Process)]
public sealed class DevnetLiveTableTests
{
    [Fact]
    public async Task On_a_terminal_devnet_up_shows_a_live_table_of_the_nodes()
    {
        // `script` gives the command a pseudo-terminal, as a user's shell would; its output is what the user sees.
        var root = Path.Combine(TestNode.NewDir(), "devnet");
        var port = LoopbackPort.FreeRange(3);
        var p2p = LoopbackPort.FreeRange(3);
        var command = string.Join(' ', new[] { "dotnet", NodeProcess.ChainlabDll, "devnet", "up", "--dir", root, "--nodes", "3",
            "--port", port.ToString(), "--p2p-port", p2p.ToString(), "--block-time", "250ms" }.Select(a => $"'{a}'"));
        var psi = new ProcessStartInfo("script", ["-qfec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        using var up = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        up.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        up.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        try
        {
            string Screen() { lock (output) return Regex.Replace(output.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]", ""); }
            static bool Ready(string s) => s.Contains("Reorgs") && s.Contains("node3") && Regex.IsMatch(s, @"node3.*follower.*in sync");
            // Three node processes starting beside the rest of the suite on two cores: give them two minutes, and
            // when they are not ready, show what the terminal showed last.
            try { await Eventually.True(() => Ready(Screen()), "a live table with three nodes in sync", 120); }
            catch (Xunit.Sdk.FailException e)
            {
                var s = Screen();
                Assert.Fail($"{e.Message}; the terminal's last lines:\n{s[Math.Max(0, s.Length - 2000)..]}");
            }
            var drawn = Regex.Matches(Screen(), @"node1\W+" + port).Count;
            await Eventually.True(() => Regex.Matches(Screen(), @"node1\W+" + port).Count >= drawn + 4, "a few more refreshes of the table (250 ms blocks)", 10);
            var screen = Screen();
            foreach (var header in new[] { "Node", "API", "P2P", "Role", "Height", "Peers", "Sync", "Reorgs" }) Assert.Contains(header, screen);
            // Each row on one line at 80 columns: node, API port, P2P port, role, height.
            var rows = Regex.Matches(screen, @"node1\W+" + port + @"\W+" + p2p + @"\W+authority\W+(\d+)");
            var heights = rows.Select(m => int.Parse(m.Groups[1].Value)).ToList();
            // Heights move while we watch: the last table drawn shows a higher height than an earlier one.
            Assert.True(heights.Count >= 2 && heights[^1] > heights[0], $"heights seen: {string.Join(',', heights)}");

            var (code, o, _) = await CliRunner.RunAsync(null, "devnet", "stop", "--dir", root);
            Assert.Contains("stopped", o);
            await up.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
        finally
        {
            if (!up.HasExited) up.Kill(true);
            TempDir.Delete(Path.GetDirectoryName(root)!);
        }
    }
}
