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
    private readonly Dictionary<string, string> _txs = new();
    private readonly Dictionary<string, Address> _contracts = new();
    private readonly Dictionary<string, (string Cid, byte[] Bytes)> _files = new();

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
        var passed = 0;
        try
        {
            for (var k = 0; k < lesson.Steps.Count; k++)
            {
                var step = lesson.Steps[k];
                output.WriteLine();
                output.WriteLine($"Step {k + 1} of {lesson.Steps.Count}: {step.Title}");
                if (step.Narration.Length > 0) output.WriteLine(step.Narration);
                var reorgs = new Dictionary<int, long>();
                for (var n = 1; n <= f.Nodes; n++)
                    if (await o.GetAsync(n, "/api/v1/status", ct) is { } st) reorgs[n] = st["forks"]!["reorgs"]!.GetValue<long>();
                foreach (var a in step.Actions)
                    output.WriteLine($"  [{runner.Now,5:0.0}s] > {await ActAsync(a, runner, live, scenario, ct)}");
                ulong height = 0;
                for (var n = 1; n <= f.Nodes; n++)
                    if (o.Honest.Contains(n) && await o.GetAsync(n, "/api/v1/status", ct) is { } st) height = Math.Max(height, st["headHeight"]!.GetValue<ulong>());
                var context = new LessonChecks.Context(o, _txs, reorgs, a => AccountAddress(a, live), height, v => Argument(v, live), _contracts, _files);
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
            stopSampling.Cancel();
            await sampler;
        }
        var figures = await Figures.MeasureAsync(o, ct);
        var result = new LessonResult(clock.Elapsed, passed, figures);
        output.WriteLine();
        output.WriteLine($"Done: {lesson.Steps.Count} steps, {passed} checks passed, in {result.Took.TotalSeconds:0} s.");
        foreach (var key in new[] { "best honest height", "transactions sent", "reorganisations on honest nodes", "deepest reorganisation", "slashes", "bans held by honest nodes" })
            if (figures.TryGetValue(key, out var v)) output.WriteLine($"  {key}: {v}");
        if (f.Next.Count > 0)
        {
            output.WriteLine("Try this next:");
            foreach (var next in f.Next) output.WriteLine($"  chainlab lab run {next}");
        }
        output.WriteLine("The devnet stops now; its folder stays for a look at the logs: " + dir);
        return result;
    }

    /// <summary>Asks every half second until the check passes or its time is up; answers the last state seen.</summary>
    private static async Task<CheckState> AwaitCheckAsync(LessonCheck c, LessonChecks.Context context, CancellationToken ct)
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
        // Console.In reads synchronously even when asked asynchronously: read on the pool, so Ctrl+C is not held up.
        var line = Task.Run(input.ReadLine, CancellationToken.None);
        await Task.WhenAny(line, Task.Delay(Timeout.Infinite, ct));
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Does one action and says what it did, in one line.</summary>
    private async Task<string> ActAsync(LessonAction a, ScenarioRunner runner, ScenarioRunner.LiveDevnet live, Scenario scenario, CancellationToken ct)
    {
        var o = live.Observations;
        if (a.IsFault)
        {
            var command = Scenario.Command(a.ToFault());
            ScenarioRunner.MarkMisbehaving(scenario, o, command);
            var applied = await live.Faults.ApplyAsync(command, ct);
            o.Note(runner.Now, "fault: " + applied);
            return applied;
        }
        switch (a.Action)
        {
            case "wait":
                await Task.Delay(Scenario.Span(a.For!, "for"), ct);
                return $"waited {a.For}";
            case "load":
            {
                scenario.Load.Rate = a.Rate;
                var before = o.Sent.Count;
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                stop.CancelAfter(Scenario.Span(a.For!, "for"));
                await runner.LoadLoop(o, live.Spec, live.Keys, live.Supervisor, stop.Token);
                ct.ThrowIfCancellationRequested();
                return $"sent {o.Sent.Count - before} transfers among the dev accounts at {a.Rate} a second for {a.For}";
            }
            case "send":
            {
                var node = a.Via ?? FirstLiveHonest(live);
                var key = AccountKey(a.From!, live);
                var to = AccountAddress(a.To!, live);
                var client = new ChainlabClient(o.Api(node));
                Chainlab.Core.Model.Transaction tx;
                try { tx = await client.TransferAsync(key, to, a.Amount, ct: ct); }
                catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException)
                {
                    throw new CliException($"send (line {a.Line}): node {node} refused the transfer: {e.Message}");
                }
                if (a.Name is { } name) _txs[name] = tx.Hash.ToString();
                lock (o.Sent) o.Sent.Add(new SentTx(tx.Hash.ToString(), runner.Now, node));
                return $"{a.From} sends {a.Amount} to {a.To} through node {node}: transaction {tx.Hash.ToString()[..16]}" + (a.Name is null ? "" : $" ({a.Name})");
            }
            case "deploy" or "invoke":
            {
                var node = a.Via ?? FirstLiveHonest(live);
                var client = new ChainlabClient(o.Api(node));
                var key = AccountKey(a.From!, live);
                List<Chainlab.Contracts.ContractValue> args;
                try { args = (a.Args ?? []).Select(x => Chainlab.Contracts.ContractValue.FromJson(Argument(x, live))).ToList(); }
                catch (FormatException e) { throw new CliException($"{a.Action} (line {a.Line}): {e.Message}"); }
                Chainlab.Core.Model.Transaction tx;
                try
                {
                    tx = a.Action == "deploy"
                        ? await client.DeployAsync(key, System.Text.Encoding.UTF8.GetBytes(a.Source!), args, a.Gas, ct: ct)
                        : await client.InvokeAsync(key, _contracts[a.Contract!], a.Function!, args, a.Gas, a.Amount, ct);
                }
                catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException)
                {
                    throw new CliException($"{a.Action} (line {a.Line}): node {node} refused the transaction: {e.Message}");
                }
                if (a.Name is { } name) _txs[name] = tx.Hash.ToString();
                lock (o.Sent) o.Sent.Add(new SentTx(tx.Hash.ToString(), runner.Now, node));
                // The lesson goes on once the transaction is in a block: later steps call the contract.
                Inclusion included;
                try { included = await client.WaitForInclusionAsync(tx.Hash, TimeSpan.FromSeconds(60), ct); }
                catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException or TimeoutException)
                {
                    throw new CliException($"{a.Action} (line {a.Line}): transaction {tx.Hash} did not get into a block: {e.Message}");
                }
                var r = included.Transaction.Receipt!;
                var what = $"{(r.Success ? "succeeded" : "FAILED")}" + (r.Error is { } err ? $" ({err})" : "") + $", {r.GasUsed ?? 0} gas used, fee {r.FeePaid} paid";
                if (a.Action == "invoke")
                    return $"{a.From} calls {a.Contract}.{a.Function} through node {node}: transaction {tx.Hash.ToString()[..16]} in block {included.Header.Height}, {what}";
                if (!r.Success || r.ContractAddress is null)
                    throw new CliException($"deploy (line {a.Line}): the contract was not created: {r.Error ?? "no address in the receipt"}");
                _contracts[a.Name!] = Address.Parse(r.ContractAddress);
                return $"{a.From} deploys {a.Name} through node {node}: contract {r.ContractAddress} in block {included.Header.Height}, {what}";
            }
            case "add-file":
            {
                var node = a.Via ?? FirstLiveHonest(live);
                var bytes = System.Text.Encoding.UTF8.GetBytes(a.Text!);
                Chainlab.Client.Models.StoredFileDto stored;
                try { stored = await new ChainlabClient(o.Api(node)).AddFileAsync(new MemoryStream(bytes), a.Name + ".txt", "text/plain", 1, ct); }
                catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException)
                {
                    throw new CliException($"add-file (line {a.Line}): node {node} refused the file: {e.Message}");
                }
                _files[a.Name!] = (stored.Cid, bytes);
                return $"node {node} stores {a.Name} ({bytes.Length} bytes) as {stored.Cid}";
            }
            default:
                throw new ArgumentException($"unknown action {a.Action}");
        }
    }

    private static int FirstLiveHonest(ScenarioRunner.LiveDevnet live) =>
        live.Observations.Honest.Order().First(n => live.Supervisor.IsRunning(n) && !live.Supervisor.IsPaused(n));

    /// <summary>
    /// A value from a lesson's YAML as a contract argument in JSON: "$dev2", "$node1" and "$NAME" (a contract
    /// deployed earlier) are addresses, a string of digits a number, true and false booleans, lists arrays, maps objects.
    /// </summary>
    private System.Text.Json.Nodes.JsonNode? Argument(object? value, ScenarioRunner.LiveDevnet live) => value switch
    {
        null => null,
        string s when s.StartsWith('$') => System.Text.Json.Nodes.JsonValue.Create(
            (_contracts.TryGetValue(s[1..], out var c) ? c : LessonParser.AccountProblem(s[1..], lesson.Front) is null ? AccountAddress(s[1..], live)
                : throw new CliException($"{s}: no contract of that name was deployed and it is not an account")).ToString()),
        string s when long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l) => System.Text.Json.Nodes.JsonValue.Create(l),
        "true" or "false" => System.Text.Json.Nodes.JsonValue.Create((string)value == "true"),
        string s => System.Text.Json.Nodes.JsonValue.Create(s),
        List<object> list => new System.Text.Json.Nodes.JsonArray(list.Select(x => Argument(x, live)).ToArray()),
        Dictionary<object, object> map => new System.Text.Json.Nodes.JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, Argument(kv.Value, live)))),
        _ => System.Text.Json.Nodes.JsonValue.Create(value.ToString()),
    };

    private string KeyFile(string account, ScenarioRunner.LiveDevnet live) => account.StartsWith("dev")
        ? Path.Combine(live.Keys, account + ".json")
        : live.Supervisor.Settings.KeyFile(dir, int.Parse(account[4..])) ?? throw new CliException($"{account} has no producer key");

    private KeyPair AccountKey(string account, ScenarioRunner.LiveDevnet live) => Keystore.Decrypt(File.ReadAllText(KeyFile(account, live)), DevnetGenesis.DevPassword);

    private Address AccountAddress(string account, ScenarioRunner.LiveDevnet live) =>
        Address.Parse(Keystore.ReadPublic(File.ReadAllText(KeyFile(account, live))).Address);
}
