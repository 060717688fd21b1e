using Chainlab.Cli.Devnets;
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
    public const int ApiPort = ContainerPorts.Api, P2PPort = ContainerPorts.P2P;

    public static Command Build()
    {
        var o = new ContainerDevnetOptions("compose.yaml", Path.Combine(".chainlab", "compose"), "Node containers", " (the file also honours $CHAINLAB_IMAGE)",
            "Replace a compose network already in --out (its old volumes must go too: compose down -v)");
        var port = new Option<int>("--port") { Description = "Host port of node 1's API on 127.0.0.1 (node i: this + i - 1)", DefaultValueFactory = _ => 7700 };
        var postgres = new Option<bool>("--postgres") { Description = "Add a PostgreSQL service and keep each node's chain in its own schema there (default: SQLite in each node's volume)" };
        var cmd = new Command("compose", "Write a compose file for an N-node devnet in containers (see docs/containers.md)");
        foreach (var option in o.All) cmd.Options.Add(option);
        cmd.Options.Add(port);
        cmd.Options.Add(postgres);
        cmd.Options.Add(o.Force);
        cmd.SetAction(pr =>
        {
            var net = o.Check(pr);
            var count = net.Settings.Nodes;
            var hostPort = pr.GetValue(port);
            if (hostPort < 1 || hostPort + count - 1 > 65535) throw new CliException("--port must leave room for every node below 65536", ExitCodes.BadInput);

            var spec = net.WriteChain("compose.yaml", "a new chain: remove the old volumes with compose down -v");
            // The node runs as its own user in the container and reads these through a bind mount, so they
            // cannot stay private to the user who wrote them. They are devnet keys: encrypted, with the
            // password everyone knows ("devnet"), and worth nothing outside this network.
            if (!OperatingSystem.IsWindows())
                foreach (var f in Directory.GetFiles(net.KeysDir))
                    File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var composeFile = Path.Combine(net.Root, "compose.yaml");
            File.WriteAllText(composeFile, Yaml(net.Settings, spec, net.Image, hostPort, pr.GetValue(postgres)));

            Console.Out.WriteLine($"wrote {composeFile}: {count} node(s), {net.Settings.Consensus}, block time {net.BlockMs} ms, store {(pr.GetValue(postgres) ? "postgres" : "sqlite")}");
            Console.Out.WriteLine($"build the image:  podman build -t {net.Image} .   (or docker build, from the repository)");
            Console.Out.WriteLine($"start:            cd {net.Root} && podman-compose up -d   (or docker compose up -d)");
            Console.Out.WriteLine($"API:              node1 http://127.0.0.1:{hostPort}/ … node{count} http://127.0.0.1:{hostPort + count - 1}/");
            Console.Out.WriteLine($"dev keys:         {net.KeysDir} (password: {DevnetGenesis.DevPassword})");
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
            var args = ContainerDevnet.NodeArgs(settings, i, "/chainlab", "/chainlab");
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
