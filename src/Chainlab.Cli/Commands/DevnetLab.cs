using Chainlab.Cli.Lessons;

namespace Chainlab.Cli.Commands;

/// <summary>
/// Lessons and challenges started from a running devnet (the dashboard's Learn page): one at a time, each a
/// `chainlab lab run NAME --auto` or `chainlab lab play NAME` child process with its own devnet on free ports
/// beside this one, and its output lines; a challenge being played is checked here, from chain state, as
/// `lab check` does. The libraries are the lessons/ and challenges/ folders of the checkout.
/// </summary>
public sealed class DevnetLab(string root) : IDisposable
{
    private readonly object _gate = new();
    private ChildRun? _run;
    private string? _kind, _name, _dir;

    private static List<Lesson> Read(string folder)
    {
        var dir = LabCommands.LibraryDir(folder);
        var list = new List<Lesson>();
        if (dir is null) return list;
        foreach (var f in Directory.GetFiles(dir, "*.md").Order(StringComparer.Ordinal))
        {
            try { list.Add(Lesson.Read(f)); }
            catch (Exception e) when (e is LessonFileException or CliException) { } // a broken file is `lab check-file`'s to report
        }
        return list;
    }

    /// <summary>What the Learn page draws: every lesson with its steps and checks, every challenge with its goal and hints (never its solution).</summary>
    public static object Library() => new
    {
        lessons = Read("lessons").Where(l => !l.IsChallenge).Select(l => new
        {
            name = l.Name, title = l.Title, about = l.Front.About, engine = l.Front.Engine, nodes = l.Front.Nodes, duration = l.Front.Duration, next = l.Front.Next, plot = l.Front.Plot,
            steps = l.Steps.Select(s => new { title = s.Title, narration = s.Narration, afterword = s.Afterword, checks = s.Checks.Select(c => c.Say ?? c.Check) }),
        }),
        challenges = Read("challenges").Where(c => c.IsChallenge).Select(c => new
        {
            name = c.Name, title = c.Title, about = c.Front.About, intro = c.Intro, engine = c.Front.Engine, nodes = c.Front.Nodes, player = c.Front.Player,
            goal = c.Goal!.Narration, goalChecks = c.Goal.Checks.Select(x => x.Say ?? x.Check), hints = c.Hints.Select(x => x.Narration),
        }),
    };

    private static Lesson Find(string folder, string name)
    {
        var what = folder == "lessons" ? "lesson" : "challenge";
        var dir = LabCommands.LibraryDir(folder) ?? throw new CliException($"no {folder}/ folder found beside this devnet", ExitCodes.NotFound);
        if (!Lesson.IsName(name) || !File.Exists(Path.Combine(dir, name + ".md"))) throw new CliException($"no {what} '{name}' in {dir}", ExitCodes.NotFound);
        try { return Lesson.Read(Path.Combine(dir, name + ".md")); }
        catch (LessonFileException e) { throw new CliException(e.Message, ExitCodes.BadInput); }
    }

    /// <summary>
    /// run (a lesson) or play (a challenge): starts it, one at a time; stop: stops the one running; check: the goal
    /// of the challenge being played; solution: a challenge's solution, as `lab hint NAME --solution` shows it.
    /// </summary>
    public async Task<object> ActAsync(string action, string name, CancellationToken ct)
    {
        switch (action)
        {
            case "run" or "play":
            {
                var folder = action == "run" ? "lessons" : "challenges";
                var l = Find(folder, name);
                if (l.IsChallenge != (action == "play")) throw new CliException(l.IsChallenge ? $"{name} is a challenge: play it" : $"{name} is a lesson: run it", ExitCodes.BadInput);
                lock (_gate)
                {
                    if (_run is { Running: true }) throw new CliException($"{_kind} {_name} is still running; one at a time (stop it first)", ExitCodes.BadInput);
                    _run?.Dispose();
                    (_kind, _name) = (action == "run" ? "lesson" : "challenge", name);
                    _dir = Path.Combine(root, action == "run" ? "lesson-runs" : "challenge-runs", name);
                    _run = new ChildRun(action == "run" ? ["lab", "run", name, "--auto", "--dir", _dir] : ["lab", "play", name, "--dir", _dir]);
                }
                return new { applied = $"{_kind} {name} started" };
            }
            case "stop":
            {
                ChildRun? run;
                lock (_gate) run = _run;
                if (run is not { Running: true }) throw new CliException("nothing is running", ExitCodes.BadInput);
                await run.StopAsync(TimeSpan.FromSeconds(60));
                return new { applied = $"{_kind} {_name} stopped" };
            }
            case "check":
            {
                string? dir;
                lock (_gate) dir = _kind == "challenge" && _name == name && _run is { Running: true } ? _dir : null;
                if (dir is null) throw new CliException($"challenge {name} is not being played here: play it first", ExitCodes.BadInput);
                var said = new StringWriter();
                var solved = await ChallengeRunner.CheckAsync(Find("challenges", name), dir, said, ct);
                return new { solved, lines = said.ToString().TrimEnd().Split('\n') };
            }
            case "solution":
            {
                var c = Find("challenges", name);
                if (!c.IsChallenge) throw new CliException($"{name} is not a challenge", ExitCodes.BadInput);
                var s = c.Solution!;
                return new { name, narration = s.Narration, actions = s.Actions.Select(a => $"{a.Action} {LessonActor.Describe(a)}"), afterword = s.Afterword };
            }
            default:
                throw new CliException($"unknown action '{action}' (run, play, stop, check, solution)", ExitCodes.BadInput);
        }
    }

    /// <summary>The libraries, and the last run: kind, name, running, exit code, output lines, and a lesson's figure (LessonPlot).</summary>
    public object State()
    {
        lock (_gate)
            return new { library = Library(), run = _run is null ? null : new { kind = _kind, name = _name, running = _run.Running, exitCode = _run.ExitCode, lines = _run.Lines, plot = Plot(_dir) } };
    }

    /// <summary>The figure the lesson run keeps in its folder, or null before its first one (or when it cannot be read just now).</summary>
    private static System.Text.Json.Nodes.JsonNode? Plot(string? dir)
    {
        var path = dir is null ? null : Path.Combine(dir, LessonPlot.FileName);
        if (path is null || !File.Exists(path)) return null;
        try { return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return null; }
    }

    public void Dispose()
    {
        lock (_gate) _run?.Dispose();
    }
}
