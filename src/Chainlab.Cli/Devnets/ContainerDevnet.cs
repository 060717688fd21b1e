using System.CommandLine;
using Chainlab.Core.Model;
using Chainlab.Node.Hosting;

namespace Chainlab.Cli.Devnets;

/// <summary>
/// What `devnet compose` and `devnet kube` share: the options that describe the network, checked the same way,
/// and the folder they both write beside their own file (chainlab/chainspec.json and chainlab/keys/).
/// </summary>
public sealed class ContainerDevnetOptions
{
    public readonly Option<string> Output;
    public readonly Option<int> Nodes;
    public readonly Option<string> Consensus = new("--consensus") { Description = "poa (node 1 is the authority), pos (every node a validator) or pow (every node mines)", DefaultValueFactory = _ => "poa" };
    public readonly Option<string> BlockTime = new("--block-time") { Description = "Block time, e.g. 2s or 500ms", DefaultValueFactory = _ => "2s" };
    public readonly Option<int> Accounts = new("--accounts") { Description = "Funded dev accounts", DefaultValueFactory = _ => 4 };
    public readonly Option<string> Image;
    public readonly Option<bool> Force;

    /// <param name="file">The file the command writes (compose.yaml, kube.yaml).</param>
    /// <param name="defaultOut">Default of --out.</param>
    /// <param name="nodes">What a node is there (containers, pods), for --nodes.</param>
    /// <param name="image">The end of the --image description.</param>
    /// <param name="replace">What --force replaces and what else must go.</param>
    public ContainerDevnetOptions(string file, string defaultOut, string nodes, string image, string replace)
    {
        Output = new("--out") { Description = $"Folder to write {file}, the chain spec and the keys into", DefaultValueFactory = _ => defaultOut };
        Nodes = new("--nodes") { Description = $"{nodes} (1..32)", DefaultValueFactory = _ => 4 };
        Image = new("--image") { Description = $"Node image{image}", DefaultValueFactory = _ => "localhost/chainlab:latest" };
        Force = new("--force") { Description = replace };
    }

    public IEnumerable<Option> All => [Output, Nodes, Consensus, BlockTime, Accounts, Image];

    /// <summary>The options checked; a bad one ends the command with one line and <see cref="ExitCodes.BadInput"/>.</summary>
    public ContainerDevnet Check(ParseResult pr)
    {
        var count = pr.GetValue(Nodes);
        if (count is < 1 or > 32) throw new CliException("--nodes must be 1..32", ExitCodes.BadInput);
        var engine = pr.GetValue(Consensus)!;
        if (!ConsensusSpec.Engines.Contains(engine)) throw new CliException($"--consensus must be one of {string.Join(", ", ConsensusSpec.Engines)}", ExitCodes.BadInput);
        var blockMs = Global.ParseDurationMs(pr.GetValue(BlockTime)!, "--block-time");
        if (blockMs < 50) throw new CliException("--block-time must be at least 50ms", ExitCodes.BadInput);
        var accounts = pr.GetValue(Accounts);
        if (accounts is < 1 or > 100) throw new CliException("--accounts must be 1..100", ExitCodes.BadInput);
        var image = pr.GetValue(Image)!;
        if (image.Length == 0 || image.Any(c => char.IsWhiteSpace(c) || c is '"' or '$' or '\'' or '#')) throw new CliException($"--image '{image}' is not an image name", ExitCodes.BadInput);
        return new ContainerDevnet(Path.GetFullPath(pr.GetValue(Output)!), new DevnetSettings { Consensus = engine, Nodes = count }, blockMs, accounts, image, pr.GetValue(Force));
    }
}

/// <summary>A devnet for containers, its options checked: where it goes, its nodes and engine, and the image they run.</summary>
public sealed record ContainerDevnet(string Root, DevnetSettings Settings, ulong BlockMs, int Accounts, string Image, bool Force)
{
    /// <summary>The folder beside the command's file: the chain spec and the keys (chainlab/ in --out).</summary>
    public string ConfigDir => Path.Combine(Root, "chainlab");
    public string KeysDir => Path.Combine(ConfigDir, "keys");

    /// <summary>
    /// Makes a new chain: keys in chainlab/keys and the chain spec in chainlab/chainspec.json. A network already in
    /// the folder (its <paramref name="file"/> or its chainlab/ folder) is replaced only with --force.
    /// </summary>
    public ChainSpec WriteChain(string file, string replaceHint)
    {
        if (File.Exists(Path.Combine(Root, file)) || Directory.Exists(ConfigDir))
        {
            if (!Force) throw new CliException($"{Root} already holds a network; --force replaces it ({replaceHint})", ExitCodes.BadInput);
            if (Directory.Exists(ConfigDir)) Directory.Delete(ConfigDir, recursive: true);
        }
        var spec = DevnetGenesis.Create(KeysDir, BlockMs, Accounts, Settings.Consensus, Settings.Nodes, faucet: false);
        File.WriteAllText(Path.Combine(ConfigDir, NodeCore.SpecFileName), spec.ToJson());
        return spec;
    }

    /// <summary>The arguments of `chainlab` that run node <paramref name="i"/> (1-based) inside its container: its key if it produces, --mine under PoW.</summary>
    /// <param name="specDir">Where the container sees the chain spec.</param>
    /// <param name="keysRoot">The folder whose keys/ holds the key files inside the container.</param>
    public static List<string> NodeArgs(DevnetSettings settings, int i, string specDir, string keysRoot)
    {
        var args = new List<string> { "node", "run", "--data", "/data", "--spec", $"{specDir}/{NodeCore.SpecFileName}",
            "--listen", "0.0.0.0", "--port", ContainerPorts.Api.ToString(), "--p2p-listen", "0.0.0.0", "--p2p-port", ContainerPorts.P2P.ToString() };
        if (settings.KeyFile(keysRoot, i) is { } key) args.AddRange(["--key", key]);
        if (settings.Consensus == "pow") args.Add("--mine");
        return args;
    }
}

/// <summary>The API and peer ports inside every node container (the Dockerfile exposes them).</summary>
public static class ContainerPorts
{
    public const int Api = 8080, P2P = 30300;
}
