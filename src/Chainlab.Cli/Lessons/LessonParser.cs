using System.Text.RegularExpressions;
using Chainlab.Cli.Devnets;
using Chainlab.Cli.Scenarios;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Chainlab.Cli.Lessons;

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
        if (!LessonPlot.Kinds.Contains(f.Plot)) Error(FrontLine("plot"), $"plot must be one of {string.Join(", ", LessonPlot.Kinds)}");
        else if (f.Plot == "selfish" && !f.Malicious.Any(m => m.Behaviours.Contains("selfish-mine"))) Error(FrontLine("plot"), "plot selfish needs a node that is malicious with selfish-mine from the start");
        if (f.Finality && f.Engine == "pow") Error(FrontLine("finality"), "finality is for pos and poa: proof of work has no voters");
        if (DevnetSettings.HashPowerProblem(f.HashPower, f.Engine, f.Nodes) is { } hp) Error(FrontLine("hashPower"), $"hashPower: {hp}");
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
                if (a.From is not null && AccountProblem(a.From, f) is { } whyFrom) Bad(whyFrom);
                if (a.To is not null && AccountProblem(a.To, f, keyed: false) is { } whyTo) Bad(whyTo);
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
                else if (!contracts.Contains(c.Account) && AccountProblem(c.Account, f, keyed: false) is { } why) Bad(why);
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
            case "finality" when !f.Finality || f.Engine == "pow":
                Bad("the lesson's chain does not finalise: set finality: true in the front matter (pos or poa)");
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

    /// <summary>
    /// Why an account name does not name an account of this lesson's devnet, or null. keyed: the lab must sign
    /// with it (merchant, the double-spend misbehaviour's merchant, has no key: it only receives and is looked at).
    /// </summary>
    internal static string? AccountProblem(string account, Lesson.FrontMatter f, bool keyed = true)
    {
        if (account == "merchant") return keyed ? "merchant has no key: it only receives (the double-spend misbehaviour pays it)" : null;
        var m = Regex.Match(account, "^(dev|node)([0-9]{1,3})$");
        if (!m.Success) return $"'{account}' is not an account: dev1..dev4, node1..node{f.Nodes} (a node's producer key) or merchant";
        var k = int.Parse(m.Groups[2].Value);
        if (m.Groups[1].Value == "dev" && k is < 1 or > 4) return $"'{account}': the devnet's dev accounts are dev1..dev4";
        var producers = f.Engine == "poa" ? f.Authorities : f.Nodes;
        if (m.Groups[1].Value == "node" && (k < 1 || k > producers)) return $"'{account}': node{k} has no producer key (node1..node{producers} do)";
        return null;
    }
}
