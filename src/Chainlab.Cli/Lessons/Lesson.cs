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
        Network = new Scenario.NetworkPart { Nodes = Front.Nodes, Consensus = Front.Engine, Authorities = Front.Authorities, BlockTime = Front.BlockTime },
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

    [YamlIgnore] public int Line { get; set; }

    public TimeSpan WithinSpan => Scenario.Span(Within ?? "30s", "within");

    public bool IsInvariant => Checks.Known.Contains(Check);

    /// <summary>The scenario invariant this check names, with its fields.</summary>
    public Scenario.InvariantPart ToInvariant() => new() { Check = Check, Depth = Depth ?? 2, Within = Within, MaxGap = MaxGap, By = By, MustExercise = true };
}

/// <summary>Reads the Markdown line by line: front matter, intro, steps and their yaml blocks; checks each against the devnet it describes.</summary>
internal sealed class LessonParser(string text, string path, List<LessonError> errors)
{
    private static IDeserializer Yaml() => new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    private void Error(int line, string message) => errors.Add(new LessonError(line, message));

    private string[] _front = [];

    /// <summary>The line of a front matter field (the front matter's first line when it is not there).</summary>
    private int FrontLine(string key)
    {
        var k = Array.FindIndex(_front, l => l.StartsWith(key + ":"));
        return k < 0 ? 1 : k + 2;
    }

    public Lesson? Parse()
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        if (!Lesson.IsName(name)) Error(1, $"the file name '{name}' must be lower-case letters, digits and dashes (it is the lesson's name)");
        if (text.Length > 1024 * 1024) { Error(1, "a lesson file is at most 1 MiB"); return null; }
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var i = 0;
        var front = new Lesson.FrontMatter();
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            var end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
            if (end < 0) { Error(1, "the front matter opened here is never closed with a line '---'"); return null; }
            _front = lines[1..end];
            front = ReadYaml<Lesson.FrontMatter>(string.Join('\n', _front), 1) ?? new Lesson.FrontMatter();
            i = end + 1;
        }
        else Error(1, "a lesson starts with its front matter: a line '---', then engine, nodes, blockTime, title…, then '---'");

        var intro = new List<string>();
        var steps = new List<LessonStep>();
        string? stepTitle = null;
        var stepLine = 0;
        var narration = new List<string>();
        var afterword = new List<string>();
        StepBlock? block = null;
        var blockLine = 0;
        void Close()
        {
            if (stepTitle is null) return;
            steps.Add(new LessonStep
            {
                Title = stepTitle, Line = stepLine, Narration = string.Join('\n', narration).Trim(), Afterword = string.Join('\n', afterword).Trim(),
                Actions = block?.Actions ?? new(), Checks = block?.Checks ?? new(),
            });
        }
        // Where prose goes: the intro before the first step, a step's narration before its block, its afterword after.
        List<string> Text() => stepTitle is null ? intro : block is null ? narration : afterword;
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            var n = i + 1;
            if (line.StartsWith("## "))
            {
                Close();
                (stepTitle, stepLine, narration, afterword, block) = (line[3..].Trim(), n, new List<string>(), new List<string>(), null);
                if (stepTitle.Length == 0) Error(n, "a step's heading needs a title");
                continue;
            }
            if (line.StartsWith("# ") && stepTitle is null)
            {
                if (front.Title.Length == 0) front.Title = line[2..].Trim();
                continue;
            }
            var fence = line.TrimStart();
            if (fence.StartsWith("```"))
            {
                var close = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith("```"));
                if (close < 0) { Error(n, "this fenced block is never closed with ```"); break; }
                if (fence[3..].Trim() == "yaml")
                {
                    if (stepTitle is null) Error(n, "a ```yaml block of actions and checks belongs to a step: put a '## ' heading above it");
                    else if (block is not null) Error(n, $"step '{stepTitle}' has a ```yaml block already (line {blockLine}): one block a step");
                    else
                    {
                        blockLine = n;
                        block = ReadBlock(lines[(i + 1)..close], n) ?? new StepBlock();
                    }
                }
                else Text().AddRange(lines[i..(close + 1)]);
                i = close;
                continue;
            }
            Text().Add(line);
        }
        Close();

        var lesson = new Lesson { Name = name, Path = path, Front = front, Intro = string.Join('\n', intro).Trim(), Steps = steps };
        Validate(lesson);
        return lesson;
    }

    /// <summary>Deserializes YAML whose first line is file line firstLine + 1; a mistake is an error at its file line.</summary>
    private T? ReadYaml<T>(string yaml, int offset) where T : class
    {
        try { return Yaml().Deserialize<T>(yaml); }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message is { } m ? $": {m}" : "";
            var said = Regex.Replace(e.Message + inner, @"Property '([^']+)' not found on type '[^']+'\.?", "unknown field '$1'");
            said = Regex.Replace(said, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", "");
            Error(offset + (int)e.Start.Line, said);
            return null;
        }
    }

    private StepBlock? ReadBlock(string[] yamlLines, int fenceLine)
    {
        var yaml = string.Join('\n', yamlLines);
        var block = ReadYaml<StepBlock>(yaml, fenceLine);
        if (block is null) return null;
        // Each action's and check's own line, for the errors below and for the run's messages.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
        {
            int[] LinesOf(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var seq) && seq is YamlSequenceNode s
                ? s.Children.Select(c => fenceLine + (int)c.Start.Line).ToArray() : [];
            var a = LinesOf("actions");
            for (var k = 0; k < block.Actions.Count && k < a.Length; k++) block.Actions[k].Line = a[k];
            var c = LinesOf("checks");
            for (var k = 0; k < block.Checks.Count && k < c.Length; k++) block.Checks[k].Line = c[k];
        }
        return block;
    }

    // Names given by deploy and add-file actions, for the actions and checks after them.
    private readonly HashSet<string> contracts = new(), files = new();

    private void Validate(Lesson lesson)
    {
        var f = lesson.Front;
        if (f.Title.Length == 0) Error(FrontLine("title"), "the lesson needs a title (title: in the front matter, or a '# ' line)");
        if (!Chainlab.Core.Model.ConsensusSpec.Engines.Contains(f.Engine)) Error(FrontLine("engine"), $"engine must be one of {string.Join(", ", Chainlab.Core.Model.ConsensusSpec.Engines)}");
        if (f.Nodes is < 1 or > 16) Error(FrontLine("nodes"), "nodes must be 1..16");
        if (f.Authorities < 1 || f.Authorities > f.Nodes) Error(FrontLine("authorities"), $"authorities must be 1..{f.Nodes} (the number of nodes)");
        if (f.Authorities > 1 && f.Engine != "poa") Error(FrontLine("authorities"), "authorities is for engine poa");
        try { if (Global.ParseDurationMs(f.BlockTime, "blockTime") < 100) Error(FrontLine("blockTime"), "blockTime must be at least 100ms"); }
        catch (CliException e) { Error(FrontLine("blockTime"), e.Message); }
        foreach (var m in f.Malicious)
        {
            if (m.Node < 1 || m.Node > f.Nodes) Error(FrontLine("malicious"), $"malicious: no node {m.Node} (1..{f.Nodes})");
            try { Chainlab.Node.Adversary.Misbehaviours.Parse(m.Behaviours); }
            catch (ArgumentException e) { Error(FrontLine("malicious"), $"malicious node {m.Node}: {e.Message}"); }
        }
        foreach (var next in f.Next)
            if (!Lesson.IsName(next)) Error(FrontLine("next"), $"next: '{next}' is not a lesson name");

        var sent = new HashSet<string>();
        foreach (var step in lesson.Steps)
        {
            foreach (var a in step.Actions) ValidateAction(a, f, sent);
            foreach (var c in step.Checks) ValidateCheck(c, f, sent);
        }
        if (f.Kind is not ("lesson" or "challenge")) Error(FrontLine("kind"), "kind must be lesson or challenge");
        if (AccountProblem(f.Player, f) is { } badPlayer) Error(FrontLine("player"), $"player: {badPlayer}");
        if (lesson.IsChallenge) ValidateChallenge(lesson);
        // Said only of a file that otherwise reads: a broken block would make them follow from it.
        if (errors.Count == 0 && lesson.Steps.Count == 0) Error(1, "the lesson has no steps: each begins with a '## ' heading");
        else if (errors.Count == 0 && lesson.Steps.All(s => s.Checks.Count == 0)) Error(1, "the lesson checks nothing: give at least one step a check");
    }

    private void ValidateChallenge(Lesson lesson)
    {
        foreach (var step in lesson.Steps)
        {
            var ok = step.Title switch
            {
                "Setup" => step.Checks.Count == 0 ? null : "the Setup step only acts: its checks belong in Goal",
                "Goal" => step.Actions.Count > 0 ? "the Goal step only checks: what the lab does first belongs in Setup" : step.Checks.Count == 0 ? "the Goal step needs checks: what the player must reach" : null,
                "Solution" => step.Checks.Count > 0 ? "the Solution step only acts: the Goal's checks tell whether it worked" : step.Actions.Count == 0 ? "the Solution step needs actions that reach the goal" : null,
                var t when t.StartsWith("Hint") => step.Actions.Count + step.Checks.Count > 0 ? "a hint is text only" : null,
                _ => $"a challenge's steps are Setup, Goal, Hint… and Solution, not '{step.Title}'",
            };
            if (ok is not null) Error(step.Line, ok);
        }
        foreach (var needed in new[] { "Setup", "Goal", "Solution" })
            if (lesson.Steps.Count(s => s.Title == needed) != 1) Error(1, $"a challenge has one '## {needed}' step");
        if (lesson.Hints.Count == 0) Error(1, "a challenge has at least one '## Hint' step");
        var order = lesson.Steps.Select(s => s.Title.StartsWith("Hint") ? "Hint" : s.Title).Distinct().ToList();
        if (errors.Count == 0 && !order.SequenceEqual(["Setup", "Goal", "Hint", "Solution"]))
            Error(1, "a challenge's steps come in the order Setup, Goal, Hint…, Solution");
    }

    private void ValidateAction(LessonAction a, Lesson.FrontMatter f, HashSet<string> sent)
    {
        void Bad(string what) => Error(a.Line, $"action {a.Action}: {what}");
        if (!LessonAction.Names.Contains(a.Action)) { Error(a.Line, $"unknown action '{a.Action}' ({string.Join(", ", LessonAction.Names)})"); return; }
        if (a.IsFault)
        {
            try { DevnetFaults.Validate(Scenario.Command(a.ToFault()), f.Nodes); }
            catch (CliException e) { Error(a.Line, e.Message); }
            return;
        }
        if (a.Action is "deploy" or "invoke")
        {
            if (a.Via is { } dv && (dv < 1 || dv > f.Nodes)) Bad($"via: no node {dv} (1..{f.Nodes})");
            if (a.From is null) Bad("needs from: the account that sends it");
            else if (AccountProblem(a.From, f) is { } why) Bad(why);
            if (a.Gas is 0 or > 10_000_000) Bad("gas must be 1..10,000,000");
        }
        switch (a.Action)
        {
            case "send":
                if (a.From is null || a.To is null || a.Amount == 0) Bad("needs from, to and an amount above 0");
                foreach (var acc in new[] { a.From, a.To }.OfType<string>())
                    if (AccountProblem(acc, f) is { } why) Bad(why);
                if (a.Via is { } v && (v < 1 || v > f.Nodes)) Bad($"via: no node {v} (1..{f.Nodes})");
                if (a.Name is { } name && !sent.Add(name)) Bad($"a transaction is named '{name}' already");
                break;
            case "wait":
                if (a.For is null) Bad("needs for: how long (e.g. 5s)");
                else Duration(a.For, a.Line, "for");
                break;
            case "deploy":
                if (string.IsNullOrWhiteSpace(a.Source)) Bad("needs source: the contract's Lua code");
                if (a.Name is null) Bad("needs name: what later actions and checks call the contract");
                else if (!contracts.Add(a.Name) || !sent.Add(a.Name)) Bad($"a contract or transaction is named '{a.Name}' already");
                break;
            case "invoke":
                if (a.Contract is null || !contracts.Contains(a.Contract)) Bad($"contract: no deploy action before it names a contract '{a.Contract}'");
                if (string.IsNullOrEmpty(a.Function)) Bad("needs function");
                if (a.Name is { } called && !sent.Add(called)) Bad($"a transaction is named '{called}' already");
                break;
            case "add-file":
                if (a.Text is null) Bad("needs text: what the file holds");
                if (a.Name is null) Bad("needs name: what later checks call the file");
                else if (!files.Add(a.Name)) Bad($"a file is named '{a.Name}' already");
                if (a.Via is { } fv && (fv < 1 || fv > f.Nodes)) Bad($"via: no node {fv} (1..{f.Nodes})");
                break;
            case "load":
                if (a.Rate is <= 0 or > 500) Bad("rate must be above 0 and at most 500 transactions per second");
                if (a.For is null) Bad("needs for: how long (e.g. 10s)");
                else Duration(a.For, a.Line, "for");
                break;
        }
    }

    private void ValidateCheck(LessonCheck c, Lesson.FrontMatter f, HashSet<string> sent)
    {
        void Bad(string what) => Error(c.Line, $"check {c.Check}: {what}");
        void Nodes(IEnumerable<int>? list, string field)
        {
            foreach (var n in list ?? [])
                if (n < 1 || n > f.Nodes) Bad($"{field}: no node {n} (1..{f.Nodes})");
        }
        if (!c.IsInvariant && !LessonChecks.Names.Contains(c.Check))
        {
            Error(c.Line, $"unknown check '{c.Check}' (lesson checks: {string.Join(", ", LessonChecks.Names)}; scenario invariants: {string.Join(", ", Checks.Known)})");
            return;
        }
        if (c.Within is { } w) Duration(w, c.Line, "within");
        if (c.MaxGap is { } g) Duration(g, c.Line, "maxGap");
        Nodes(c.Nodes, "nodes");
        Nodes(c.By, "by");
        Nodes(c.Without, "without");
        foreach (var group in c.Groups ?? []) Nodes(group, "groups");
        if (c.Node is { } node) Nodes([node], "node");
        if (c.Depth is < 0 or > 1000) Bad("depth must be 0..1000");
        switch (c.Check)
        {
            case "heads-differ" when c.Groups is not { Count: >= 2 } || c.Groups.Any(x => x.Count == 0):
                Bad("needs groups: at least two groups of nodes, e.g. [[1, 2], [3, 4]]");
                break;
            case "height-at-least" when c.Height is null:
                Bad("needs height");
                break;
            case "tx-included" when c.Tx is null:
                Bad("needs tx: the name a send action gave its transaction");
                break;
            case "tx-included" when !sent.Contains(c.Tx):
                Bad($"no send action before it names a transaction '{c.Tx}'");
                break;
            case "balance" or "stake":
                if (c.Account is null) Bad("needs account (dev1..dev4, or nodeN)");
                else if (!contracts.Contains(c.Account) && AccountProblem(c.Account, f) is { } why) Bad(why);
                if (c.AtLeast is null && c.Below is null) Bad("needs atLeast or below");
                break;
            case "peers" when c.AtLeast is null && c.Below is null:
                Bad("needs atLeast or below (a number of links)");
                break;
            case "producers" when c.Blocks is < 1 or > 100:
                Bad("blocks must be 1..100");
                break;
            case "receipt" when c.Tx is null || !sent.Contains(c.Tx):
                Bad($"needs tx: the name a send or invoke action before it gave its transaction");
                break;
            case "call":
                if (c.Contract is null || !contracts.Contains(c.Contract)) Bad($"contract: no deploy action before it names a contract '{c.Contract}'");
                if (string.IsNullOrEmpty(c.Function)) Bad("needs function");
                if (c.EqualsValue is null) Bad("needs equals: the value the call must answer");
                break;
            case "file-found" when c.File is null || !files.Contains(c.File) || f.Kind == "challenge":
                Bad($"needs file: the name an add-file action before it gave the file");
                break;
            case "slashed" when c.Node is null:
                Bad("needs node: the validator that must be slashed");
                break;
            case "slashed" when f.Engine != "pos":
                Bad("only proof of stake slashes (engine: pos)");
                break;
        }
    }

    private void Duration(string text, int line, string field)
    {
        try { Global.ParseDurationMs(text, field); }
        catch (CliException e) { Error(line, e.Message); }
    }

    /// <summary>Why an account name does not name an account of this lesson's devnet, or null.</summary>
    internal static string? AccountProblem(string account, Lesson.FrontMatter f)
    {
        var m = Regex.Match(account, "^(dev|node)([0-9]{1,3})$");
        if (!m.Success) return $"'{account}' is not an account: dev1..dev4, or node1..node{f.Nodes} (a node's producer key)";
        var k = int.Parse(m.Groups[2].Value);
        if (m.Groups[1].Value == "dev" && k is < 1 or > 4) return $"'{account}': the devnet's dev accounts are dev1..dev4";
        var producers = f.Engine == "poa" ? f.Authorities : f.Nodes;
        if (m.Groups[1].Value == "node" && (k < 1 || k > producers)) return $"'{account}': node{k} has no producer key (node1..node{producers} do)";
        return null;
    }
}
