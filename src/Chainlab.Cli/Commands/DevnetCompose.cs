using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;
using System.Text;
using Chainlab.Core.Model;

namespace Chainlab.Cli.Commands;

/// <summary>
/// chainlab devnet compose: the devnet as containers. Writes a compose file (Docker Compose and podman-compose
/// read it) for N nodes of the image the repository's Dockerfile builds, with a new chain spec and its keys.
/// </summary>
public static class DevnetCompose
{
    /// <summary>The API and peer ports inside every container (the Dockerfile exposes them).</summary>
    public const int ApiPort = 8080, P2PPort = 30300;

    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder to write compose.yaml, the chain spec and the keys into", DefaultValueFactory = _ => Path.Combine(".chainlab", "compose") };
        var nodes = new Option<int>("--nodes") { Description = "Node containers (1..32)", DefaultValueFactory = _ => 4 };
        var consensus = new Option<string>("--consensus") { Description = "poa (node 1 is the authority), pos (every node a validator) or pow (every node mines)", DefaultValueFactory = _ => "poa" };
        var blockTime = new Option<string>("--block-time") { Description = "Block time, e.g. 2s or 500ms", DefaultValueFactory = _ => "2s" };
        var accounts = new Option<int>("--accounts") { Description = "Funded dev accounts", DefaultValueFactory = _ => 4 };
        var port = new Option<int>("--port") { Description = "Host port of node 1's API on 127.0.0.1 (node i: this + i - 1)", DefaultValueFactory = _ => 7700 };
        var image = new Option<string>("--image") { Description = "Node image (the file also honours $CHAINLAB_IMAGE)", DefaultValueFactory = _ => "localhost/chainlab:latest" };
        var postgres = new Option<bool>("--postgres") { Description = "Add a PostgreSQL service and keep each node's chain in its own schema there (default: SQLite in each node's volume)" };
        var force = new Option<bool>("--force") { Description = "Replace a compose network already in --out (its old volumes must go too: compose down -v)" };
        var cmd = new Command("compose", "Write a compose file for an N-node devnet in containers (see docs/containers.md)")
            { output, nodes, consensus, blockTime, accounts, port, image, postgres, force };
        cmd.SetAction(pr =>
        {
            var root = Path.GetFullPath(pr.GetValue(output)!);
            var count = pr.GetValue(nodes);
            if (count is < 1 or > 32) throw new CliException("--nodes must be 1..32", ExitCodes.BadInput);
            var engine = pr.GetValue(consensus)!;
            if (!ConsensusSpec.Engines.Contains(engine)) throw new CliException($"--consensus must be one of {string.Join(", ", ConsensusSpec.Engines)}", ExitCodes.BadInput);
            var blockMs = Global.ParseDurationMs(pr.GetValue(blockTime)!, "--block-time");
            if (blockMs < 50) throw new CliException("--block-time must be at least 50ms", ExitCodes.BadInput);
            if (pr.GetValue(accounts) is < 1 or > 100) throw new CliException("--accounts must be 1..100", ExitCodes.BadInput);
            var hostPort = pr.GetValue(port);
            if (hostPort < 1 || hostPort + count - 1 > 65535) throw new CliException("--port must leave room for every node below 65536", ExitCodes.BadInput);
            var imageName = pr.GetValue(image)!;
            if (imageName.Length == 0 || imageName.Any(c => char.IsWhiteSpace(c) || c is '"' or '$' or '\'')) throw new CliException($"--image '{imageName}' is not an image name", ExitCodes.BadInput);

            var composeFile = Path.Combine(root, "compose.yaml");
            var configDir = Path.Combine(root, "chainlab");
            if (File.Exists(composeFile) || Directory.Exists(configDir))
            {
                if (!pr.GetValue(force)) throw new CliException($"{root} already holds a compose network; --force replaces it (a new chain: remove the old volumes with compose down -v)", ExitCodes.BadInput);
                if (Directory.Exists(configDir)) Directory.Delete(configDir, recursive: true);
            }
            var keys = Path.Combine(configDir, "keys");
            var spec = DevnetGenesis.Create(keys, blockMs, pr.GetValue(accounts), engine, count);
            File.WriteAllText(Path.Combine(configDir, NodeCore.SpecFileName), spec.ToJson());
            // The node runs as its own user in the container and reads these through a bind mount, so they
            // cannot stay private to the user who wrote them. They are devnet keys: encrypted, with the
            // password everyone knows ("devnet"), and worth nothing outside this network.
            if (!OperatingSystem.IsWindows())
                foreach (var f in Directory.GetFiles(keys))
                    File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var settings = new DevnetSettings { Consensus = engine, Nodes = count };
            File.WriteAllText(composeFile, Yaml(settings, spec, imageName, hostPort, pr.GetValue(postgres)));

            Console.Out.WriteLine($"wrote {composeFile}: {count} node(s), {engine}, block time {blockMs} ms, store {(pr.GetValue(postgres) ? "postgres" : "sqlite")}");
            Console.Out.WriteLine($"build the image:  podman build -t {imageName} .   (or docker build, from the repository)");
            Console.Out.WriteLine($"start:            cd {root} && podman-compose up -d   (or docker compose up -d)");
            Console.Out.WriteLine($"API:              node1 http://127.0.0.1:{hostPort}/ … node{count} http://127.0.0.1:{hostPort + count - 1}/");
            Console.Out.WriteLine($"dev keys:         {keys} (password: {DevnetGenesis.DevPassword})");
            return 0;
        });
        return cmd;
    }

    /// <summary>The compose file: one service per node, node 1 the first bootstrap peer of the others, a volume per node.</summary>
    public static string Yaml(DevnetSettings settings, ChainSpec spec, string image, int hostPort, bool postgres)
    {
        var y = new StringBuilder();
        y.AppendLine($"# A Chainlab devnet: {settings.Nodes} node(s), {settings.Consensus}, block time {spec.BlockTimeMs} ms. Written by `chainlab devnet compose`.");
        y.AppendLine("# Build the image from the repository first (podman build -t IMAGE .), then: podman-compose up -d (or docker compose up -d).");
        y.AppendLine("# Node i's API is published on the host's loopback only; `down -v` also deletes the chains.");
        y.AppendLine("services:");
        if (postgres)
        {
            y.AppendLine("  postgres:");
            y.AppendLine("    image: docker.io/library/postgres:15");
            y.AppendLine("    environment:");
            y.AppendLine("      POSTGRES_USER: chainlab");
            y.AppendLine($"      POSTGRES_PASSWORD: {DevnetGenesis.DevPassword}");
            y.AppendLine("      POSTGRES_DB: chainlab");
            y.AppendLine("    volumes:");
            y.AppendLine("      - postgres-data:/var/lib/postgresql/data");
            y.AppendLine("    healthcheck:");
            y.AppendLine("      test: [\"CMD\", \"pg_isready\", \"-U\", \"chainlab\"]");
            y.AppendLine("      interval: 2s");
            y.AppendLine("      retries: 30");
            y.AppendLine("    restart: unless-stopped");
        }
        for (var i = 1; i <= settings.Nodes; i++)
        {
            var args = new List<string> { "node", "run", "--data", "/data", "--spec", $"/chainlab/{NodeCore.SpecFileName}",
                "--listen", "0.0.0.0", "--port", ApiPort.ToString(), "--p2p-listen", "0.0.0.0", "--p2p-port", P2PPort.ToString() };
            if (settings.KeyFile("/chainlab", i) is { } key) args.AddRange(["--key", key]);
            if (settings.Consensus == "pow") args.Add("--mine");
            if (i > 1) args.AddRange(["--bootstrap", $"node1:{P2PPort}"]);
            y.AppendLine($"  node{i}:");
            y.AppendLine($"    image: ${{CHAINLAB_IMAGE:-{image}}}");
            y.AppendLine($"    command: [{string.Join(", ", args.Select(a => $"\"{a}\""))}]");
            y.AppendLine("    environment:");
            y.AppendLine($"      CHAINLAB_PASSWORD: {DevnetGenesis.DevPassword}");
            if (postgres)
                y.AppendLine($"      CHAINLAB_DB: \"Host=postgres;Database=chainlab;Username=chainlab;Password={DevnetGenesis.DevPassword};Search Path=node{i}\"");
            y.AppendLine("    volumes:");
            y.AppendLine("      - ./chainlab:/chainlab:ro");
            y.AppendLine($"      - node{i}-data:/data");
            y.AppendLine("    ports:");
            y.AppendLine($"      - \"127.0.0.1:{hostPort + i - 1}:{ApiPort}\"");
            var after = new List<string>();
            if (postgres) after.Add("postgres");
            if (i > 1) after.Add("node1");
            if (after.Count > 0) y.AppendLine($"    depends_on: [{string.Join(", ", after)}]");
            y.AppendLine("    restart: unless-stopped");
        }
        y.AppendLine("volumes:");
        if (postgres) y.AppendLine("  postgres-data:");
        for (var i = 1; i <= settings.Nodes; i++) y.AppendLine($"  node{i}-data:");
        return y.ToString();
    }
}
