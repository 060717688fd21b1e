using System.CommandLine;

namespace Chainlab.Cli.Commands;

/// <summary>
/// chainlab completion bash|zsh|fish: prints a script that makes the shell complete chainlab's commands,
/// options and values. Each script asks chainlab itself through System.CommandLine's suggest directive
/// (<c>chainlab "[suggest:N]" "LINE"</c>: the words that fit at cursor position N of the line after the
/// program's name), so the completions always match the binary installed.
/// </summary>
public static class CompletionCommands
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static Command Build()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(Shells);
        var cmd = new Command("completion", "Print a shell completion script: source <(chainlab completion bash), or see docs/cli.md for zsh and fish") { shell };
        cmd.SetAction(pr =>
        {
            Console.Out.Write(Script(pr.GetValue(shell)!));
            return 0;
        });
        return cmd;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        _ => throw new CliException($"no completion script for '{shell}' (one of {string.Join(", ", Shells)})", ExitCodes.BadInput),
    };

    private const string Bash = """
        # chainlab completion for bash: source <(chainlab completion bash)
        _chainlab_complete()
        {
            local line="${COMP_LINE:0:COMP_POINT}"
            local rest="${line#*[[:space:]]}"
            [[ "$rest" == "$line" ]] && rest=""
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#rest}]" "$rest" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _chainlab_complete chainlab

        """;

    private const string Zsh = """
        #compdef chainlab
        # chainlab completion for zsh: chainlab completion zsh > "${fpath[1]}/_chainlab", or source it after compinit
        _chainlab()
        {
            local line="${BUFFER[1,CURSOR]}"
            local rest="${line#*[[:space:]]}"
            [[ "$rest" == "$line" ]] && rest=""
            local -a suggestions
            suggestions=("${(@f)$(${words[1]} "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
            compadd -- "${suggestions[@]}"
        }
        compdef _chainlab chainlab

        """;

    private const string Fish = """
        # chainlab completion for fish: chainlab completion fish > ~/.config/fish/completions/chainlab.fish
        function __chainlab_complete
            set -l line (commandline -cp)
            set -l rest (string replace -r '^\S+\s*' '' -- $line)
            chainlab "[suggest:"(string length -- "$rest")"]" "$rest" 2>/dev/null
        end
        complete -c chainlab -f -a '(__chainlab_complete)'

        """;
}
