using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;

namespace Chainlab.Cli.Commands;

/// <summary>devnet fault ACTION …: faults on the devnet running in another terminal, through its control route.</summary>
public static partial class DevnetCommands
{
    private static Command Fault(Option<string> dir)
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
}
