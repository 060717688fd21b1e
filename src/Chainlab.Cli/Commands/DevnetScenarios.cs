using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Cli.Commands;

/// <summary>
/// Scenario runs started from a running devnet (the dashboard's adversary page): one at a time, each a
/// `chainlab scenario run` child process with its own devnet on free ports beside this one, its output lines
/// and, once done, its report. The library is the scenarios/ folder of the checkout (or of the working folder).
/// </summary>
public sealed class DevnetScenarios(string root) : IDisposable
{
    private readonly object _gate = new();
    private ChildRun? _run;
    private string? _name;
    private string? _outDir;

    public static string? LibraryDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scenarios");
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.yaml").Any()) return candidate;
            }
        return null;
    }

    /// <summary>Every scenario file of the library that reads: name, what it is about, nodes and engine.</summary>
    public static IReadOnlyList<object> Library()
    {
        var dir = LibraryDir();
        if (dir is null) return [];
        var list = new List<object>();
        foreach (var f in Directory.GetFiles(dir, "*.yaml").Order())
        {
            try
            {
                var s = Scenario.Read(f);
                list.Add(new { name = Path.GetFileNameWithoutExtension(f), about = s.About, nodes = s.Network.Nodes, consensus = s.Network.Consensus });
            }
            catch (CliException) { } // a broken file is `scenario check`'s to report
        }
        return list;
    }

    /// <summary>Starts the library's scenario of this name; throws CliException when it is unknown or one is running.</summary>
    public string Start(string name)
    {
        var dir = LibraryDir() ?? throw new CliException("no scenarios/ folder found beside this devnet", ExitCodes.NotFound);
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9-]{1,64}$") || !File.Exists(Path.Combine(dir, name + ".yaml")))
            throw new CliException($"no scenario '{name}' in {dir}", ExitCodes.NotFound);
        lock (_gate)
        {
            if (_run is { Running: true }) throw new CliException($"scenario {_name} is still running; one at a time", ExitCodes.BadInput);
            _run?.Dispose();
            _name = name;
            _outDir = Path.Combine(root, "scenario-runs", name);
            _run = new ChildRun(["scenario", "run", Path.Combine(dir, name + ".yaml"), "--dir", _outDir]);
            return $"scenario {name} started";
        }
    }

    /// <summary>The library, and the last run: name, running, exit code, output lines, report (once written).</summary>
    public object State()
    {
        lock (_gate)
        {
            JsonNode? report = null;
            var running = _run is { Running: true };
            if (!running && _outDir is not null && File.Exists(Path.Combine(_outDir, "report.json")))
                report = JsonNode.Parse(File.ReadAllText(Path.Combine(_outDir, "report.json")));
            return new
            {
                library = Library(),
                run = _run is null ? null : new { name = _name, running, exitCode = _run.ExitCode, lines = _run.Lines, report },
            };
        }
    }

    public void Dispose()
    {
        lock (_gate) _run?.Dispose();
    }
}
