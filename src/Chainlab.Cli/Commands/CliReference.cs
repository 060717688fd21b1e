using System.CommandLine;
using System.Text;

namespace Chainlab.Cli.Commands;

/// <summary>
/// docs/cli.md, made from the command tree itself: every command with its description, arguments and options.
/// A test compares the file with this and fails when it is stale (CHAINLAB_WRITE_DOCS=1 rewrites it).
/// </summary>
public static class CliReference
{
    public static string Markdown(RootCommand root)
    {
        var md = new StringBuilder();
        md.Append($"""
            # The chainlab command line

            <!-- Generated from the command tree by CliReference (tests/Chainlab.Node.Tests/Cli/CliReferenceTests.cs);
                 do not edit: run `CHAINLAB_WRITE_DOCS=1 dotnet test tests/Chainlab.Node.Tests --filter CliReference`. -->

            Every command answers `--help`. A failure prints one line starting with `error:` on stderr and exits
            with one of these codes:

            | code | meaning |
            |---|---|
            | {ExitCodes.Ok} | done |
            | {ExitCodes.Failure} | failed (the message says why) |
            | {ExitCodes.BadInput} | bad argument or input file (wrong password, bad address, unreadable spec) |
            | {ExitCodes.Unreachable} | node unreachable |
            | {ExitCodes.Rejected} | the node rejected the request (the problem type is printed) |
            | {ExitCodes.NotFound} | not found |
            | {ExitCodes.Timeout} | timed out (e.g. `tx send --wait`) |
            | 130 | interrupted (Ctrl+C) |

            ## Options every command takes

            """);
        md.Append('\n');
        var globals = root.Options.Where(o => o.Recursive && o is not System.CommandLine.Help.HelpOption && o is not VersionOption).ToList();
        Options(md, globals);
        md.Append("""
            ## Colours

            Tables and logs are coloured on a terminal. `--no-color`, or the environment variable `NO_COLOR` set to
            anything (see no-color.org), turns colours off; output that is not a terminal never has them.

            ## Shell completion

            `chainlab completion SHELL` prints a script; the shell then asks chainlab for the words that fit
            (System.CommandLine's suggest directive), so completions always match the installed binary.

            ```sh
            source <(chainlab completion bash)                                   # bash: add to ~/.bashrc
            chainlab completion zsh > ~/.zfunc/_chainlab   # zsh: with fpath+=(~/.zfunc) before compinit in ~/.zshrc
            chainlab completion fish > ~/.config/fish/completions/chainlab.fish  # fish
            ```

            ## Commands

            """);
        md.Append('\n');
        foreach (var c in root.Subcommands.Where(c => !c.Hidden)) Command(md, c, "chainlab", globals);
        return md.ToString().Replace("\r\n", "\n").TrimEnd() + "\n";
    }

    private static void Command(StringBuilder md, Command c, string parent, IReadOnlyCollection<Option> globals)
    {
        var path = $"{parent} {c.Name}";
        var args = c.Arguments.Where(a => !a.Hidden).ToList();
        md.Append($"### `{path}`").Append('\n').Append('\n');
        if (c.Description is { Length: > 0 } d) md.Append(d).Append('\n').Append('\n');
        var usage = path + (c.Subcommands.Any(s => !s.Hidden) ? " COMMAND" : "")
            + string.Concat(args.Select(a => " " + (a.Arity.MinimumNumberOfValues == 0 ? $"[{Upper(a)}]" : Upper(a))))
            + (c.Options.Any(o => !o.Hidden && !globals.Contains(o) && o is not System.CommandLine.Help.HelpOption) ? " [options]" : "");
        md.Append("```\n").Append(usage).Append("\n```\n\n");
        if (args.Count > 0)
        {
            md.Append("| argument | meaning |\n|---|---|\n");
            foreach (var a in args) md.Append($"| `{Upper(a)}` | {Cell(a.Description)} |\n");
            md.Append('\n');
        }
        Options(md, c.Options.Where(o => !o.Hidden && !globals.Contains(o) && o is not System.CommandLine.Help.HelpOption && o is not VersionOption).ToList());
        foreach (var s in c.Subcommands.Where(s => !s.Hidden)) Command(md, s, path, globals);
    }

    private static void Options(StringBuilder md, IReadOnlyList<Option> options)
    {
        if (options.Count == 0) return;
        md.Append("| option | meaning |\n|---|---|\n");
        foreach (var o in options)
        {
            var names = string.Join(", ", new[] { o.Name }.Concat(o.Aliases.Order(StringComparer.Ordinal)).Select(n => $"`{n}`"));
            var value = o.ValueType == typeof(bool) ? "" : $" {(o.HelpName ?? o.Name.TrimStart('-')).ToUpperInvariant()}";
            var fallback = o.HasDefaultValue && o.ValueType != typeof(bool) && o.GetDefaultValue() is { } v && v.ToString() is { Length: > 0 } text ? $" (default: `{text}`)" : "";
            md.Append($"| {names}{value} | {Cell(o.Description)}{fallback} |\n");
        }
        md.Append('\n');
    }

    private static string Upper(Argument a) => (a.HelpName ?? a.Name).ToUpperInvariant();

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|").Replace("\n", " ");
}
