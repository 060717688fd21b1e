using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using System.Net.Http.Json;

namespace Chainlab.Cli.Commands;

/// <summary>devnet up: create (or resume) the devnet and run its nodes until Ctrl+C or devnet stop.</summary>
public static partial class DevnetCommands
{
    /// <summary>The options of devnet up, in the order --help lists them.</summary>
    private sealed record UpOptions(Option<string> Dir, Option<string> BlockTime, Option<bool> Reset, Option<int> Port, Option<int> Accounts,
        Option<string?> Postgres, Option<int?> Nodes, Option<int> P2pPort, Option<string?> Consensus, Option<int?> Authorities, Option<string?> Malicious, Option<string?> HashPower, Option<bool> Finality);

    private static Command Up(Option<string> dir)
    {
        var o = new UpOptions(dir,
            new Option<string>("--block-time") { Description = "Block time, e.g. 2s or 500ms", DefaultValueFactory = _ => "2s" },
            new Option<bool>("--reset") { Description = "Delete the devnet's data and start a new chain" },
            new Option<int>("--port") { Description = "API port", DefaultValueFactory = _ => 7700 },
            new Option<int>("--accounts") { Description = "Funded dev accounts", DefaultValueFactory = _ => 4 },
            new Option<string?>("--db-postgres") { Description = "Keep each node's chain in its own schema of this PostgreSQL database (remembered for later runs)" },
            new Option<int?>("--nodes") { Description = "Node processes (default 4; node 1 is the authority, the others follow it over peer links)" },
            new Option<int>("--p2p-port") { Description = "Peer port of node 1 (node i uses this + i - 1)", DefaultValueFactory = _ => 30300 },
            new Option<string?>("--consensus") { Description = "poa (default: node 1 is the authority and admin), pos (every node a validator with equal stake) or pow (every node mines)" },
            new Option<int?>("--authorities") { Description = "poa: nodes 1..N are authorities taking slots in turn (default 1; node 1 is the admin)" },
            new Option<string?>("--malicious") { Description = $"Nodes that break the rules on purpose for this run: N=NAME[,NAME][,M=NAME…] with names from {string.Join(", ", Chainlab.Node.Adversary.Misbehaviours.Names)} (docs/ATTACKS.md)" },
            new Option<string?>("--hash-power") { Description = "pow: each miner's share of the hash power in per cent, node 1 first, e.g. 20,20,60 (capped hash rates, so the shares hold on a busy machine)" },
            new Option<bool>("--finality") { Description = "pos, poa: the validators or authorities vote on a checkpoint every 8 blocks and blocks become final (a new devnet only)" });
        var up = new Command("up", "Start (or resume) the devnet; Ctrl+C stops it")
            { o.Dir, o.BlockTime, o.Reset, o.Port, o.Accounts, o.Postgres, o.Nodes, o.P2pPort, o.Consensus, o.Authorities, o.Malicious, o.HashPower, o.Finality };
        up.SetAction((pr, ct) => RunUpAsync(pr, o, ct));
        return up;
    }

    private static async Task<int> RunUpAsync(ParseResult pr, UpOptions o, CancellationToken ct)
    {
        var root = Path.GetFullPath(pr.GetValue(o.Dir)!);
        var blockMs = Global.ParseDurationMs(pr.GetValue(o.BlockTime)!, "--block-time");
        if (blockMs < 50) throw new CliException("--block-time must be at least 50ms", ExitCodes.BadInput);
        var count = pr.GetValue(o.Accounts);
        if (count is < 1 or > 100) throw new CliException("--accounts must be 1..100", ExitCodes.BadInput);
        if (pr.GetValue(o.Nodes) is < 1 or > 32) throw new CliException("--nodes must be 1..32", ExitCodes.BadInput);
        if (DevnetControl.RunningPid(root) is { } running) throw new CliException($"this devnet is already running (pid {running}); devnet stop ends it", ExitCodes.BadInput);
        var settings = DevnetSettings.Load(root);
        var specPath = Path.Combine(root, NodeCore.SpecFileName);
        // Checked before a reset deletes anything: a typo leaves the old devnet as it was.
        var keeps = !pr.GetValue(o.Reset) && File.Exists(specPath);
        var hashPower = pr.GetValue(o.HashPower) is { } hpText
            ? ParseHashPower(hpText, pr.GetValue(o.Consensus) ?? (keeps ? settings.Consensus : "poa"), pr.GetValue(o.Nodes) ?? (keeps ? settings.Nodes : 4)) : null;
        if (pr.GetValue(o.Finality) && (pr.GetValue(o.Consensus) ?? (keeps ? settings.Consensus : "poa")) == "pow")
            throw new CliException("--finality is for proof of stake and proof of authority: proof of work has no voters", ExitCodes.BadInput);
        if (pr.GetValue(o.Reset) && Directory.Exists(root))
        {
            DeleteDevnet(root, settings);
            settings = new DevnetSettings();
        }
        var exists = File.Exists(specPath);
        // Checked before anything is created, so a typo leaves no new devnet behind.
        var bad = pr.GetValue(o.Malicious) is { } m ? ParseMalicious(m, pr.GetValue(o.Nodes) ?? (exists ? settings.Nodes : 4)) : null;
        settings = CheckUpOptions(pr, o, settings, exists);
        if (exists && pr.GetValue(o.Finality) && ChainSpec.FromJson(File.ReadAllText(specPath)).Finality is null)
            throw new CliException("this devnet was created without finality; add --reset to start one with it", ExitCodes.BadInput);
        if (exists && hashPower is not null && !hashPower.SequenceEqual(settings.HashPower ?? []))
            throw new CliException("this devnet was created with other hash power shares; add --reset to start one with these", ExitCodes.BadInput);
        if (!exists)
        {
            Console.Out.WriteLine($"creating a new devnet in {root}");
            settings = settings with { Consensus = pr.GetValue(o.Consensus) ?? "poa", Authorities = pr.GetValue(o.Authorities) ?? 1, HashPower = hashPower };
            var spec = DevnetGenesis.Create(Path.Combine(root, "keys"), blockMs, count, settings.Consensus, pr.GetValue(o.Nodes) ?? 4, settings.Authorities,
                hashRate: hashPower is null ? null : DevnetSettings.HashBudget, finality: pr.GetValue(o.Finality));
            File.WriteAllText(specPath, spec.ToJson());
        }
        else if (pr.GetResult(o.BlockTime) is { Implicit: false } && ChainSpec.FromJson(File.ReadAllText(specPath)).BlockTimeMs != blockMs)
            throw new CliException("this devnet was created with another block time; add --reset to start a new chain with it", ExitCodes.BadInput);
        settings = settings with
        {
            Nodes = pr.GetValue(o.Nodes) ?? (exists ? settings.Nodes : 4),
            ApiPort = pr.GetValue(o.Port),
            P2PPort = pr.GetValue(o.P2pPort),
        };
        settings.Save(root);
        if (bad is not null) settings = settings with { Malicious = bad };
        await RunDevnetAsync(root, settings, ct);
        return 0;
    }

    /// <summary>--db-postgres, --consensus, --nodes and --authorities against the devnet that exists (if one does):
    /// the settings with the PostgreSQL database asked for.</summary>
    private static DevnetSettings CheckUpOptions(ParseResult pr, UpOptions o, DevnetSettings settings, bool exists)
    {
        if (pr.GetValue(o.Postgres) is { } pg)
        {
            if (exists && settings.Postgres != pg)
                throw new CliException("this devnet already uses another store; add --reset to start over", ExitCodes.BadInput);
            settings = settings with { Postgres = pg };
        }
        if (pr.GetValue(o.Consensus) is { } engine && !ConsensusSpec.Engines.Contains(engine))
            throw new CliException($"--consensus must be one of {string.Join(", ", ConsensusSpec.Engines)}", ExitCodes.BadInput);
        if (exists && pr.GetValue(o.Consensus) is { } e2 && e2 != settings.Consensus)
            throw new CliException($"this devnet runs {settings.Consensus}; add --reset to start a {e2} one", ExitCodes.BadInput);
        if (exists && pr.GetValue(o.Nodes) is { } n && n != settings.Nodes)
            throw new CliException($"this devnet has {settings.Nodes} nodes; add --reset to start one with {n}", ExitCodes.BadInput);
        if (pr.GetValue(o.Authorities) is { } auth)
        {
            if (exists && auth != settings.Authorities) throw new CliException($"this devnet has {settings.Authorities} authorities; add --reset to start one with {auth}", ExitCodes.BadInput);
            if ((pr.GetValue(o.Consensus) ?? (exists ? settings.Consensus : "poa")) != "poa") throw new CliException("--authorities is for proof of authority (--consensus poa)", ExitCodes.BadInput);
            if (auth < 1 || auth > (pr.GetValue(o.Nodes) ?? (exists ? settings.Nodes : 4))) throw new CliException($"--authorities must be from 1 to the number of nodes", ExitCodes.BadInput);
        }
        return settings;
    }

    /// <summary>Runs the devnet's nodes and its control route until Ctrl+C, SIGTERM or devnet stop.</summary>
    private static async Task RunDevnetAsync(string root, DevnetSettings settings, CancellationToken ct)
    {
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
    }

    /// <summary>"20,20,60": a share in per cent per miner, checked by DevnetSettings.HashPowerProblem.</summary>
    internal static IReadOnlyList<int> ParseHashPower(string text, string consensus, int nodes)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shares = new List<int>();
        foreach (var p in parts)
            shares.Add(int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                : throw new CliException($"--hash-power: '{p}' is not a whole per cent (e.g. 20,20,60)", ExitCodes.BadInput));
        if (DevnetSettings.HashPowerProblem(shares, consensus, nodes) is { } why) throw new CliException($"--hash-power: {why}", ExitCodes.BadInput);
        return shares;
    }

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

    private static async Task PrintSummary(DevnetSupervisor supervisor, string root, DevnetSettings settings, CancellationToken ct)
    {
        var status = await supervisor.StatusAsync(1, ct);
        Console.Out.WriteLine($"devnet up: chain {status["chainId"]}, consensus {status["consensus"]}, block time {status["blockTimeMs"]} ms, {settings.Nodes} node(s)");
        Console.Out.WriteLine($"dashboard http://127.0.0.1:{supervisor.ApiPort(1)}/  (every node serves one at its API address)");
        Console.Out.WriteLine($"API      http://127.0.0.1:{supervisor.ApiPort(1)}/api/v1/status  (OpenAPI http://127.0.0.1:{supervisor.ApiPort(1)}/openapi/v1.json)");
        Console.Out.WriteLine($"head     {status["headHeight"]} {status["headHash"]}");
        Console.Out.WriteLine($"store    {(settings.Postgres is null ? "sqlite in each node folder" : "postgres, one schema per node")}");
        for (var i = 1; i <= settings.Nodes; i++)
            Console.Out.WriteLine($"  node{i,-3} api http://127.0.0.1:{supervisor.ApiPort(i)}/  p2p {supervisor.P2PPort(i)}  {settings.Role(i)}" + (settings.HashPower is { } hp ? $" ({hp[i - 1]} % of the hash power)" : "")
                + (settings.Malicious.TryGetValue(i, out var bad) ? $"  MISBEHAVING: {string.Join(", ", bad)}" : "") + $"  log {Path.Combine(root, "logs", $"node{i}.log")}");
        Console.Out.WriteLine("dev accounts (key password: " + DevnetGenesis.DevPassword + "):");
        var keysDir = Path.Combine(root, "keys");
        foreach (var f in Directory.GetFiles(keysDir, "dev*.json").OrderBy(f => f.Length).ThenBy(f => f))
        {
            var k = Keystore.ReadPublic(File.ReadAllText(f));
            var balance = (await supervisor.First.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/v1/accounts/{k.Address}", ct))!["balance"]!.GetValue<ulong>();
            Console.Out.WriteLine($"  {k.Label,-6} {k.Address,-36} {balance,22:N0}  {f}");
        }
        if (File.Exists(DevnetGenesis.FaucetKeyFile(keysDir)))
            Console.Out.WriteLine($"faucet   curl -X POST http://127.0.0.1:{supervisor.ApiPort(1)}/api/v1/faucet -H 'content-type: application/json' -d '{{\"address\": \"<address>\"}}'  (any node; once a minute per address)");
        Console.Out.WriteLine($"try: chainlab tx send --from {Path.Combine(keysDir, "dev1.json")} --to <address> --amount 100 --wait");
        Console.Out.WriteLine("Ctrl+C (or devnet stop) stops it; running the command again resumes it; --reset starts a new chain.");
    }
}
