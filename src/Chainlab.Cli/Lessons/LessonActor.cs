using Chainlab.Cli.Devnets;
using Chainlab.Cli.Scenarios;
using Chainlab.Client;
using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Lessons;

/// <summary>
/// Does a lesson's (or a challenge's) actions on its live devnet and remembers what they named: transactions,
/// contracts and files, for the checks after them.
/// </summary>
internal sealed class LessonActor(Lesson lesson, string dir)
{
    private readonly Dictionary<string, string> _txs = new();
    private readonly Dictionary<string, Address> _contracts = new();
    private readonly Dictionary<string, (string Cid, byte[] Bytes)> _files = new();

    public IReadOnlyDictionary<string, string> Txs => _txs;
    public IReadOnlyDictionary<string, Address> Contracts => _contracts;

    /// <summary>What the checks of a step read: the devnet, what the actions named, where each node stood.</summary>
    internal LessonChecks.Context Context(ScenarioRunner.LiveDevnet live, IReadOnlyDictionary<int, (long Count, ulong Deepest)> reorgs, ulong height,
        IReadOnlyDictionary<int, (ulong Head, ulong Final)>? heights = null) =>
        new(live.Observations, _txs, reorgs, a => AccountAddress(a, live), height, v => Argument(v, live), _contracts, _files)
        {
            HeightsAtStepStart = heights ?? new Dictionary<int, (ulong Head, ulong Final)>(),
        };

    /// <summary>An action's fields as a learner would read them ("from dev2, contract bank, function withdraw …").</summary>
    public static string Describe(LessonAction a)
    {
        var parts = new List<string>();
        void Add(string key, object? value) { if (value is not null and not "" and not 0UL) parts.Add($"{key} {value}"); }
        Add("from", a.From); Add("to", a.To); Add("contract", a.Contract); Add("function", a.Function); Add("name", a.Name);
        Add("amount", a.Amount); Add("gas", a.Action is "deploy" or "invoke" ? a.Gas : null);
        if (a.Args is { Count: > 0 }) parts.Add("args " + System.Text.Json.JsonSerializer.Serialize(a.Args));
        if (a.Nodes is { } n) parts.Add("nodes " + string.Join(",", n));
        var text = string.Join(", ", parts);
        return a.Source is { } src ? $"{text}, source:\n" + string.Join('\n', src.TrimEnd().Split('\n').Select(l => "      " + l)) : text;
    }

    /// <summary>Names remembered elsewhere (a challenge's state file), for `lab check`.</summary>
    internal void Remember(IReadOnlyDictionary<string, string> txs, IReadOnlyDictionary<string, string> contracts)
    {
        foreach (var (k, v) in txs) _txs[k] = v;
        foreach (var (k, v) in contracts) _contracts[k] = Address.Parse(v);
    }

    /// <summary>Does one action and says what it did, in one line.</summary>
    public async Task<string> ActAsync(LessonAction a, ScenarioRunner runner, ScenarioRunner.LiveDevnet live, Scenario scenario, CancellationToken ct)
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
                        ? await client.DeployAsync(key, System.Text.Encoding.UTF8.GetBytes(a.Source!), args, a.Gas, a.Amount, ct)
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

    /// <summary>A contract deployed earlier, or an account's address (dev1..dev4 from the devnet's keys, nodeN a producer key, the merchant of the double-spend misbehaviour).</summary>
    public Address AccountAddress(string account, ScenarioRunner.LiveDevnet live) => _contracts.TryGetValue(account, out var c) ? c
        : account == "merchant" ? Chainlab.Node.Adversary.HiddenBranchDoubleSpend.Merchant
        : Address.Parse(Keystore.ReadPublic(File.ReadAllText(KeyFile(account, live))).Address);
}
