using System.Text.RegularExpressions;
using Chainlab.Cli.Devnets;
using Chainlab.Cli.Scenarios;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Chainlab.Cli.Lessons;

/// <summary>A mistake in a lesson file, at a line of it (1-based).</summary>
public sealed record LessonError(int Line, string Message);

/// <summary>A lesson file that does not read: every mistake found, each at its line.</summary>
public sealed class LessonFileException(string path, IReadOnlyList<LessonError> errors)
    : Exception($"{path}:{errors[0].Line}: {errors[0].Message}" + (errors.Count > 1 ? $" (and {errors.Count - 1} more; see chainlab lab check-file)" : ""))
{
    public string Path { get; } = path;
    public IReadOnlyList<LessonError> Errors { get; } = errors;
}

/// <summary>
/// A lesson (lessons/NAME.md): Markdown with a front matter between two `---` lines (the devnet it runs on), an
/// introduction, and steps, each a `## ` heading with narration and at most one fenced ```yaml block of actions
/// and checks. Actions are the scenario faults (docs/scenarios.md: partition, heal, kill, pause, misbehave…) and
/// send, wait and load; checks are the scenario invariants and lesson checks (LessonChecks.Names). docs/LEARN.md
/// describes the format.
/// </summary>
public sealed class Lesson
{
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    public FrontMatter Front { get; init; } = new();
    /// <summary>The text between the front matter and the first step (its `# ` title line left out).</summary>
    public string Intro { get; init; } = "";
    public List<LessonStep> Steps { get; init; } = new();

    public string Title => Front.Title;

    // A challenge (kind: challenge) has four kinds of step, by title: Setup (actions the lab does first), Goal
    // (what the player must reach: its checks, read from chain state), Hint… (told only when asked), Solution
    // (actions that reach the goal, run only with --solution).
    public bool IsChallenge => Front.Kind == "challenge";
    public LessonStep? Setup => Steps.FirstOrDefault(s => s.Title == "Setup");
    public LessonStep? Goal => Steps.FirstOrDefault(s => s.Title == "Goal");
    public IReadOnlyList<LessonStep> Hints => Steps.Where(s => s.Title.StartsWith("Hint")).ToList();
    public LessonStep? Solution => Steps.FirstOrDefault(s => s.Title == "Solution");

    /// <summary>What the lesson runs on, in the scenario's words: its network and its malicious nodes; no load, no timed faults.</summary>
    public Scenario ToScenario() => new()
    {
        Name = Name,
        About = Front.About,
        Network = new Scenario.NetworkPart { Nodes = Front.Nodes, Consensus = Front.Engine, Authorities = Front.Authorities, BlockTime = Front.BlockTime, HashPower = Front.HashPower, Finality = Front.Finality },
        Load = new Scenario.LoadPart { Rate = 0 },
        Malicious = Front.Malicious.Select(m => new Scenario.MaliciousPart { Node = m.Node, Behaviours = m.Behaviours.ToList() }).ToList(),
    };

    public sealed class FrontMatter
    {
        public string Title { get; set; } = "";
        public string About { get; set; } = "";
        /// <summary>poa, pos or pow.</summary>
        public string Engine { get; set; } = "poa";
        public int Nodes { get; set; } = 4;
        public int Authorities { get; set; } = 1;
        public string BlockTime { get; set; } = "1s";
        /// <summary>How long the lesson takes, roughly, as the list shows it ("3 min").</summary>
        public string Duration { get; set; } = "";
        /// <summary>Lessons or challenges to try next, shown in the summary.</summary>
        public List<string> Next { get; set; } = new();
        /// <summary>lesson, or challenge (docs/LEARN.md).</summary>
        public string Kind { get; set; } = "lesson";
        /// <summary>A challenge's player: the account whose key the learner is given (default dev2).</summary>
        public string Player { get; set; } = "dev2";
        /// <summary>Nodes that misbehave from the start, as in a scenario.</summary>
        public List<Scenario.MaliciousPart> Malicious { get; set; } = new();
        /// <summary>pow: each miner's share of the hash power in per cent, node 1 first (DevnetSettings.HashPower).</summary>
        public List<int>? HashPower { get; set; }
        /// <summary>pos, poa: the chain finalises (a checkpoint every 8 blocks), as with devnet up --finality.</summary>
        public bool Finality { get; set; }
        /// <summary>The figure the run keeps for the Learn page: heights (default), shares or selfish (LessonPlot).</summary>
        public string Plot { get; set; } = "heights";
    }

    /// <summary>The names a lesson file may take: the file name without .md.</summary>
    public static bool IsName(string name) => Regex.IsMatch(name, "^[a-z0-9][a-z0-9-]{0,63}$");

    /// <summary>Reads a lesson file; a missing file is a CliException, a bad one a LessonFileException.</summary>
    public static Lesson Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
        return Parse(text, path);
    }

    /// <summary>Parses and checks a lesson; every mistake found goes into one LessonFileException, each at its line.</summary>
    public static Lesson Parse(string text, string path)
    {
        var errors = new List<LessonError>();
        var lesson = new LessonParser(text, path, errors).Parse();
        if (errors.Count > 0) throw new LessonFileException(path, errors.OrderBy(e => e.Line).ToList());
        return lesson!;
    }
}

/// <summary>One step: a heading, narration, then its actions (in order) and its checks (each awaited in turn).</summary>
public sealed class LessonStep
{
    public string Title { get; init; } = "";
    public int Line { get; init; }
    /// <summary>The text above the step's ```yaml block, told before its actions.</summary>
    public string Narration { get; init; } = "";
    /// <summary>The text below it, told once every check of the step has passed.</summary>
    public string Afterword { get; init; } = "";
    public List<LessonAction> Actions { get; init; } = new();
    public List<LessonCheck> Checks { get; init; } = new();
}

/// <summary>A step's ```yaml block.</summary>
public sealed class StepBlock
{
    public List<LessonAction> Actions { get; set; } = new();
    public List<LessonCheck> Checks { get; set; } = new();
}

/// <summary>
/// Something the lab does: a scenario fault (the fields of a scenario's faults, without at) or send, wait, load.
/// </summary>
public sealed class LessonAction
{
    public static readonly string[] LessonActions = ["send", "wait", "load", "deploy", "invoke", "add-file"];
    public static IEnumerable<string> Names => FaultCommand.Actions.Concat(LessonActions);

    public string Action { get; set; } = "";
    // The fault's fields, as in a scenario.
    public List<int>? Nodes { get; set; }
    public List<List<int>>? Groups { get; set; }
    public List<int>? Bridge { get; set; }
    public string? Delay { get; set; }
    public string? Jitter { get; set; }
    public double Loss { get; set; }
    public string? By { get; set; }
    public List<string>? Behaviours { get; set; }
    // send: an account (dev1..dev4, or nodeN for a node's producer key) pays another.
    public string? From { get; set; }
    public string? To { get; set; }
    public ulong Amount { get; set; }
    /// <summary>send: the name later checks call the transaction by.</summary>
    public string? Name { get; set; }
    /// <summary>send: the node it is submitted to (default the first honest node).</summary>
    public int? Via { get; set; }
    // wait and load.
    public string? For { get; set; }
    public double Rate { get; set; }
    // deploy (source, args, gas; name: the contract's name for later actions and checks) and invoke (contract,
    // function, args, gas, amount; name: the transaction's). In args, "$dev2" or "$node1" is that account's
    // address and "$NAME" a contract's; a string of digits is a number.
    public string? Source { get; set; }
    public List<object>? Args { get; set; }
    public ulong Gas { get; set; } = 100_000;
    public string? Contract { get; set; }
    public string? Function { get; set; }
    // add-file: the text stored (name: the file's name for later checks), through node via.
    public string? Text { get; set; }

    [YamlIgnore] public int Line { get; set; }

    public bool IsFault => FaultCommand.Actions.Contains(Action);

    public Scenario.FaultPart ToFault() => new()
    {
        Action = Action, Nodes = Nodes, Groups = Groups, Bridge = Bridge, Delay = Delay, Jitter = Jitter, Loss = Loss, By = By, Behaviours = Behaviours,
    };
}

/// <summary>Something the lab verifies live: a scenario invariant or a lesson check, awaited until it passes or its time is up.</summary>
public sealed class LessonCheck
{
    public string Check { get; set; } = "";
    /// <summary>What the learner is told when it passes ("both halves now have their own head").</summary>
    public string? Say { get; set; }
    /// <summary>How long the lab waits for it (default 30s).</summary>
    public string? Within { get; set; }
    // A scenario invariant's fields.
    public int? Depth { get; set; }
    public string? MaxGap { get; set; }
    public List<int>? By { get; set; }
    // Lesson checks' fields.
    public List<List<int>>? Groups { get; set; }
    public List<int>? Nodes { get; set; }
    public int? Node { get; set; }
    public string? Tx { get; set; }
    public bool Proof { get; set; }
    public string? Account { get; set; }
    public ulong? AtLeast { get; set; }
    public ulong? Below { get; set; }
    public ulong? Height { get; set; }
    /// <summary>producers: how many blocks to look at (default 5).</summary>
    public int? Blocks { get; set; }
    /// <summary>producers: nodes that must have made none of them.</summary>
    public List<int>? Without { get; set; }
    /// <summary>receipt: whether the transaction must have succeeded (true) or failed (false).</summary>
    public bool? Success { get; set; }
    /// <summary>receipt: words its error must contain.</summary>
    public string? Error { get; set; }
    /// <summary>call: the contract (by its deploy's name), function and args; equals: the value it must answer (as JSON).</summary>
    public string? Contract { get; set; }
    public string? Function { get; set; }
    public List<object>? Args { get; set; }
    [YamlMember(Alias = "equals")] public object? EqualsValue { get; set; }
    /// <summary>file-found: the file (by its add-file's name).</summary>
    public string? File { get; set; }
    /// <summary>finality: the final height must have grown since the step began (true, default), or stayed while the heads grew `blocks` (false).</summary>
    public bool? Grows { get; set; }

    [YamlIgnore] public int Line { get; set; }

    public TimeSpan WithinSpan => Scenario.Span(Within ?? "30s", "within");

    public bool IsInvariant => Checks.Known.Contains(Check);

    /// <summary>The scenario invariant this check names, with its fields.</summary>
    public Scenario.InvariantPart ToInvariant() => new() { Check = Check, Depth = Depth ?? 2, Within = Within, MaxGap = MaxGap, By = By, MustExercise = true };
}
