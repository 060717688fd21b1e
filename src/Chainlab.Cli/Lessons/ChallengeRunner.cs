using System.Text.Json;
using Chainlab.Cli.Devnets;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Cli.Lessons;

/// <summary>What `lab play` leaves in the challenge's folder for `lab check`: where the nodes answer and what the setup named.</summary>
public sealed record ChallengeState(string Challenge, int Nodes, Dictionary<string, string> Contracts, Dictionary<string, string> Txs, string Player);

/// <summary>
/// Plays a challenge (a lesson file with kind: challenge): starts its devnet, does its Setup, tells the Goal and
/// checks that it is not reached yet. With the solution, it then does the Solution's actions and waits for the
/// Goal's checks; without, it writes challenge.json and keeps the devnet up for the player until Ctrl+C, while
/// `lab check` (another terminal) reads the goal from chain state.
/// </summary>
/// <param name="controls">Opens the devnet's control route once the nodes are up (so `devnet fault … --dir` works on
/// the challenge's devnet, as on one started with devnet up); what it answers is closed when the play ends.</param>
internal sealed class ChallengeRunner(Lesson challenge, string dir, int? apiPort, int? p2pPort, bool solution, TextWriter output,
    Func<ScenarioRunner.LiveDevnet, CancellationToken, Task<IAsyncDisposable>>? controls = null)
{
    public const string StateFile = "challenge.json";

    public async Task PlayAsync(CancellationToken ct)
    {
        var f = challenge.Front;
        var scenario = challenge.ToScenario();
        var runner = new ScenarioRunner(scenario, dir, null, TextWriter.Null);
        var actor = new LessonActor(challenge, dir);
        output.WriteLine($"Challenge: {challenge.Title}");
        output.WriteLine(new string('=', Math.Min(challenge.Title.Length + 11, 78)));
        if (challenge.Intro.Length > 0) output.WriteLine(challenge.Intro);
        output.WriteLine();
        output.WriteLine($"Starting {f.Nodes} {f.Engine} nodes (block time {f.BlockTime}) in {dir} …");
        await using var live = await runner.StartDevnetAsync(apiPort, p2pPort, ct);
        await using var control = controls is null ? null : await controls(live, ct);
        foreach (var a in challenge.Setup!.Actions)
            output.WriteLine($"  > {await actor.ActAsync(a, runner, live, scenario, ct)}");
        var state = new ChallengeState(challenge.Name, f.Nodes, actor.Contracts.ToDictionary(c => c.Key, c => c.Value.ToString()),
            actor.Txs.ToDictionary(), f.Player);
        File.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(state, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));

        output.WriteLine();
        output.WriteLine("The goal");
        output.WriteLine("--------");
        if (challenge.Goal!.Narration.Length > 0) output.WriteLine(challenge.Goal.Narration);
        var context = actor.Context(live, new Dictionary<int, (long Count, ulong Deepest)>(), 0);
        var before = await GoalAsync(challenge, context, output, ct);
        if (before) throw new CliException($"the goal of {challenge.Name} is reached before anyone played: the challenge is broken");
        output.WriteLine();
        output.WriteLine($"You play {f.Player}: key file {Path.Combine(live.Keys, f.Player + ".json")}, password in {Path.Combine(live.Keys, "password")}.");
        output.WriteLine($"Node 1's API: http://127.0.0.1:{live.Supervisor.ApiPort(1)} (export CHAINLAB_NODE=http://127.0.0.1:{live.Supervisor.ApiPort(1)})");
        foreach (var (name, address) in actor.Contracts) output.WriteLine($"  contract {name}: {address}");
        if (control is not null) output.WriteLine($"The devnet's faults are yours too: chainlab devnet fault ACTION --dir {dir} (partition, heal, latency, kill, pause…)");
        output.WriteLine($"Check your progress: chainlab lab check {challenge.Name}" + (IsDefaultDir ? "" : $" --dir {dir}") + $"; a hint: chainlab lab hint {challenge.Name}");

        if (!solution)
        {
            output.WriteLine("The devnet runs until Ctrl+C.");
            await Task.Delay(Timeout.Infinite, ct);
            return;
        }
        output.WriteLine();
        output.WriteLine("The solution");
        output.WriteLine("------------");
        if (challenge.Solution!.Narration.Length > 0) output.WriteLine(challenge.Solution.Narration);
        foreach (var a in challenge.Solution.Actions)
            output.WriteLine($"  > {await actor.ActAsync(a, runner, live, scenario, ct)}");
        context = actor.Context(live, new Dictionary<int, (long Count, ulong Deepest)>(), 0);
        foreach (var c in challenge.Goal.Checks)
        {
            var s = await LessonRunner.AwaitCheckAsync(c, context, ct);
            if (!s.Passed) throw new CliException($"the solution did not reach the goal: check {c.Check} (line {c.Line}): {s.Evidence}");
            output.WriteLine($"  ✓ {c.Say ?? c.Check}: {s.Evidence}");
        }
        if (challenge.Solution.Afterword.Length > 0) output.WriteLine(challenge.Solution.Afterword);
        output.WriteLine("Solved.");
    }

    private bool IsDefaultDir => Path.GetFullPath(dir) == Path.GetFullPath(DefaultDir(challenge.Name));

    public static string DefaultDir(string name) => Path.Combine(".chainlab", "challenges", name);

    /// <summary>Each check of the goal, once, as it stands now; true when every one passes.</summary>
    internal static async Task<bool> GoalAsync(Lesson challenge, LessonChecks.Context context, TextWriter output, CancellationToken ct)
    {
        var all = true;
        foreach (var c in challenge.Goal!.Checks)
        {
            var s = await LessonChecks.EvaluateAsync(c, context, ct);
            all &= s.Passed;
            output.WriteLine($"  {(s.Passed ? "✓" : "✗")} {c.Say ?? c.Check}: {s.Evidence}");
        }
        return all;
    }

    /// <summary>`lab check`: the goal against the devnet a `lab play` keeps up in dir, from chain state alone.</summary>
    public static async Task<bool> CheckAsync(Lesson challenge, string dir, TextWriter output, CancellationToken ct)
    {
        var path = Path.Combine(dir, StateFile);
        if (!File.Exists(path)) throw new CliException($"no challenge is being played in {dir}: start it with chainlab lab play {challenge.Name}", ExitCodes.NotFound);
        ChallengeState state;
        try { state = JsonSerializer.Deserialize<ChallengeState>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!; }
        catch (JsonException e) { throw new CliException($"{path}: {e.Message}", ExitCodes.BadInput); }
        if (state is null || state.Nodes < 1 || state.Nodes > 16 || state.Contracts is null || state.Txs is null)
            throw new CliException($"{path} is not what chainlab lab play writes: start the challenge again", ExitCodes.BadInput);
        if (state.Challenge != challenge.Name) throw new CliException($"{dir} holds challenge {state.Challenge}, not {challenge.Name}", ExitCodes.BadInput);
        var settings = DevnetSettings.Load(dir);
        var supervisor = new DevnetSupervisor(dir, settings); // not started: it only knows the ports and keys
        var probes = Enumerable.Range(1, state.Nodes).ToDictionary(n => n, n => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{supervisor.ApiPort(n)}"), Timeout = TimeSpan.FromSeconds(5) });
        try
        {
            var spec = Chainlab.Core.Model.ChainSpec.FromJson(File.ReadAllText(Path.Combine(dir, Chainlab.Node.Hosting.NodeCore.SpecFileName)));
            var o = new Observations(challenge.ToScenario(), spec, Enumerable.Range(1, state.Nodes).ToHashSet(), n => probes[n], _ => true);
            var live = new ScenarioRunner.LiveDevnet(supervisor, new DevnetFaults(supervisor), o, spec, Path.Combine(dir, "keys"), probes);
            if (await o.GetAsync(1, "/api/v1/status", ct) is null)
                throw new CliException($"node 1 of the challenge's devnet (port {supervisor.ApiPort(1)}) does not answer: is chainlab lab play {challenge.Name} still running?", ExitCodes.Unreachable);
            var actor = new LessonActor(challenge, dir);
            actor.Remember(state.Txs, state.Contracts);
            output.WriteLine($"{challenge.Title}: the goal");
            var solved = await GoalAsync(challenge, actor.Context(live, new Dictionary<int, (long Count, ulong Deepest)>(), 0), output, ct);
            output.WriteLine(solved ? "Solved." : $"Not yet. A hint: chainlab lab hint {challenge.Name}");
            return solved;
        }
        finally
        {
            foreach (var p in probes.Values) p.Dispose();
        }
    }
}
