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
            local cur="${COMP_WORDS[COMP_CWORD]}" suggestion
            COMPREPLY=()
            # Read line by line and compare as text: no word splitting, globbing or expansion of what chainlab says.
            while IFS= read -r suggestion; do
                [[ -n "$suggestion" && "$suggestion" == "$cur"* ]] && COMPREPLY+=("$suggestion")
            done < <("${COMP_WORDS[0]}" "[suggest:${#rest}]" "$rest" 2>/dev/null)
        }
        complete -o default -F _chainlab_complete chainlab

        """;

    private const string Zsh = """
        #compdef chainlab
        # chainlab completion for zsh: chainlab completion zsh > ~/.zfunc/_chainlab (a folder in $fpath, before
        # compinit runs), or source <(chainlab completion zsh) after compinit.
        _chainlab()
        {
            # This command's words before the cursor, without the program's name (not the whole edit buffer).
            local rest="${(j: :)${(@)words[2,CURRENT-1]}}"
            [[ -n "$rest" ]] && rest="$rest "
            rest="$rest$PREFIX"
            local -a suggestions
            suggestions=("${(@f)$(${words[1]} "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
            suggestions=(${suggestions:#})
            if (( ${#suggestions} )); then compadd -- "${suggestions[@]}"; else _files; fi
        }
        if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
            _chainlab "$@"
        else
            compdef _chainlab chainlab
        fi

        """;

    private const string Fish = """
        # chainlab completion for fish: chainlab completion fish > ~/.config/fish/completions/chainlab.fish
        function __chainlab_complete
            set -l line (commandline -cp)
            set -l rest (string replace -r '^\S+\s*' '' -- $line)
            chainlab "[suggest:"(string length -- "$rest")"]" "$rest" 2>/dev/null
        end
        # File names stay offered too (file add PATH, chain import FILE).
        complete -c chainlab -a '(__chainlab_complete)'

        """;
}
