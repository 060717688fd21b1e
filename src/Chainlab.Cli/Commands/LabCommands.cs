using System.CommandLine;
using Chainlab.Cli.Devnets;
using Chainlab.Cli.Lessons;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab lab list|run|play|check|hint|check-file: guided lessons and challenges that run on a devnet of their own (docs/LEARN.md).</summary>
public static class LabCommands
{
    /// <summary>The lessons/ (or challenges/) folder of the checkout (or of the working folder), found upwards.</summary>
    public static string? LibraryDir(string folder = "lessons")
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, folder);
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.md").Any()) return candidate;
            }
        return null;
    }

    private static string Library(string? given, string folder = "lessons") =>
        given is not null
            ? Directory.Exists(given) ? given : throw new CliException($"--{folder} {given}: no such folder", ExitCodes.BadInput)
            : LibraryDir(folder) ?? throw new CliException($"no {folder}/ folder here or above; give --{folder} DIR", ExitCodes.NotFound);

    /// <summary>A lesson (or challenge) by name from the library, or a lesson file by its path.</summary>
    private static Lesson Find(string nameOrFile, string? library, string folder = "lessons")
    {
        var what = folder == "lessons" ? "lesson" : "challenge";
        Lesson found;
        if (nameOrFile.EndsWith(".md") && File.Exists(nameOrFile)) found = ReadOrSay(nameOrFile);
        else
        {
            if (!Lesson.IsName(nameOrFile)) throw new CliException($"'{nameOrFile}' is not a {what} name (see chainlab lab list) nor a {what} file", ExitCodes.BadInput);
            var dir = Library(library, folder);
            var path = Path.Combine(dir, nameOrFile + ".md");
            if (!File.Exists(path)) throw new CliException($"no {what} '{nameOrFile}' in {dir} (see chainlab lab list)", ExitCodes.NotFound);
            found = ReadOrSay(path);
        }
        if (found.IsChallenge != (folder == "challenges"))
            throw new CliException(found.IsChallenge ? $"{found.Name} is a challenge: chainlab lab play {found.Name}" : $"{found.Name} is a lesson: chainlab lab run {found.Name}", ExitCodes.BadInput);
        return found;
    }

    private static Lesson ReadOrSay(string path)
    {
        try { return Lesson.Read(path); }
        catch (LessonFileException e) { throw new CliException(e.Message, ExitCodes.BadInput); }
    }

    public static Command Build()
    {
        var cmd = new Command("lab", "Guided lessons and hacking challenges on a live devnet of their own: narrated steps, actions and live checks (docs/LEARN.md)");
        var lessons = new Option<string?>("--lessons") { Description = "Folder of lesson files (default the lessons/ folder of the checkout)" };

        var challenges = new Option<string?>("--challenges") { Description = "Folder of challenge files (default the challenges/ folder of the checkout)" };
        var list = new Command("list", "List the lessons and the challenges: name, engine, nodes, duration and title") { lessons, challenges };
        list.SetAction(pr =>
        {
            var rows = new List<object>();
            var json = pr.GetValue(Global.Json);
            foreach (var (folder, given, kind, how) in new[] { ("lessons", pr.GetValue(lessons), "lesson", "Run one with: chainlab lab run NAME (add --auto to go on without Enter)"),
                ("challenges", pr.GetValue(challenges), "challenge", "Play one with: chainlab lab play NAME; check it with chainlab lab check NAME") })
            {
                var dir = given is null && folder == "challenges" ? LibraryDir(folder) : Library(given, folder);
                if (dir is null) continue;
                var before = rows.Count;
                if (!json) Console.Out.WriteLine(folder == "lessons" ? "Lessons" : "\nChallenges");
                foreach (var file in Directory.GetFiles(dir, "*.md").Order(StringComparer.Ordinal))
                {
                    try
                    {
                        var l = Lesson.Read(file);
                        rows.Add(new { kind, name = l.Name, title = l.Title, engine = l.Front.Engine, nodes = l.Front.Nodes, duration = l.Front.Duration, steps = l.Steps.Count, about = l.Front.About });
                        if (!json) Console.Out.WriteLine($"  {l.Name,-26} {l.Front.Engine,-4} {l.Front.Nodes,2} nodes  {l.Front.Duration,-7} {l.Title}");
                    }
                    catch (LessonFileException e)
                    {
                        // One broken file must not hide the others: say what is wrong with it and go on.
                        Console.Error.WriteLine($"warning: {e.Message}");
                    }
                }
                if (!json && rows.Count > before) Console.Out.WriteLine(how);
            }
            if (json) Global.PrintJson(rows);
            return 0;
        });
        cmd.Subcommands.Add(list);

        var name = new Argument<string>("name") { Description = "A lesson's name (chainlab lab list), or a lesson file" };
        var auto = new Option<bool>("--auto") { Description = "Go on to each next step without waiting for Enter" };
        var dir = new Option<string?>("--dir") { Description = "Folder for the lesson's devnet (default .chainlab/lessons/NAME; replaced on each run)" };
        var port = new Option<int?>("--port") { Description = "API port of node 1; node i listens on PORT + i - 1 (default: free ports)" };
        var p2pPort = new Option<int?>("--p2p-port") { Description = "Peer port of node 1; node i listens on PORT + i - 1 (default: free ports)" };
        var blockTime = new Option<string?>("--block-time") { Description = "Run the lesson at another block time than its own, e.g. 500ms to go faster (waits and time limits stay as written)" };
        var run = new Command("run", "Run a lesson: start its devnet, narrate each step, do its actions and show each check as it passes; exit 0 only when every check passed")
            { name, auto, dir, port, p2pPort, lessons, blockTime };
        run.SetAction(async (pr, ct) =>
        {
            var lesson = Find(pr.GetValue(name)!, pr.GetValue(lessons));
            if (pr.GetValue(blockTime) is { } bt)
            {
                if (Global.ParseDurationMs(bt, "--block-time") is < 100 or > 60_000) throw new CliException("--block-time must be 100ms..60s", ExitCodes.BadInput);
                lesson.Front.BlockTime = bt;
            }
            foreach (var (p, what) in new[] { (pr.GetValue(port), "--port"), (pr.GetValue(p2pPort), "--p2p-port") })
                if (p is { } v && (v < 1 || v + lesson.Front.Nodes - 1 > 65535)) throw new CliException($"{what} {v}: the ports {v}..{v + lesson.Front.Nodes - 1} must be 1..65535", ExitCodes.BadInput);
            var root = Path.GetFullPath(pr.GetValue(dir) ?? Path.Combine(".chainlab", "lessons", lesson.Name));
            using var shutdown = new Shutdown(ct);
            try
            {
                await new LessonRunner(lesson, root, pr.GetValue(port), pr.GetValue(p2pPort), pr.GetValue(auto), Console.Out,
                    new StreamReader(Console.OpenStandardInput())).RunAsync(shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
                Shutdown.Trace("the lesson's devnet is down");
                Console.Out.WriteLine();
                Console.Out.WriteLine("Stopped: every node of the lesson's devnet is shut down.");
                return 130;
            }
            return 0;
        });
        cmd.Subcommands.Add(run);

        var challengeName = new Argument<string>("name") { Description = "A challenge's name (chainlab lab list), or a challenge file" };
        var solution = new Option<bool>("--solution") { Description = "Do the challenge's solution after the setup and check that it reaches the goal (the lab never shows it otherwise)" };
        var challengeDir = new Option<string?>("--dir") { Description = "Folder of the challenge's devnet (default .chainlab/challenges/NAME)" };
        var play = new Command("play", "Play a challenge: start its devnet, set up the situation, tell the goal, and keep the devnet up for you until Ctrl+C")
            { challengeName, solution, challengeDir, port, p2pPort, challenges };
        play.SetAction(async (pr, ct) =>
        {
            var challenge = Find(pr.GetValue(challengeName)!, pr.GetValue(challenges), "challenges");
            var root = Path.GetFullPath(pr.GetValue(challengeDir) ?? ChallengeRunner.DefaultDir(challenge.Name));
            using var shutdown = new Shutdown(ct);
            try
            {
                await new ChallengeRunner(challenge, root, pr.GetValue(port), pr.GetValue(p2pPort), pr.GetValue(solution), Console.Out, OpenControlsAsync).PlayAsync(shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
                Console.Out.WriteLine();
                Console.Out.WriteLine("Stopped: every node of the challenge's devnet is shut down.");
                return pr.GetValue(solution) ? 130 : 0;
            }
            return 0;
        });
        cmd.Subcommands.Add(play);

        var check = new Command("check", "Check a challenge being played (chainlab lab play NAME in another terminal): exit 0 when its goal is reached, 1 when not yet")
            { challengeName, challengeDir, challenges };
        check.SetAction(async (pr, ct) =>
        {
            var challenge = Find(pr.GetValue(challengeName)!, pr.GetValue(challenges), "challenges");
            var root = Path.GetFullPath(pr.GetValue(challengeDir) ?? ChallengeRunner.DefaultDir(challenge.Name));
            return await ChallengeRunner.CheckAsync(challenge, root, Console.Out, ct) ? 0 : ExitCodes.Failure;
        });
        cmd.Subcommands.Add(check);

        var number = new Argument<int>("number") { Description = "Which hint (1 = the first)", DefaultValueFactory = _ => 1 };
        var hint = new Command("hint", "Show a challenge's hints, one at a time (with --solution, its solution)") { challengeName, number, solution, challenges };
        hint.SetAction(pr =>
        {
            var challenge = Find(pr.GetValue(challengeName)!, pr.GetValue(challenges), "challenges");
            if (pr.GetValue(solution))
            {
                var s = challenge.Solution!;
                Console.Out.WriteLine($"The solution of {challenge.Name}:");
                if (s.Narration.Length > 0) Console.Out.WriteLine(s.Narration);
                foreach (var a in s.Actions) Console.Out.WriteLine($"  {a.Action} {LessonActor.Describe(a)}");
                if (s.Afterword.Length > 0) Console.Out.WriteLine(s.Afterword);
                return 0;
            }
            var k = pr.GetValue(number);
            var hints = challenge.Hints;
            if (k < 1 || k > hints.Count) throw new CliException($"{challenge.Name} has hints 1..{hints.Count}", ExitCodes.BadInput);
            Console.Out.WriteLine($"Hint {k} of {hints.Count}: {hints[k - 1].Narration}");
            if (k < hints.Count) Console.Out.WriteLine($"Another: chainlab lab hint {challenge.Name} {k + 1}");
            else Console.Out.WriteLine($"That was the last; the solution: chainlab lab hint {challenge.Name} --solution");
            return 0;
        });
        cmd.Subcommands.Add(hint);

        var file = new Argument<string>("file") { Description = "A lesson or challenge file (Markdown), e.g. lessons/transaction-life.md" };
        var checkFile = new Command("check-file", "Read and check a lesson file without running it: every mistake, each with its line") { file };
        checkFile.SetAction(pr =>
        {
            var path = pr.GetValue(file)!;
            try
            {
                var l = Lesson.Read(path);
                Console.Out.WriteLine($"{path}: {l.Name}: '{l.Title}', {l.Front.Nodes} {l.Front.Engine} nodes, {l.Steps.Count} steps, " +
                    $"{l.Steps.Sum(s => s.Actions.Count)} actions, {l.Steps.Sum(s => s.Checks.Count)} checks");
                return 0;
            }
            catch (LessonFileException e)
            {
                foreach (var error in e.Errors) Console.Error.WriteLine($"error: {path}:{error.Line}: {error.Message}");
                return ExitCodes.BadInput;
            }
        });
        cmd.Subcommands.Add(checkFile);
        return cmd;
    }
    /// <summary>The challenge's devnet gets a control route as devnet up gives one: `devnet fault … --dir` reaches it.</summary>
    private static async Task<IAsyncDisposable> OpenControlsAsync(Chainlab.Cli.Scenarios.ScenarioRunner.LiveDevnet live, CancellationToken ct)
    {
        var root = live.Supervisor.Root;
        var server = await DevnetControlServer.StartAsync(root, DevnetSupervisor.EnsureToken(root), live.Faults, ct);
        await File.WriteAllTextAsync(DevnetControl.PidFile(root), Environment.ProcessId.ToString(), CancellationToken.None);
        return new Closing(async () =>
        {
            File.Delete(DevnetControl.PidFile(root));
            await server.DisposeAsync();
        });
    }

    private sealed class Closing(Func<Task> close) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await close();
    }
}
