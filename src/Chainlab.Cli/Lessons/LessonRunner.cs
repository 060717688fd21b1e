using System.Diagnostics;
using Chainlab.Cli.Devnets;
using Chainlab.Cli.Scenarios;
using Chainlab.Client;
using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Lessons;

/// <summary>How a lesson run ended: how long it took, its checks, its figures.</summary>
public sealed record LessonResult(TimeSpan Took, int ChecksPassed, IReadOnlyDictionary<string, object> Figures);

/// <summary>
/// Runs a lesson on a devnet of its own, started the way a scenario starts one (ScenarioRunner.StartDevnetAsync)
/// and sampled the same way: each step's narration, its actions, then each check awaited until it passes (the
/// run stops at the first that does not, naming it), a pause for Enter between steps unless auto, and a summary.
/// Every node stops when the run ends, fails or is cancelled (Ctrl+C).
/// </summary>
public sealed class LessonRunner(Lesson lesson, string dir, int? apiPort, int? p2pPort, bool auto, TextWriter output, TextReader input)
{
    private readonly LessonActor _actor = new(lesson, dir);

    public async Task<LessonResult> RunAsync(CancellationToken ct)
    {
        try { return await RunInnerAsync(ct); }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // An HTTP time limit, not Ctrl+C: say so rather than end as if stopped.
            if (Environment.GetEnvironmentVariable("CHAINLAB_LAB_TRACE") is not null) Console.Error.WriteLine(e);
            throw new CliException($"a node of the lesson's devnet did not answer in time ({e.Message}); the machine may be too busy: see the logs in {Path.Combine(dir, "logs")}", ExitCodes.Timeout);
        }
    }

    private async Task<LessonResult> RunInnerAsync(CancellationToken ct)
    {
        var f = lesson.Front;
        var scenario = lesson.ToScenario();
        var runner = new ScenarioRunner(scenario, dir, null, TextWriter.Null);
        output.WriteLine($"{lesson.Title}");
        output.WriteLine(new string('=', Math.Min(lesson.Title.Length, 78)));
        if (lesson.Intro.Length > 0) output.WriteLine(lesson.Intro);
        output.WriteLine();
        output.WriteLine($"Starting {f.Nodes} {f.Engine} nodes (block time {f.BlockTime}) in {dir} …");
        var clock = Stopwatch.StartNew();
        await using var live = await runner.StartDevnetAsync(apiPort, p2pPort, ct);
        var o = live.Observations;
        output.WriteLine($"The devnet is up: node 1's API at http://127.0.0.1:{live.Supervisor.ApiPort(1)} (try `chainlab --node http://127.0.0.1:{live.Supervisor.ApiPort(1)} node status` in another terminal).");
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(() => runner.SampleLoop(o, 2, stopSampling.Token), CancellationToken.None);
        var plotter = Task.Run(() => LessonPlot.WriteLoopAsync(lesson, o, dir, stopSampling.Token), CancellationToken.None);
        var passed = 0;
        try
        {
            for (var k = 0; k < lesson.Steps.Count; k++)
            {
                var step = lesson.Steps[k];
                output.WriteLine();
                output.WriteLine($"Step {k + 1} of {lesson.Steps.Count}: {step.Title}");
                if (step.Narration.Length > 0) output.WriteLine(step.Narration);
                var reorgs = new Dictionary<int, (long Count, ulong Deepest)>();
                var heights = new Dictionary<int, (ulong Head, ulong Final)>();
                for (var n = 1; n <= f.Nodes; n++)
                    if (await o.GetAsync(n, "/api/v1/status", ct) is { } st)
                    {
                        reorgs[n] = (st["forks"]!["reorgs"]!.GetValue<long>(), st["forks"]!["deepestReorg"]!.GetValue<ulong>());
                        heights[n] = (st["headHeight"]!.GetValue<ulong>(), st["finalizedHeight"] is System.Text.Json.Nodes.JsonValue fin ? fin.GetValue<ulong>() : 0);
                    }
                foreach (var a in step.Actions)
                    output.WriteLine($"  [{runner.Now,5:0.0}s] > {await _actor.ActAsync(a, runner, live, scenario, ct)}");
                ulong height = 0;
                for (var n = 1; n <= f.Nodes; n++)
                    if (o.Honest.Contains(n) && await o.GetAsync(n, "/api/v1/status", ct) is { } st) height = Math.Max(height, st["headHeight"]!.GetValue<ulong>());
                var context = _actor.Context(live, reorgs, height, heights);
                foreach (var c in step.Checks)
                {
                    var state = await AwaitCheckAsync(c, context, ct);
                    if (!state.Passed)
                        throw new CliException($"step {k + 1} '{step.Title}': check {c.Check} (line {c.Line}) did not pass within {c.WithinSpan.TotalSeconds:0.#} s: {state.Evidence}");
                    passed++;
                    output.WriteLine($"  [{runner.Now,5:0.0}s] ✓ {c.Say ?? c.Check}: {state.Evidence}");
                }
                if (step.Afterword.Length > 0) output.WriteLine(step.Afterword);
                if (!auto && k < lesson.Steps.Count - 1) await PauseAsync(ct);
            }
        }
        finally
        {
            Shutdown.Trace("stopping the sampler");
            stopSampling.Cancel();
            await sampler;
            await plotter;
            Shutdown.Trace("sampler stopped; stopping the nodes");
        }
        var figures = await Figures.MeasureAsync(o, ct);
        var result = new LessonResult(clock.Elapsed, passed, figures);
        output.WriteLine();
        output.WriteLine($"Done: {lesson.Steps.Count} steps, {passed} checks passed, in {result.Took.TotalSeconds:0} s.");
        foreach (var key in new[] { "best honest height", "transactions sent", "reorganisations on honest nodes", "deepest reorganisation", "slashes", "bans held by honest nodes" })
            if (figures.TryGetValue(key, out var v)) output.WriteLine($"  {key}: {v}");
        if (File.Exists(Path.Combine(dir, LessonPlot.FileName)) && System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, LessonPlot.FileName), CancellationToken.None)) is System.Text.Json.Nodes.JsonObject plot)
            foreach (var line in LessonPlot.Summary(plot)) output.WriteLine(line);
        if (f.Next.Count > 0)
        {
            output.WriteLine("Try this next:");
            foreach (var next in f.Next) output.WriteLine($"  chainlab lab run {next}");
        }
        output.WriteLine("The devnet stops now; its folder stays for a look at the logs: " + dir);
        return result;
    }

    /// <summary>Asks every half second until the check passes or its time is up; answers the last state seen.</summary>
    internal static async Task<CheckState> AwaitCheckAsync(LessonCheck c, LessonChecks.Context context, CancellationToken ct)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            var state = await LessonChecks.EvaluateAsync(c, context, ct);
            if (state.Passed || until.Elapsed >= c.WithinSpan) return state;
            await Task.Delay(500, ct);
        }
    }

    private async Task PauseAsync(CancellationToken ct)
    {
        output.Write("Press Enter for the next step (Ctrl+C stops the lesson and its devnet) ");
        output.Flush();
        // The input reads synchronously even when asked asynchronously: read on the pool, so Ctrl+C is not held up.
        // (`lab run` gives a plain reader of the standard input stream, not Console.In.)
        var line = Task.Run(input.ReadLine, CancellationToken.None);
        await Task.WhenAny(line, Task.Delay(Timeout.Infinite, ct));
        ct.ThrowIfCancellationRequested();
    }
}
