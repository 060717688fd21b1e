using System.CommandLine;
using Chainlab.Cli.Lessons;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab lab list|run|check-file: guided lessons that run on a devnet of their own (docs/LEARN.md).</summary>
public static class LabCommands
{
    /// <summary>The lessons/ folder of the checkout (or of the working folder), found upwards.</summary>
    public static string? LibraryDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "lessons");
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.md").Any()) return candidate;
            }
        return null;
    }

    private static string Library(string? given) =>
        given is not null
            ? Directory.Exists(given) ? given : throw new CliException($"--lessons {given}: no such folder", ExitCodes.BadInput)
            : LibraryDir() ?? throw new CliException("no lessons/ folder here or above; give --lessons DIR", ExitCodes.NotFound);

    /// <summary>A lesson by name from the library, or a lesson file by its path.</summary>
    private static Lesson Find(string nameOrFile, string? lessons)
    {
        if (nameOrFile.EndsWith(".md") && File.Exists(nameOrFile)) return ReadOrSay(nameOrFile);
        if (!Lesson.IsName(nameOrFile)) throw new CliException($"'{nameOrFile}' is not a lesson name (see chainlab lab list) nor a lesson file", ExitCodes.BadInput);
        var dir = Library(lessons);
        var path = Path.Combine(dir, nameOrFile + ".md");
        if (!File.Exists(path)) throw new CliException($"no lesson '{nameOrFile}' in {dir} (see chainlab lab list)", ExitCodes.NotFound);
        return ReadOrSay(path);
    }

    private static Lesson ReadOrSay(string path)
    {
        try { return Lesson.Read(path); }
        catch (LessonFileException e) { throw new CliException(e.Message, ExitCodes.BadInput); }
    }

    public static Command Build()
    {
        var cmd = new Command("lab", "Guided lessons on a live devnet of their own: narrated steps, actions and live checks (docs/LEARN.md)");
        var lessons = new Option<string?>("--lessons") { Description = "Folder of lesson files (default the lessons/ folder of the checkout)" };

        var list = new Command("list", "List the lessons: name, engine, nodes, duration and title") { lessons };
        list.SetAction(pr =>
        {
            var dir = Library(pr.GetValue(lessons));
            var rows = new List<object>();
            foreach (var file in Directory.GetFiles(dir, "*.md").Order(StringComparer.Ordinal))
            {
                try
                {
                    var l = Lesson.Read(file);
                    rows.Add(new { name = l.Name, title = l.Title, engine = l.Front.Engine, nodes = l.Front.Nodes, duration = l.Front.Duration, steps = l.Steps.Count, about = l.Front.About });
                    if (!pr.GetValue(Global.Json)) Console.Out.WriteLine($"{l.Name,-24} {l.Front.Engine,-4} {l.Front.Nodes,2} nodes  {l.Front.Duration,-7} {l.Title}");
                }
                catch (LessonFileException e)
                {
                    // One broken file must not hide the others: say what is wrong with it and go on.
                    Console.Error.WriteLine($"warning: {e.Message}");
                }
            }
            if (pr.GetValue(Global.Json)) Global.PrintJson(rows);
            else if (rows.Count > 0) Console.Out.WriteLine("Run one with: chainlab lab run NAME (add --auto to go on without Enter)");
            return 0;
        });
        cmd.Subcommands.Add(list);

        var name = new Argument<string>("name") { Description = "A lesson's name (chainlab lab list), or a lesson file" };
        var auto = new Option<bool>("--auto") { Description = "Go on to each next step without waiting for Enter" };
        var dir = new Option<string?>("--dir") { Description = "Folder for the lesson's devnet (default .chainlab/lessons/NAME; replaced on each run)" };
        var port = new Option<int?>("--port") { Description = "API port of node 1; node i listens on PORT + i - 1 (default: free ports)" };
        var p2pPort = new Option<int?>("--p2p-port") { Description = "Peer port of node 1; node i listens on PORT + i - 1 (default: free ports)" };
        var run = new Command("run", "Run a lesson: start its devnet, narrate each step, do its actions and show each check as it passes; exit 0 only when every check passed")
            { name, auto, dir, port, p2pPort, lessons };
        run.SetAction(async (pr, ct) =>
        {
            var lesson = Find(pr.GetValue(name)!, pr.GetValue(lessons));
            foreach (var (p, what) in new[] { (pr.GetValue(port), "--port"), (pr.GetValue(p2pPort), "--p2p-port") })
                if (p is { } v && (v < 1 || v + lesson.Front.Nodes - 1 > 65535)) throw new CliException($"{what} {v}: the ports {v}..{v + lesson.Front.Nodes - 1} must be 1..65535", ExitCodes.BadInput);
            var root = Path.GetFullPath(pr.GetValue(dir) ?? Path.Combine(".chainlab", "lessons", lesson.Name));
            using var shutdown = new Shutdown(ct);
            try
            {
                await new LessonRunner(lesson, root, pr.GetValue(port), pr.GetValue(p2pPort), pr.GetValue(auto), Console.Out, Console.In).RunAsync(shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
                Console.Out.WriteLine();
                Console.Out.WriteLine("Stopped: every node of the lesson's devnet is shut down.");
                return 130;
            }
            return 0;
        });
        cmd.Subcommands.Add(run);

        var file = new Argument<string>("file") { Description = "A lesson file (Markdown), e.g. lessons/transaction-life.md" };
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
}
