using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Chainlab.Node.Tests.Cli;

/// <summary>What users of a command line expect of it: completion in their shell, and no colours when asked.</summary>
[Trait("Category", Categories.Process)]
public sealed class ShellConventionsTests
{
    private static readonly Regex ColourCode = new(@"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;[0-9;]+)m");

    [Fact]
    public async Task The_suggest_directive_offers_the_commands_and_options_that_fit()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(null, "[suggest:3]", "dev");
        Assert.True(code == 0, stderr);
        Assert.Contains("devnet", stdout.Split('\n', StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("wallet", stdout);
        (code, stdout, stderr) = await CliRunner.RunAsync(null, "[suggest:13]", "devnet up --p");
        Assert.True(code == 0, stderr);
        Assert.Contains("--port", stdout.Split('\n', StringSplitOptions.TrimEntries));
        Assert.Contains("--p2p-port", stdout.Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task The_bash_script_completes_a_partial_command_in_bash_itself()
    {
        var (code, script, stderr) = await CliRunner.RunAsync(null, "completion", "bash");
        Assert.True(code == 0, stderr);
        var dir = Directory.CreateTempSubdirectory("chainlab-completion-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "complete.bash"), script);
            // As a shell would call it after "chainlab wal<TAB>" and "chainlab wallet <TAB>".
            var probe = $$"""
                chainlab() { dotnet '{{NodeProcess.ChainlabDll}}' "$@"; }
                source '{{Path.Combine(dir, "complete.bash")}}'
                COMP_LINE='chainlab wal'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(chainlab wal); COMP_CWORD=1
                _chainlab_complete; echo "first: ${COMPREPLY[*]}"
                COMP_LINE='chainlab wallet '; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(chainlab wallet ''); COMP_CWORD=2
                _chainlab_complete; echo "second: ${COMPREPLY[*]}"
                """;
            var output = await Run("bash", ["-c", probe]);
            Assert.Contains("first: wallet", output);
            var second = output.Split('\n').Single(l => l.StartsWith("second:", StringComparison.Ordinal));
            foreach (var sub in new[] { "new", "list", "show", "import", "export" }) Assert.Contains(sub, second.Split(' '));
        }
        finally { TempDir.Delete(dir); }
    }

    [Fact]
    public async Task The_zsh_and_fish_scripts_complete_a_partial_command_in_their_shells()
    {
        Assert.True(Which("zsh") is not null && Which("fish") is not null, "zsh and fish are needed (test.sh installs them)");
        using var dir = new TempDir("chainlab-completion");
        foreach (var shell in new[] { "zsh", "fish" })
        {
            var (code, script, stderr) = await CliRunner.RunAsync(null, "completion", shell);
            Assert.True(code == 0, stderr);
            File.WriteAllText(dir[$"complete.{shell}"], script);
        }
        // zsh: the function as the completion system calls it, with compadd and compdef standing in for zle's.
        var zsh = await Run("zsh", ["-c", $$"""
            chainlab() { dotnet '{{NodeProcess.ChainlabDll}}' "$@"; }
            compdef() { }
            compadd() { shift; print -r -l -- "$@"; }
            _files() { print -r -- '(files)'; }
            source '{{dir["complete.zsh"]}}'
            words=(chainlab wal); CURRENT=2; PREFIX=wal; _chainlab; print -r -- ---
            words=(chainlab devnet up ''); CURRENT=4; PREFIX=--p; _chainlab
            """]);
        var parts = zsh.Split("---");
        Assert.Contains("wallet", parts[0].Split('\n', StringSplitOptions.TrimEntries));
        Assert.Contains("--p2p-port", parts[1].Split('\n', StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("wallet", parts[1]);
        // fish completes a command line by itself (complete -C), as it does on Tab.
        var fish = await Run("fish", ["-c", $$"""
            function chainlab; dotnet '{{NodeProcess.ChainlabDll}}' $argv; end
            source '{{dir["complete.fish"]}}'
            complete -C 'chainlab wal'; echo ---; complete -C 'chainlab wallet '
            """]);
        var fishParts = fish.Split("---");
        Assert.Contains("wallet", fishParts[0].Split('\n', StringSplitOptions.TrimEntries));
        var subcommands = fishParts[1].Split('\n', StringSplitOptions.TrimEntries);
        foreach (var sub in new[] { "new", "list", "show", "import", "export" }) Assert.Contains(sub, subcommands);
    }

    [Fact]
    public async Task Every_completion_script_is_valid_for_its_shell_and_an_unknown_shell_is_refused()
    {
        foreach (var shell in new[] { "bash", "zsh", "fish" })
        {
            var (code, script, stderr) = await CliRunner.RunAsync(null, "completion", shell);
            Assert.True(code == 0, stderr);
            Assert.Contains("[suggest:", script);
            // Syntax-check each script with its shell where that shell is installed (bash always is).
            if (shell == "bash" || Which(shell) is not null)
            {
                var file = Path.Combine(Path.GetTempPath(), $"chainlab-completion-{Guid.NewGuid():N}.{shell}");
                File.WriteAllText(file, script);
                try { await Run(shell, [shell == "fish" ? "--no-execute" : "-n", file]); }
                finally { File.Delete(file); }
            }
        }
        var (bad, _, error) = await CliRunner.RunAsync(null, "completion", "powershell");
        Assert.Equal(2, bad);
        Assert.StartsWith("error:", error);
    }

    [Fact]
    public async Task Tables_on_a_terminal_have_colours_unless_no_color_or_NO_COLOR_says_otherwise()
    {
        Assert.NotNull(Which("script")); // util-linux gives the command a terminal
        await using var node = await TestNode.StartAsync();
        var url = node.Http.BaseAddress!.ToString();
        var coloured = await OnTerminal(url, null);
        Assert.Matches(ColourCode, coloured); // the check below would pass for output without any colour at all
        Assert.DoesNotMatch(ColourCode, await OnTerminal(url, "--no-color"));
        Assert.DoesNotMatch(ColourCode, await OnTerminal(url, null, noColorVariable: true));
    }

    private static async Task<string> OnTerminal(string url, string? flag, bool noColorVariable = false)
    {
        var command = $"dotnet '{NodeProcess.ChainlabDll}' chain info --node {url}" + (flag is null ? "" : " " + flag);
        var psi = new ProcessStartInfo("script", ["-qec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.Environment["TERM"] = "xterm-256color";
        psi.Environment.Remove("NO_COLOR");
        psi.Environment.Remove("CI");
        if (noColorVariable) psi.Environment["NO_COLOR"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"chain info failed on a terminal: {output} {await err}");
        Assert.Contains("head", output, StringComparison.OrdinalIgnoreCase);
        return output;
    }

    private static async Task<string> Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {await err}");
        return output;
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
}
