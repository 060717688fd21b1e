using Chainlab.Node.Faults;

namespace Chainlab.Cli.Devnets;

/// <summary>One fault to apply to a running devnet (what `devnet fault` sends and a scenario's timeline holds).</summary>
/// <param name="Action">kill, restart, pause, resume, partition, heal, latency or skew.</param>
/// <param name="Nodes">The nodes it acts on (kill, restart, pause, resume, skew).</param>
/// <param name="Groups">partition: the groups that may talk only among themselves; latency: two groups whose links are shaped (none: every link).</param>
/// <param name="Bridge">partition: nodes linked to every group.</param>
/// <param name="Misbehave">misbehave: the misbehaviours the nodes restart with (none: honest again).</param>
public sealed record FaultCommand(string Action, IReadOnlyList<int>? Nodes = null, IReadOnlyList<IReadOnlyList<int>>? Groups = null,
    IReadOnlyList<int>? Bridge = null, double LatencyMs = 0, double JitterMs = 0, double Loss = 0, long SkewMs = 0, IReadOnlyList<string>? Misbehave = null)
{
    public static readonly string[] Actions = ["kill", "restart", "pause", "resume", "partition", "heal", "latency", "skew", "misbehave"];

    public override string ToString() => Action switch
    {
        "partition" => $"partition {string.Join(" | ", Groups!.Select(g => string.Join(',', g)))}" + (Bridge is { Count: > 0 } b ? $" bridge {string.Join(',', b)}" : ""),
        "latency" => $"latency {LatencyMs} ms ± {JitterMs} ms, loss {Loss:P0}" + (Groups is { Count: 2 } g2 ? $" between {string.Join(',', g2[0])} and {string.Join(',', g2[1])}" : " on every link"),
        "skew" => $"skew node {string.Join(',', Nodes!)} by {SkewMs} ms",
        "heal" => "heal",
        "misbehave" => $"restart node {string.Join(',', Nodes!)} " + (Misbehave is { Count: > 0 } m ? "misbehaving: " + string.Join(", ", m) : "honest"),
        _ => $"{Action} node {string.Join(',', Nodes ?? [])}",
    };
}

/// <summary>
/// The faults of a running devnet: process faults (kill -9, restart, SIGSTOP, SIGCONT) done by the supervisor,
/// and link and clock faults (partitions with bridges, latency, jitter, loss, skew) set in each node's own
/// transport through its devnet control route. Keeps the whole picture, so a restarted or resumed node gets
/// its share again.
/// </summary>
public sealed class DevnetFaults(DevnetSupervisor devnet)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<IReadOnlyList<int>> _groups = [];
    private IReadOnlyList<int> _bridge = [];
    private readonly List<(IReadOnlyList<int>? A, IReadOnlyList<int>? B, LinkShape Shape)> _shapes = new();
    private readonly Dictionary<int, long> _skew = new();
    private readonly Dictionary<int, string> _ids = new();

    /// <summary>Checks a command against this devnet; throws CliException with the reason.</summary>
    public static void Validate(FaultCommand c, int nodes)
    {
        void Check(IEnumerable<int>? list, string what)
        {
            foreach (var n in list ?? []) if (n < 1 || n > nodes) throw new CliException($"{what}: no node {n} in this devnet (1..{nodes})", ExitCodes.BadInput);
        }
        if (!FaultCommand.Actions.Contains(c.Action)) throw new CliException($"unknown fault '{c.Action}' ({string.Join(", ", FaultCommand.Actions)})", ExitCodes.BadInput);
        Check(c.Nodes, c.Action);
        foreach (var g in c.Groups ?? []) Check(g, c.Action);
        Check(c.Bridge, c.Action);
        switch (c.Action)
        {
            case "misbehave" when c.Misbehave?.Any(n => !Chainlab.Node.Adversary.Misbehaviours.Names.Contains(n)) == true:
                throw new CliException($"misbehave: unknown misbehaviour '{c.Misbehave.First(n => !Chainlab.Node.Adversary.Misbehaviours.Names.Contains(n))}' ({string.Join(", ", Chainlab.Node.Adversary.Misbehaviours.Names)})", ExitCodes.BadInput);
            case "kill" or "restart" or "pause" or "resume" or "skew" or "misbehave" when c.Nodes is not { Count: > 0 }:
                throw new CliException($"{c.Action} needs the nodes it acts on", ExitCodes.BadInput);
            case "partition" when c.Groups is not { Count: >= 2 } || c.Groups.Any(g => g.Count == 0):
                throw new CliException("partition needs at least two groups of nodes, e.g. 1,2/3,4", ExitCodes.BadInput);
            case "partition" when c.Groups.SelectMany(g => g).Concat(c.Bridge ?? []).GroupBy(n => n).Any(g => g.Count() > 1):
                throw new CliException("partition: a node may be in one group only (a node linked to all is a --bridge)", ExitCodes.BadInput);
            case "latency" when c.Groups is { Count: not 2 and not 0 }:
                throw new CliException("latency takes no groups (every link) or two groups (the links between them)", ExitCodes.BadInput);
            case "latency" when c.LatencyMs < 0 || c.JitterMs < 0 || c.Loss is < 0 or > 1 || double.IsNaN(c.Loss):
                throw new CliException("latency and jitter must be 0 or more, loss between 0 and 1", ExitCodes.BadInput);
        }
    }

    /// <summary>Applies one fault; returns what happened, in one line.</summary>
    public async Task<string> ApplyAsync(FaultCommand c, CancellationToken ct)
    {
        Validate(c, devnet.Count);
        await _gate.WaitAsync(ct);
        try
        {
            var nodes = c.Nodes ?? [];
            switch (c.Action)
            {
                case "kill":
                    foreach (var n in nodes) await devnet.KillAsync(n);
                    break;
                case "restart":
                    foreach (var n in nodes)
                    {
                        await devnet.RestartAsync(n, ct);
                        await PushAsync(n, ct);
                    }
                    break;
                case "misbehave":
                    foreach (var n in nodes)
                    {
                        devnet.SetMisbehaviour(n, c.Misbehave ?? []);
                        await devnet.RestartAsync(n, ct);
                        await PushAsync(n, ct);
                    }
                    break;
                case "pause":
                    foreach (var n in nodes) devnet.Pause(n);
                    break;
                case "resume":
                    foreach (var n in nodes)
                    {
                        devnet.Resume(n);
                        await PushAsync(n, ct);
                    }
                    break;
                case "partition":
                    _groups = c.Groups!;
                    _bridge = c.Bridge ?? [];
                    await PushAllAsync(ct);
                    break;
                case "heal":
                    _groups = [];
                    _bridge = [];
                    _shapes.Clear();
                    await PushAllAsync(ct);
                    break;
                case "latency":
                    _shapes.Add((c.Groups is { Count: 2 } g ? g[0] : null, c.Groups is { Count: 2 } h ? h[1] : null, new LinkShape(c.LatencyMs, c.JitterMs, c.Loss)));
                    await PushAllAsync(ct);
                    break;
                case "skew":
                    foreach (var n in nodes) _skew[n] = c.SkewMs;
                    await PushAllAsync(ct);
                    break;
            }
            return c.ToString();
        }
        finally { _gate.Release(); }
    }

    /// <summary>Which group node n is in under the current partition (nodes in no group form one more group together); -1 for a bridge.</summary>
    private int GroupOf(int n)
    {
        if (_bridge.Contains(n)) return -1;
        for (var g = 0; g < _groups.Count; g++) if (_groups[g].Contains(n)) return g;
        return _groups.Count;
    }

    /// <summary>May nodes a and b talk under the current partition?</summary>
    public bool Linked(int a, int b) => _groups.Count == 0 || GroupOf(a) == -1 || GroupOf(b) == -1 || GroupOf(a) == GroupOf(b);

    /// <summary>Node n's part of the picture, in terms of its peers' ids.</summary>
    private async Task<FaultSettings> SettingsFor(int n, CancellationToken ct)
    {
        var cut = new List<string>();
        var links = new Dictionary<string, LinkShape>();
        for (var m = 1; m <= devnet.Count; m++)
        {
            if (m == n) continue;
            if (!Linked(n, m)) cut.Add(await IdAsync(m, ct));
            foreach (var (a, b, shape) in _shapes)
            {
                if (a is null) links["*"] = shape;
                else if ((a.Contains(n) && b!.Contains(m)) || (b!.Contains(n) && a.Contains(m))) links[await IdAsync(m, ct)] = shape;
            }
        }
        return new FaultSettings(cut, links, _skew.GetValueOrDefault(n));
    }

    private async Task<string> IdAsync(int n, CancellationToken ct)
    {
        if (_ids.TryGetValue(n, out var id)) return id;
        if (!devnet.IsRunning(n) || devnet.IsPaused(n))
            throw new CliException($"node {n} is down or paused and its id is not known yet; start it before cutting links to it", ExitCodes.BadInput);
        return _ids[n] = await devnet.NodeIdAsync(n, ct);
    }

    /// <summary>Learns every running node's id (a scenario does this at start, so later faults never need a paused node's API).</summary>
    public async Task LearnIdsAsync(CancellationToken ct)
    {
        for (var n = 1; n <= devnet.Count; n++)
            if (devnet.IsRunning(n) && !devnet.IsPaused(n)) await IdAsync(n, ct);
    }

    private async Task PushAllAsync(CancellationToken ct)
    {
        for (var n = 1; n <= devnet.Count; n++) await PushAsync(n, ct);
    }

    /// <summary>Sends node n its faults; a node that is down or paused gets them when it is restarted or resumed.</summary>
    private async Task PushAsync(int n, CancellationToken ct)
    {
        if (!devnet.IsRunning(n) || devnet.IsPaused(n)) return;
        await devnet.SetFaultsAsync(n, await SettingsFor(n, ct), ct);
    }
}
