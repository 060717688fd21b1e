using System.CommandLine;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using Chainlab.Node;
using Chainlab.Node.Events;
using Chainlab.Node.Storage.Postgres;
using Microsoft.Extensions.Logging;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab devnet up: a local proof-of-authority network with funded dev accounts.</summary>
public static class DevnetCommands
{
    public const string DevPassword = "devnet";
    public const ulong DevBalance = 1_000_000_000_000;

    public static Command Build()
    {
        var cmd = new Command("devnet", "A local development network");
        var dir = new Option<string>("--dir") { Description = "Devnet folder", DefaultValueFactory = _ => Path.Combine(".chainlab", "devnet") };
        var blockTime = new Option<string>("--block-time") { Description = "Block time, e.g. 2s or 500ms", DefaultValueFactory = _ => "2s" };
        var reset = new Option<bool>("--reset") { Description = "Delete the devnet's data and start a new chain" };
        var port = new Option<int>("--port") { Description = "API port", DefaultValueFactory = _ => 7700 };
        var accounts = new Option<int>("--accounts") { Description = "Funded dev accounts", DefaultValueFactory = _ => 4 };
        var postgres = new Option<string?>("--db-postgres") { Description = "Keep each node's chain in its own schema of this PostgreSQL database (remembered for later runs)" };
        var up = new Command("up", "Start (or resume) the devnet; Ctrl+C stops it") { dir, blockTime, reset, port, accounts, postgres };
        up.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            var blockMs = Global.ParseDurationMs(pr.GetValue(blockTime)!, "--block-time");
            if (blockMs < 50) throw new CliException("--block-time must be at least 50ms", ExitCodes.BadInput);
            var count = pr.GetValue(accounts);
            if (count is < 1 or > 100) throw new CliException("--accounts must be 1..100", ExitCodes.BadInput);
            var settings = DevnetSettings.Load(root);
            if (pr.GetValue(reset) && Directory.Exists(root))
            {
                if (settings.Postgres is { } old) PostgresChainStore.DropSchema(PostgresChainStore.ForSchema(old, settings.NodeSchema(1)));
                Directory.Delete(root, recursive: true);
                settings = new DevnetSettings();
            }
            if (pr.GetValue(postgres) is { } pg)
            {
                if (settings.Postgres is { } stored && stored != pg && File.Exists(Path.Combine(root, "node", ChainlabNode.SpecFileName)))
                    throw new CliException("this devnet already uses another database; add --reset to start over", ExitCodes.BadInput);
                settings = settings with { Postgres = pg };
            }
            var keysDir = Path.Combine(root, "keys");
            var dataDir = Path.Combine(root, "node");
            var specPath = Path.Combine(dataDir, ChainlabNode.SpecFileName);
            ChainSpec? spec = null;
            if (!File.Exists(specPath))
            {
                Console.Out.WriteLine($"creating a new devnet in {root}");
                spec = Create(keysDir, blockMs, count);
            }
            else if (pr.GetResult(blockTime) is { Implicit: false } && ChainSpec.FromJson(File.ReadAllText(specPath)).BlockTimeMs != blockMs)
                throw new CliException("this devnet was created with another block time; add --reset to start a new chain with it", ExitCodes.BadInput);
            var nodeKey = Keystore.Decrypt(KeyFiles.ReadText(Path.Combine(keysDir, "node.json")), DevPassword);
            settings.Save(root);

            using var shutdown = new Shutdown(ct);
            await using var node = await ChainlabNode.StartAsync(new NodeOptions
            {
                DataDir = dataDir, Spec = spec, ProducerKey = nodeKey, ApiPort = pr.GetValue(port), LogLevel = LogLevel.Warning,
                Postgres = settings.Postgres is { } cs ? PostgresChainStore.ForSchema(cs, settings.NodeSchema(1)) : null,
            }, shutdown.Token);
            await File.WriteAllTextAsync(DevnetControl.PidFile(root), Environment.ProcessId.ToString(), ct);
            PrintSummary(node, keysDir);
            using var sub = node.Events.Subscribe();
            try
            {
                await foreach (var e in sub.Reader.ReadAllAsync(shutdown.Token))
                {
                    if (e.Data is not HeadEvent h) continue;
                    Console.Out.WriteLine($"{DateTimeOffset.FromUnixTimeMilliseconds((long)h.TimestampMs):HH:mm:ss} block {h.Height,6} {h.Hash[..16]} {h.TxCount,6} txs");
                }
            }
            catch (OperationCanceledException) { }
            Console.Out.WriteLine("stopping…");
            File.Delete(DevnetControl.PidFile(root));
            return 0;
        });
        cmd.Subcommands.Add(up);

        var stop = new Command("stop", "Stop the devnet running in another terminal") { dir };
        stop.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            Console.Out.WriteLine(await DevnetControl.StopAsync(root, ct) ? "devnet stopped" : "devnet is not running");
            return 0;
        });
        cmd.Subcommands.Add(stop);

        var snapshot = new Command("snapshot", "Save or restore the devnet's data to repeat experiments from the same point");
        var name = new Argument<string>("name") { Description = "Snapshot name (lower-case letters, digits and _)" };
        var snapPort = new Option<int>("--port") { Description = "API port when the devnet is started again", DefaultValueFactory = _ => 7700 };
        foreach (var (verb, what) in new[] { ("save", "Stop the devnet, copy every node's data to a snapshot, start it again"),
                                            ("restore", "Stop the devnet, put a snapshot's data back, start it again") })
        {
            var c = new Command(verb, what) { name, dir, snapPort };
            c.SetAction(async (pr, ct) =>
            {
                var root = Path.GetFullPath(pr.GetValue(dir)!);
                var n = pr.GetValue(name)!;
                if (!System.Text.RegularExpressions.Regex.IsMatch(n, "^[a-z0-9_]{1,24}$"))
                    throw new CliException("snapshot names are 1-24 lower-case letters, digits or _", ExitCodes.BadInput);
                if (!File.Exists(Path.Combine(root, "node", ChainlabNode.SpecFileName)))
                    throw new CliException($"no devnet in {root}; run devnet up first", ExitCodes.NotFound);
                if (verb == "restore" && !Directory.Exists(DevnetControl.SnapshotDir(root, n)))
                    throw new CliException($"no snapshot '{n}' in {Path.Combine(root, "snapshots")}", ExitCodes.NotFound);
                var wasRunning = await DevnetControl.StopAsync(root, ct);
                if (verb == "save") DevnetControl.Save(root, n); else DevnetControl.Restore(root, n);
                Console.Out.WriteLine(verb == "save" ? $"saved snapshot {n}" : $"restored snapshot {n}");
                if (wasRunning)
                    Console.Out.WriteLine($"devnet started again in the background (pid {await DevnetControl.StartInBackgroundAsync(root, pr.GetValue(snapPort), ct)}, log {Path.Combine(root, "devnet.log")})");
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

    private static ChainSpec Create(string keysDir, ulong blockMs, int count)
    {
        Directory.CreateDirectory(keysDir);
        var nodeKey = KeyPair.Generate();
        File.WriteAllText(Path.Combine(keysDir, "node.json"), Keystore.Encrypt(nodeKey, DevPassword, "devnet authority"));
        var dev = new KeyPair[count];
        Parallel.For(0, count, i =>
        {
            dev[i] = KeyPair.Generate();
            File.WriteAllText(Path.Combine(keysDir, $"dev{i + 1}.json"), Keystore.Encrypt(dev[i], DevPassword, $"dev{i + 1}"));
        });
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var pub = Convert.ToHexStringLower(nodeKey.PublicKey);
        return new ChainSpec
        {
            ChainId = "chainlab-devnet",
            GenesisTimeMs = now - now % blockMs,
            BlockTimeMs = blockMs,
            BlockReward = 1_000,
            MinFee = 1,
            Consensus = new ConsensusSpec { Engine = "poa", Authorities = [pub], Admin = pub },
            Alloc = dev.ToDictionary(k => k.Address.ToString(), _ => DevBalance),
        };
    }

    private static void PrintSummary(ChainlabNode node, string keysDir)
    {
        var spec = node.Chain.Spec;
        Console.Out.WriteLine($"devnet up: chain {spec.ChainId}, consensus {node.Chain.Engine.Name}, block time {spec.BlockTimeMs} ms");
        Console.Out.WriteLine($"API      {node.ApiUrl}  (OpenAPI {node.ApiUrl}openapi/v1.json)");
        Console.Out.WriteLine($"head     {node.Chain.Head.Height} {node.Chain.Head.Hash}");
        Console.Out.WriteLine($"store    {node.Store.Describe}");
        Console.Out.WriteLine("dev accounts (key password: " + DevPassword + "):");
        foreach (var f in Directory.GetFiles(keysDir, "dev*.json").OrderBy(f => f.Length).ThenBy(f => f))
        {
            var k = Keystore.ReadPublic(File.ReadAllText(f));
            var balance = node.Chain.Account(Address.Parse(k.Address)).Balance;
            Console.Out.WriteLine($"  {k.Label,-6} {k.Address,-36} {balance,22:N0}  {f}");
        }
        Console.Out.WriteLine($"try: chainlab tx send --from {Path.Combine(keysDir, "dev1.json")} --to <address> --amount 100 --wait");
        Console.Out.WriteLine("Ctrl+C stops the devnet; running the command again resumes it; --reset starts a new chain.");
    }
}
