using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;
using Spectre.Console;
using Chainlab.Node.Storage.Postgres;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab devnet up: a local proof-of-authority network with funded dev accounts.</summary>
/// <remarks>One builder per subcommand: up (DevnetCommands.Up.cs), compose (DevnetCompose), kube (DevnetKube), fault (DevnetCommands.Fault.cs),
/// stop, reset, status (here) and snapshot (DevnetCommands.Snapshot.cs).</remarks>
public static partial class DevnetCommands
{
    public static Command Build()
    {
        var dir = new Option<string>("--dir") { Description = "Devnet folder", DefaultValueFactory = _ => Path.Combine(".chainlab", "devnet") };
        return new Command("devnet", "A local development network")
        {
            Up(dir),
            DevnetCompose.Build(),
            DevnetKube.Build(),
            Fault(dir),
            Stop(dir),
            Reset(dir),
            Status(dir),
            Snapshot(dir),
        };
    }

    /// <summary>devnet stop: ends the devnet running in another terminal.</summary>
    private static Command Stop(Option<string> dir)
    {
        var stop = new Command("stop", "Stop the devnet running in another terminal") { dir };
        stop.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            Console.Out.WriteLine(await DevnetControl.StopAsync(root, ct) ? "devnet stopped" : "devnet is not running");
            return 0;
        });
        return stop;
    }

    /// <summary>devnet reset: stops the devnet and deletes its folder.</summary>
    private static Command Reset(Option<string> dir)
    {
        var reset = new Command("reset", "Stop the devnet if it runs and delete its chain, keys and snapshots") { dir };
        reset.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            if (!Directory.Exists(root)) { Console.Out.WriteLine($"no devnet in {root}"); return 0; }
            if (await DevnetControl.StopAsync(root, ct)) Console.Out.WriteLine("devnet stopped");
            DeleteDevnet(root, DevnetSettings.Load(root));
            Console.Out.WriteLine($"deleted {root}; devnet up starts a new chain");
            return 0;
        });
        return reset;
    }

    /// <summary>devnet status: one row per node, asked over its API.</summary>
    private static Command Status(Option<string> dir)
    {
        var status = new Command("status", "Each node of the devnet: API, peer port, role, height, peers") { dir };
        status.SetAction((pr, ct) => RunStatusAsync(pr, dir, ct));
        return status;
    }

    private static async Task<int> RunStatusAsync(ParseResult pr, Option<string> dir, CancellationToken ct)
    {
        var root = Path.GetFullPath(pr.GetValue(dir)!);
        if (!File.Exists(Path.Combine(root, NodeCore.SpecFileName))) throw new CliException($"no devnet in {root}", ExitCodes.NotFound);
        var settings = DevnetSettings.Load(root);
        var pid = DevnetControl.RunningPid(root);
        var rows = new List<DevnetNodeRow>();
        for (var i = 1; i <= settings.Nodes; i++) rows.Add(await StatusRowAsync(settings, i, ct));
        if (pr.GetValue(Global.Json)) { Global.PrintJson(new { running = pid is not null, pid, nodes = rows }); return 0; }
        Console.Out.WriteLine(pid is { } p ? $"devnet running (pid {p})" : "devnet is not running");
        var t = new Table().AddColumns("Node", "API", "P2P", "Role", "State", "Height", "Peers");
        foreach (var r in rows)
            t.AddRow(new[] { r.Node, r.Api, r.P2pPort.ToString(), r.Role, r.State, r.Height, r.Peers }.Select(x => new Text(x)).ToArray());
        AnsiConsole.Write(t);
        return 0;
    }

    /// <summary>Node <paramref name="i"/>'s row: "down" with no height or peers when its API does not answer.</summary>
    private static async Task<DevnetNodeRow> StatusRowAsync(DevnetSettings settings, int i, CancellationToken ct)
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
        return new DevnetNodeRow($"node{i}", api, settings.P2PPort + i - 1, settings.Role(i), state, height, peers);
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
}

/// <summary>One line of `devnet status`.</summary>
public sealed record DevnetNodeRow(string Node, string Api, int P2pPort, string Role, string State, string Height, string Peers);
