using Chainlab.Node.Hosting;
using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace Chainlab.Node.Tests.Architecture;

/// <summary>
/// The layers of docs/architecture.md, checked on the compiled assemblies (every reference in signatures and
/// method bodies, read by ArchUnitNET): no dependency cycle between the folders of a project, and the pure
/// projects never reach the node. A folder is a namespace one level below its project's root
/// (<c>Chainlab.Node.Chain</c>, <c>Chainlab.Core.Consensus</c>), except under <c>Chainlab.Node.Network</c>,
/// whose parts (<c>Peers</c>, <c>Gossip</c>, <c>Sync</c>, <c>Dht</c>, <c>Protocol</c>) are folders of their own;
/// deeper namespaces (<c>Storage.Sqlite</c>, <c>Consensus.Pos</c>) belong to their folder.
/// </summary>
public sealed class LayerTests
{
    static readonly Lazy<ArchUnitNET.Domain.Architecture> Loaded = new(() => new ArchLoader().LoadAssemblies(
        typeof(Chainlab.Core.Model.Block).Assembly,
        typeof(Chainlab.Contracts.DeployRules).Assembly,
        typeof(Chainlab.Client.ChainlabClient).Assembly,
        typeof(Chainlab.Sim.Simulation).Assembly,
        typeof(Chainlab.Node.Hosting.NodeCore).Assembly,
        typeof(Chainlab.Cli.Invocation).Assembly).Build());

    static readonly string[] Projects = ["Chainlab.Core", "Chainlab.Contracts", "Chainlab.Client", "Chainlab.Node", "Chainlab.Sim", "Chainlab.Cli"];

    /// <summary>The folder a namespace belongs to, or null outside our projects.</summary>
    public static string? FolderOf(string ns)
    {
        var project = Projects.FirstOrDefault(p => ns == p || ns.StartsWith(p + ".", StringComparison.Ordinal));
        if (project is null) return null;
        var parts = ns.Split('.');
        var depth = ns.StartsWith("Chainlab.Node.Network.", StringComparison.Ordinal) ? 4 : 3;
        return string.Join('.', parts.Take(Math.Min(depth, parts.Length)));
    }

    /// <summary>Folder → folders it uses, with one example reference per edge for the failure message.</summary>
    static Dictionary<string, Dictionary<string, string>> FolderGraph()
    {
        var graph = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in Loaded.Value.Types)
        {
            var from = FolderOf(type.Namespace?.FullName ?? "");
            if (from is null) continue;
            if (!graph.TryGetValue(from, out var edges)) graph[from] = edges = [];
            foreach (var dependency in type.Dependencies)
            {
                if (dependency.Target?.Namespace?.FullName is not { } target) continue;
                var to = FolderOf(target);
                if (to is null || to == from) continue;
                edges.TryAdd(to, $"{Short(type.FullName)} → {Short(dependency.Target.FullName)}");
            }
        }
        return graph;
    }

    static string Short(string name) => name.Length > 120 ? name[..120] + "…" : name;

    /// <summary>The strongly connected components with more than one folder (Tarjan's algorithm).</summary>
    public static List<List<string>> Cycles(IReadOnlyDictionary<string, Dictionary<string, string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var found = new List<List<string>>();
        var next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var edges) ? edges.Keys.Order(StringComparer.Ordinal).ToList() : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) found.Add([.. component.Order(StringComparer.Ordinal)]);
        }
        foreach (var v in graph.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return found;
    }

    [Fact]
    public void No_folder_of_a_project_depends_on_itself_through_other_folders()
    {
        var graph = FolderGraph();
        var cycles = Cycles(graph);
        var report = cycles.Select(c => string.Join("\n", c.SelectMany(from => c
            .Where(to => graph[from].ContainsKey(to))
            .Select(to => $"  {from} → {to}   (e.g. {graph[from][to]})"))));
        Assert.True(cycles.Count == 0, "dependency cycles between folders:\n" + string.Join("\n--\n", report));
    }

    [Fact]
    public void The_protocol_the_contracts_and_the_client_library_never_reach_the_node_or_the_command_line()
    {
        var wrong = FolderGraph()
            .Where(kv => In(kv.Key, "Chainlab.Core", "Chainlab.Contracts", "Chainlab.Client"))
            .SelectMany(kv => kv.Value.Where(e => In(e.Key, "Chainlab.Node", "Chainlab.Cli"))
                .Select(e => $"{kv.Key} → {e.Key} ({e.Value})"))
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));

        // "Chainlab.Client" is not in "Chainlab.Cli": a project is its name or its name and a dot.
        static bool In(string folder, params string[] projects) =>
            projects.Any(p => folder == p || folder.StartsWith(p + ".", StringComparison.Ordinal));
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_of_three_and_ignores_a_chain()
    {
        var cyclic = new Dictionary<string, Dictionary<string, string>>
        {
            ["a"] = new() { ["b"] = "" }, ["b"] = new() { ["c"] = "" }, ["c"] = new() { ["a"] = "", ["d"] = "" }, ["d"] = [],
        };
        Assert.Equal(["a", "b", "c"], Assert.Single(Cycles(cyclic)));
        cyclic["c"].Remove("a");
        Assert.Empty(Cycles(cyclic));
    }

    [Fact]
    public void Folders_are_namespaces_one_below_the_project_and_the_parts_of_the_network()
    {
        Assert.Equal("Chainlab.Node.Storage", FolderOf("Chainlab.Node.Storage.Sqlite"));
        Assert.Equal("Chainlab.Node.Network.Peers", FolderOf("Chainlab.Node.Network.Peers"));
        Assert.Equal("Chainlab.Core.Consensus", FolderOf("Chainlab.Core.Consensus.Pos"));
        Assert.Equal("Chainlab.Node", FolderOf("Chainlab.Node"));
        Assert.Null(FolderOf("System.Linq"));
    }
}
