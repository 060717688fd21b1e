using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Cli.Scenarios;

/// <summary>One node at one sampling instant (Up is false when its API did not answer).</summary>
public sealed record NodeSample(int Node, bool Up, ulong Height, string Hash, long Reorgs, ulong DeepestReorg, IReadOnlyList<string> Peers, ulong Final = 0);

/// <summary>The last final checkpoint a node reported (finality), first seen at T seconds.</summary>
public sealed record FinalSeen(double T, int Node, ulong Height, string Hash);

/// <summary>Every node at one instant, seconds after the scenario started.</summary>
public sealed record Sample(double T, IReadOnlyList<NodeSample> Nodes);

/// <summary>Something that happened: a fault applied, a phase begun, a ban seen.</summary>
public sealed record TimelineEntry(double T, string What);

/// <summary>A transaction the load sent, and when an honest node first reported it committed deep enough.</summary>
public sealed class SentTx(string hash, double at, int node)
{
    public string Hash { get; } = hash;
    public double SubmittedAt { get; } = at;
    public int Node { get; } = node;
    public double? CommittedAt { get; set; }
    public ulong? Height { get; set; }
    public int? ReportedBy { get; set; }
}

/// <summary>What a scenario run saw, for the invariants and the report.</summary>
public sealed class Observations(Scenario scenario, Chainlab.Core.Model.ChainSpec spec, IReadOnlySet<int> honest, Func<int, HttpClient> api, Func<int, bool> running)
{
    public Scenario Scenario { get; } = scenario;
    /// <summary>The chain spec of the run's devnet (the checks verify seals with its engine).</summary>
    public Chainlab.Core.Model.ChainSpec Spec { get; } = spec;
    // Replaced whole, never changed in place: the sampler reads it while a misbehave fault changes it.
    private volatile IReadOnlySet<int> _honest = honest.ToHashSet();
    /// <summary>Nodes running without misbehaviours (a misbehave fault takes a node out, or back in).</summary>
    public IReadOnlySet<int> Honest => _honest;

    /// <summary>Node n runs honestly, or misbehaves, from now on: the checks count it accordingly.</summary>
    public void SetHonest(int n, bool honest)
    {
        var next = _honest.ToHashSet();
        if (honest) next.Add(n);
        else next.Remove(n);
        _honest = next;
    }
    public List<Sample> Samples { get; } = new();
    public List<TimelineEntry> Timeline { get; } = new();
    public List<SentTx> Sent { get; } = new();
    /// <summary>Node ids (16 hex digits) and producer keys (hex) by node number.</summary>
    public Dictionary<int, string> Ids { get; } = new();
    public Dictionary<int, string> ProducerKeys { get; } = new();
    public int Rejected;
    public HttpClient Api(int n) => api(n);
    public bool Running(int n) => running(n);

    /// <summary>Blocks honest nodes held at the no-lost-commits depth during the run: (height, hash) → (node, time) first seen.</summary>
    public Dictionary<(ulong Height, string Hash), (int Node, double T)> DeepBlocks { get; } = new();

    /// <summary>Each change of an honest node's last final checkpoint during the run (sampled when a finality invariant is asked for).</summary>
    public List<FinalSeen> Finals { get; } = new();

    /// <summary>Heads seen on honest nodes during the run whose seal did not check (node, height, hash, why).</summary>
    public List<string> BadHeads { get; } = new();
    /// <summary>Head hashes already checked.</summary>
    public HashSet<string> CheckedHeads { get; } = new();

    /// <summary>Honest nodes whose process runs and whose API answers at the end.</summary>
    public List<int> LiveHonest { get; } = new();

    public void Note(double t, string what)
    {
        lock (Timeline) Timeline.Add(new TimelineEntry(Math.Round(t, 1), what));
    }

    /// <summary>Every header of node's canonical chain from height 1 up, a page of a hundred at a time.</summary>
    public async IAsyncEnumerable<JsonNode> HeadersAsync(int node, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ulong from = 1;
        while (await GetAsync(node, $"/api/v1/blocks?from={from}&limit=100", ct) is { } page)
        {
            foreach (var h in page["blocks"]!.AsArray()) yield return h!;
            if (page["next"]?.GetValue<ulong>() is not { } next) yield break;
            from = next;
        }
    }

    public async Task<JsonObject?> GetAsync(int node, string path, CancellationToken ct)
    {
        try { return await api(node).GetFromJsonAsync<JsonObject>(path, ct); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
    }
}
