using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using Chainlab.Node;
using System.Net.Http.Json;
using Spectre.Console;
using Chainlab.Node.Storage.Postgres;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab devnet up: a local proof-of-authority network with funded dev accounts.</summary>
public static class DevnetCommands
{
    public static Command Build()
    {
        var cmd = new Command("devnet", "A local development network");
        var dir = new Option<string>("--dir") { Description = "Devnet folder", DefaultValueFactory = _ => Path.Combine(".chainlab", "devnet") };
        var blockTime = new Option<string>("--block-time") { Description = "Block time, e.g. 2s or 500ms", DefaultValueFactory = _ => "2s" };
        var reset = new Option<bool>("--reset") { Description = "Delete the devnet's data and start a new chain" };
        var port = new Option<int>("--port") { Description = "API port", DefaultValueFactory = _ => 7700 };
        var accounts = new Option<int>("--accounts") { Description = "Funded dev accounts", DefaultValueFactory = _ => 4 };
        var postgres = new Option<string?>("--db-postgres") { Description = "Keep each node's chain in its own schema of this PostgreSQL database (remembered for later runs)" };
        var nodes = new Option<int?>("--nodes") { Description = "Node processes (default 4; node 1 is the authority, the others follow it over peer links)" };
        var p2pPort = new Option<int>("--p2p-port") { Description = "Peer port of node 1 (node i uses this + i - 1)", DefaultValueFactory = _ => 30300 };
        var consensus = new Option<string?>("--consensus") { Description = "poa (default: node 1 is the authority and admin), pos (every node a validator with equal stake) or pow (every node mines)" };
        var authorities = new Option<int?>("--authorities") { Description = "poa: nodes 1..N are authorities taking slots in turn (default 1; node 1 is the admin)" };
        var malicious = new Option<string?>("--malicious") { Description = $"Nodes that break the rules on purpose for this run: N=NAME[,NAME][,M=NAME…] with names from {string.Join(", ", Chainlab.Node.Adversary.Misbehaviours.Names)} (docs/ATTACKS.md)" };
        var up = new Command("up", "Start (or resume) the devnet; Ctrl+C stops it") { dir, blockTime, reset, port, accounts, postgres, nodes, p2pPort, consensus, authorities, malicious };
        up.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            var blockMs = Global.ParseDurationMs(pr.GetValue(blockTime)!, "--block-time");
            if (blockMs < 50) throw new CliException("--block-time must be at least 50ms", ExitCodes.BadInput);
            var count = pr.GetValue(accounts);
            if (count is < 1 or > 100) throw new CliException("--accounts must be 1..100", ExitCodes.BadInput);
            if (pr.GetValue(nodes) is < 1 or > 32) throw new CliException("--nodes must be 1..32", ExitCodes.BadInput);
            if (DevnetControl.RunningPid(root) is { } running) throw new CliException($"this devnet is already running (pid {running}); devnet stop ends it", ExitCodes.BadInput);
            var settings = DevnetSettings.Load(root);
            var specPath = Path.Combine(root, NodeCore.SpecFileName);
            if (pr.GetValue(reset) && Directory.Exists(root))
            {
                DeleteDevnet(root, settings);
                settings = new DevnetSettings();
            }
            var exists = File.Exists(specPath);
            // Checked before anything is created, so a typo leaves no new devnet behind.
            var bad = pr.GetValue(malicious) is { } m ? ParseMalicious(m, pr.GetValue(nodes) ?? (exists ? settings.Nodes : 4)) : null;
            if (pr.GetValue(postgres) is { } pg)
            {
                if (exists && settings.Postgres != pg)
                    throw new CliException("this devnet already uses another store; add --reset to start over", ExitCodes.BadInput);
                settings = settings with { Postgres = pg };
            }
            if (pr.GetValue(consensus) is { } engine && !ConsensusSpec.Engines.Contains(engine))
                throw new CliException($"--consensus must be one of {string.Join(", ", ConsensusSpec.Engines)}", ExitCodes.BadInput);
            if (exists && pr.GetValue(consensus) is { } e2 && e2 != settings.Consensus)
                throw new CliException($"this devnet runs {settings.Consensus}; add --reset to start a {e2} one", ExitCodes.BadInput);
            if (exists && pr.GetValue(nodes) is { } n && n != settings.Nodes)
                throw new CliException($"this devnet has {settings.Nodes} nodes; add --reset to start one with {n}", ExitCodes.BadInput);
            if (pr.GetValue(authorities) is { } auth)
            {
                if (exists && auth != settings.Authorities) throw new CliException($"this devnet has {settings.Authorities} authorities; add --reset to start one with {auth}", ExitCodes.BadInput);
                if ((pr.GetValue(consensus) ?? (exists ? settings.Consensus : "poa")) != "poa") throw new CliException("--authorities is for proof of authority (--consensus poa)", ExitCodes.BadInput);
                if (auth < 1 || auth > (pr.GetValue(nodes) ?? (exists ? settings.Nodes : 4))) throw new CliException($"--authorities must be from 1 to the number of nodes", ExitCodes.BadInput);
            }
            if (!exists)
            {
                Console.Out.WriteLine($"creating a new devnet in {root}");
                settings = settings with { Consensus = pr.GetValue(consensus) ?? "poa", Authorities = pr.GetValue(authorities) ?? 1 };
                var spec = DevnetGenesis.Create(Path.Combine(root, "keys"), blockMs, count, settings.Consensus, pr.GetValue(nodes) ?? 4, settings.Authorities);
                File.WriteAllText(specPath, spec.ToJson());
            }
            else if (pr.GetResult(blockTime) is { Implicit: false } && ChainSpec.FromJson(File.ReadAllText(specPath)).BlockTimeMs != blockMs)
                throw new CliException("this devnet was created with another block time; add --reset to start a new chain with it", ExitCodes.BadInput);
            settings = settings with
            {
                Nodes = pr.GetValue(nodes) ?? (exists ? settings.Nodes : 4),
                ApiPort = pr.GetValue(port),
                P2PPort = pr.GetValue(p2pPort),
            };
            settings.Save(root);
            if (bad is not null) settings = settings with { Malicious = bad };

            using var shutdown = new Shutdown(ct);
            await using (var supervisor = new DevnetSupervisor(root, settings))
            {
                // The control route first, so every node can be told its address (the dashboard's adversary page).
                var faults = new DevnetFaults(supervisor);
                await using var control = await DevnetControlServer.StartAsync(root, DevnetSupervisor.EnsureToken(root), faults, shutdown.Token);
                supervisor.ControlUrl = control.Url;
                await supervisor.StartAsync(shutdown.Token);
                await faults.LearnIdsAsync(shutdown.Token);
                await File.WriteAllTextAsync(DevnetControl.PidFile(root), Environment.ProcessId.ToString(), CancellationToken.None);
                await PrintSummary(supervisor, root, settings, shutdown.Token);
                await supervisor.WatchAsync(shutdown.Token);
                Console.Out.WriteLine("stopping…");
            }
            File.Delete(DevnetControl.PidFile(root));
            return 0;
        });
        cmd.Subcommands.Add(up);
        cmd.Subcommands.Add(DevnetCompose.Build());
        cmd.Subcommands.Add(BuildFault(dir));

        var stop = new Command("stop", "Stop the devnet running in another terminal") { dir };
        stop.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            Console.Out.WriteLine(await DevnetControl.StopAsync(root, ct) ? "devnet stopped" : "devnet is not running");
            return 0;
        });
        cmd.Subcommands.Add(stop);

        var resetCmd = new Command("reset", "Stop the devnet if it runs and delete its chain, keys and snapshots") { dir };
        resetCmd.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            if (!Directory.Exists(root)) { Console.Out.WriteLine($"no devnet in {root}"); return 0; }
            if (await DevnetControl.StopAsync(root, ct)) Console.Out.WriteLine("devnet stopped");
            DeleteDevnet(root, DevnetSettings.Load(root));
            Console.Out.WriteLine($"deleted {root}; devnet up starts a new chain");
            return 0;
        });
        cmd.Subcommands.Add(resetCmd);

        var status = new Command("status", "Each node of the devnet: API, peer port, role, height, peers") { dir };
        status.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            if (!File.Exists(Path.Combine(root, NodeCore.SpecFileName))) throw new CliException($"no devnet in {root}", ExitCodes.NotFound);
            var settings = DevnetSettings.Load(root);
            var pid = DevnetControl.RunningPid(root);
            var rows = new List<DevnetNodeRow>();
            for (var i = 1; i <= settings.Nodes; i++)
            {
                var api = $"http://127.0.0.1:{settings.ApiPort + i - 1}";
                string height = "-", peers = "-", state = "down";
                try
                {
                    using var c = new NodeClient(api);
                    var s = await c.GetAsync("/api/v1/status", ct);
                    (height, peers, state) = (s["headHeight"]!.ToString(), s["peers"]!.AsArray().Count.ToString(), "up");
                }
                catch (CliException) { }
                rows.Add(new DevnetNodeRow($"node{i}", api, settings.P2PPort + i - 1, settings.Role(i), state, height, peers));
            }
            if (pr.GetValue(Global.Json)) { Global.PrintJson(new { running = pid is not null, pid, nodes = rows }); return 0; }
            Console.Out.WriteLine(pid is { } p ? $"devnet running (pid {p})" : "devnet is not running");
            var t = new Table().AddColumns("Node", "API", "P2P", "Role", "State", "Height", "Peers");
            foreach (var r in rows)
                t.AddRow(new[] { r.Node, r.Api, r.P2pPort.ToString(), r.Role, r.State, r.Height, r.Peers }.Select(x => new Text(x)).ToArray());
            AnsiConsole.Write(t);
            return 0;
        });
        cmd.Subcommands.Add(status);

        var snapshot = new Command("snapshot", "Save or restore the devnet's data to repeat experiments from the same point");
        var name = new Argument<string>("name") { Description = "Snapshot name (lower-case letters, digits and _)" };
        foreach (var (verb, what) in new[] { ("save", "Stop the devnet, copy every node's data to a snapshot, start it again"),
                                            ("restore", "Stop the devnet, put a snapshot's data back, start it again") })
        {
            var c = new Command(verb, what) { name, dir };
            c.SetAction(async (pr, ct) =>
            {
                var root = Path.GetFullPath(pr.GetValue(dir)!);
                var n = pr.GetValue(name)!;
                if (!System.Text.RegularExpressions.Regex.IsMatch(n, "^[a-z0-9_]{1,24}$"))
                    throw new CliException("snapshot names are 1-24 lower-case letters, digits or _", ExitCodes.BadInput);
                if (!File.Exists(Path.Combine(root, NodeCore.SpecFileName)))
                    throw new CliException($"no devnet in {root}; run devnet up first", ExitCodes.NotFound);
                if (verb == "restore" && !Directory.Exists(DevnetControl.SnapshotDir(root, n)))
                    throw new CliException($"no snapshot '{n}' in {Path.Combine(root, "snapshots")}", ExitCodes.NotFound);
                var wasRunning = await DevnetControl.StopAsync(root, ct);
                if (verb == "save") DevnetControl.Save(root, n); else DevnetControl.Restore(root, n);
                Console.Out.WriteLine(verb == "save" ? $"saved snapshot {n}" : $"restored snapshot {n}");
                if (wasRunning)
                    Console.Out.WriteLine($"devnet started again in the background (pid {await DevnetControl.StartInBackgroundAsync(root, ct)}, log {Path.Combine(root, "devnet.log")})");
                return 0;
            });
            snapshot.Subcommands.Add(c);
        }
        var list = new Command("list", "List snapshots") { dir };
        list.SetAction(pr =>
        {
            var snaps = Path.Combine(Path.GetFullPath(pr.GetValue(dir)!), "snapshots");
            foreach (var d in Directory.Exists(snaps) ? Directory.GetDirectories(snaps).Order() : Enumerable.Empty<string>())
                Console.Out.WriteLine($"{Path.GetFileName(d)}  {Directory.GetLastWriteTimeUtc(d):u}");
            return 0;
        });
        snapshot.Subcommands.Add(list);
        cmd.Subcommands.Add(snapshot);
        return cmd;
    }

    /// <summary>devnet fault ACTION …: faults on the devnet running in another terminal, through its control route.</summary>
    private static Command BuildFault(Option<string> dir)
    {
        var action = new Argument<string>("action") { Description = "kill | restart | pause | resume | partition | heal | latency | skew | misbehave" };
        var nodeList = new Argument<string?>("nodes") { Description = "kill, restart, pause, resume, skew, misbehave: the nodes, e.g. 3 or 2,3", Arity = ArgumentArity.ZeroOrOne };
        var names = new Option<string?>("--names") { Description = "misbehave: the misbehaviours the nodes restart with, e.g. invalid-tx,flood-tx (none: honest again)" };
        var groups = new Option<string?>("--groups") { Description = "partition: groups that talk only among themselves, e.g. 1,2/3,4; latency: two groups whose links are shaped (default every link)" };
        var bridge = new Option<string?>("--bridge") { Description = "partition: nodes linked to every group, e.g. 3" };
        var ms = new Option<string?>("--delay") { Description = "latency: delay of every message, e.g. 200ms" };
        var jitter = new Option<string?>("--jitter") { Description = "latency: spread either way, e.g. 50ms" };
        var loss = new Option<double>("--loss") { Description = "latency: share of gossip messages lost, 0..1" };
        var by = new Option<string?>("--by") { Description = "skew: how far to set the node's clock ahead, e.g. 30s, or -30s behind" };
        var fault = new Command("fault", "Put a fault into the devnet running in another terminal: kill -9, restart, pause (SIGSTOP), resume, partition, heal, latency/jitter/loss, clock skew, restart with misbehaviours")
            { action, nodeList, groups, bridge, ms, jitter, loss, by, names, dir };
        fault.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            var skew = pr.GetValue(by) is { } b ? Global.ParseSignedDurationMs(b, "--by") : 0;
            var command = new FaultCommand(pr.GetValue(action)!, pr.GetValue(nodeList) is { } nl ? ParseNodes(nl, "nodes") : null,
                pr.GetValue(groups) is { } g ? g.Split('/').Select(x => ParseNodes(x, "--groups")).ToList() : null,
                pr.GetValue(bridge) is { } br ? ParseNodes(br, "--bridge") : null,
                pr.GetValue(ms) is { } d ? Global.ParseDurationMs(d, "--delay") : 0, pr.GetValue(jitter) is { } j ? Global.ParseDurationMs(j, "--jitter") : 0,
                pr.GetValue(loss), skew,
                pr.GetValue(names) is { } nm ? nm.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null);
            if (!File.Exists(Path.Combine(root, NodeCore.SpecFileName))) throw new CliException($"no devnet in {root}", ExitCodes.NotFound);
            DevnetFaults.Validate(command, DevnetSettings.Load(root).Nodes);
            Console.Out.WriteLine("applied: " + await DevnetControlServer.SendAsync(root, command, ct));
            return 0;
        });
        return fault;
    }

    /// <summary>"2,3" → [2, 3].</summary>
    internal static IReadOnlyList<int> ParseNodes(string text, string what) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.TryParse(x, out var n) ? n : throw new CliException($"{what}: '{x}' is not a node number", ExitCodes.BadInput)).ToList();

    /// <summary>"3=invalid-tx,flood-tx,4=invalid-tx": a number starts a node's list, plain names add to it.</summary>
    internal static IReadOnlyDictionary<int, IReadOnlyList<string>> ParseMalicious(string text, int nodes)
    {
        var map = new Dictionary<int, List<string>>();
        List<string>? current = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var name = part;
            if (eq >= 0)
            {
                if (!int.TryParse(part[..eq], out var n) || n < 1 || n > nodes)
                    throw new CliException($"--malicious: '{part[..eq]}' is not a node of this devnet (1..{nodes})", ExitCodes.BadInput);
                if (!map.TryGetValue(n, out current)) map[n] = current = new();
                name = part[(eq + 1)..];
            }
            if (current is null) throw new CliException($"--malicious: '{part}' names no node (write N=NAME)", ExitCodes.BadInput);
            try { Chainlab.Node.Adversary.Misbehaviours.Parse([name]); }
            catch (ArgumentException e) { throw new CliException($"--malicious: {e.Message}", ExitCodes.BadInput); }
            current.Add(name);
        }
        return map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value);
    }

    /// <summary>Deletes a devnet folder, and only a devnet folder: one that holds a devnet's settings and chain spec.</summary>
    private static void DeleteDevnet(string root, DevnetSettings settings)
    {
        if (!DevnetSettings.IsDevnet(root))
            throw new CliException($"{root} is not a devnet folder (no {DevnetSettings.FileName} and {Chainlab.Node.Hosting.NodeCore.SpecFileName}); refusing to delete it", ExitCodes.BadInput);
        if (settings.Postgres is { } old)
            for (var i = 1; i <= settings.Nodes; i++) PostgresChainStore.DropSchema(PostgresChainStore.ForSchema(old, settings.NodeSchema(i)));
        Directory.Delete(root, recursive: true);
    }

    private static async Task PrintSummary(DevnetSupervisor supervisor, string root, DevnetSettings settings, CancellationToken ct)
    {
        var status = await supervisor.StatusAsync(1, ct);
        Console.Out.WriteLine($"devnet up: chain {status["chainId"]}, consensus {status["consensus"]}, block time {status["blockTimeMs"]} ms, {settings.Nodes} node(s)");
        Console.Out.WriteLine($"dashboard http://127.0.0.1:{supervisor.ApiPort(1)}/  (every node serves one at its API address)");
        Console.Out.WriteLine($"API      http://127.0.0.1:{supervisor.ApiPort(1)}/api/v1/status  (OpenAPI http://127.0.0.1:{supervisor.ApiPort(1)}/openapi/v1.json)");
        Console.Out.WriteLine($"head     {status["headHeight"]} {status["headHash"]}");
        Console.Out.WriteLine($"store    {(settings.Postgres is null ? "sqlite in each node folder" : "postgres, one schema per node")}");
        for (var i = 1; i <= settings.Nodes; i++)
            Console.Out.WriteLine($"  node{i,-3} api http://127.0.0.1:{supervisor.ApiPort(i)}/  p2p {supervisor.P2PPort(i)}  {settings.Role(i)}"
                + (settings.Malicious.TryGetValue(i, out var bad) ? $"  MISBEHAVING: {string.Join(", ", bad)}" : "") + $"  log {Path.Combine(root, "logs", $"node{i}.log")}");
        Console.Out.WriteLine("dev accounts (key password: " + DevnetGenesis.DevPassword + "):");
        var keysDir = Path.Combine(root, "keys");
        foreach (var f in Directory.GetFiles(keysDir, "dev*.json").OrderBy(f => f.Length).ThenBy(f => f))
        {
            var k = Keystore.ReadPublic(File.ReadAllText(f));
            var balance = (await supervisor.First.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/v1/accounts/{k.Address}", ct))!["balance"]!.GetValue<ulong>();
            Console.Out.WriteLine($"  {k.Label,-6} {k.Address,-36} {balance,22:N0}  {f}");
        }
        Console.Out.WriteLine($"try: chainlab tx send --from {Path.Combine(keysDir, "dev1.json")} --to <address> --amount 100 --wait");
        Console.Out.WriteLine("Ctrl+C (or devnet stop) stops it; running the command again resumes it; --reset starts a new chain.");
    }
}

/// <summary>One line of `devnet status`.</summary>
public sealed record DevnetNodeRow(string Node, string Api, int P2pPort, string Role, string State, string Height, string Peers);
