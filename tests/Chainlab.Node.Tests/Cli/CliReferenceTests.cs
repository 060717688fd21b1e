using Chainlab.Cli.Commands;

namespace Chainlab.Node.Tests.Cli;

public sealed class CliReferenceTests
{
    [Fact]
    public void Docs_cli_md_is_what_the_command_tree_says_today()
    {
        var path = Path.Combine(RepoFiles.Root, "docs", "cli.md");
        var made = CliReference.Markdown(CommandTree.Build());
        if (Environment.GetEnvironmentVariable("CHAINLAB_WRITE_DOCS") == "1") File.WriteAllText(path, made);
        Assert.True(File.Exists(path), "docs/cli.md is missing: CHAINLAB_WRITE_DOCS=1 dotnet test tests/Chainlab.Node.Tests --filter CliReference");
        var written = File.ReadAllText(path).Replace("\r\n", "\n");
        if (written == made) return;
        var a = written.Split('\n');
        var b = made.Split('\n');
        var at = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
        Assert.Fail($"docs/cli.md is stale from line {at + 1}: it says\n  {(at < a.Length ? a[at] : "(end)")}\nand the command tree says\n  {(at < b.Length ? b[at] : "(end)")}\n"
            + "rewrite it with CHAINLAB_WRITE_DOCS=1 dotnet test tests/Chainlab.Node.Tests --filter CliReference");
    }

    [Fact]
    public void Every_command_and_option_is_in_the_reference()
    {
        var root = CommandTree.Build();
        var made = CliReference.Markdown(root);
        void Check(System.CommandLine.Command c, string path)
        {
            Assert.Contains($"### `{path}`", made);
            foreach (var o in c.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption && o is not System.CommandLine.VersionOption))
                Assert.Contains($"`{o.Name}`", made);
            foreach (var s in c.Subcommands.Where(s => !s.Hidden)) Check(s, $"{path} {s.Name}");
        }
        foreach (var c in root.Subcommands) Check(c, $"chainlab {c.Name}");
    }
}
