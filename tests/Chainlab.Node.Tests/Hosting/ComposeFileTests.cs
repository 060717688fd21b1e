using Chainlab.Node.Hosting;
using Chainlab.Cli;
using Chainlab.Cli.Commands;
using Chainlab.Core.Model;
using YamlDotNet.RepresentationModel;

namespace Chainlab.Node.Tests.Hosting;

/// <summary>The compose file `devnet compose` writes, read back as YAML the way a compose tool reads it.</summary>
public sealed class ComposeFileTests
{
    private static ChainSpec Spec => new() { ChainId = "x", BlockTimeMs = 1000, Consensus = new ConsensusSpec { Engine = "poa" } };

    private static YamlMappingNode Services(string yaml, out YamlMappingNode root)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        root = (YamlMappingNode)stream.Documents.Single().RootNode;
        return (YamlMappingNode)root["services"];
    }

    private static List<string> Command(YamlMappingNode service) =>
        ((YamlSequenceNode)service["command"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

    [Theory]
    [InlineData("poa", 4)]
    [InlineData("pos", 3)]
    [InlineData("pow", 2)]
    public void Every_node_gets_a_service_a_volume_a_loopback_port_and_the_keys_its_engine_needs(string engine, int nodes)
    {
        var yaml = DevnetCompose.Yaml(new DevnetSettings { Consensus = engine, Nodes = nodes }, Spec, "localhost/chainlab:latest", 7700, postgres: false);
        var services = Services(yaml, out var root);
        Assert.Equal(nodes, services.Children.Count);
        Assert.Equal(Enumerable.Range(1, nodes).Select(i => $"node{i}-data"), ((YamlMappingNode)root["volumes"]).Children.Keys.Select(k => k.ToString()));
        for (var i = 1; i <= nodes; i++)
        {
            var s = (YamlMappingNode)services[$"node{i}"];
            Assert.Equal("${CHAINLAB_IMAGE:-localhost/chainlab:latest}", s["image"].ToString());
            var port = ((YamlSequenceNode)s["ports"]).Children.Single().ToString();
            Assert.Equal($"127.0.0.1:{7700 + i - 1}:{DevnetCompose.ApiPort}", port); // published on the host's loopback only
            Assert.Contains($"node{i}-data:/data", ((YamlSequenceNode)s["volumes"]).Children.Select(v => v.ToString()));
            var args = Command(s);
            Assert.Equal(["node", "run"], args[..2]);
            var hasKey = args.Contains("--key");
            Assert.Equal(engine != "poa" || i == 1, hasKey); // PoA: node 1 is the authority; PoS and PoW: every node produces
            if (hasKey) Assert.Equal(i == 1 ? "/chainlab/keys/node.json" : $"/chainlab/keys/node{i}.json", args[args.IndexOf("--key") + 1]);
            Assert.Equal(engine == "pow", args.Contains("--mine"));
            if (i == 1) Assert.DoesNotContain("--bootstrap", args);
            else Assert.Equal($"node1:{DevnetCompose.P2PPort}", args[args.IndexOf("--bootstrap") + 1]);
            Assert.False(s.Children.ContainsKey("user")); // the image's own non-root user
        }
    }

    [Fact]
    public void With_postgres_every_node_keeps_its_chain_in_a_schema_of_its_own_in_the_added_database_service()
    {
        var yaml = DevnetCompose.Yaml(new DevnetSettings { Consensus = "poa", Nodes = 3 }, Spec, "chainlab", 7700, postgres: true);
        var services = Services(yaml, out var root);
        Assert.True(services.Children.ContainsKey("postgres"));
        Assert.Contains("postgres-data", ((YamlMappingNode)root["volumes"]).Children.Keys.Select(k => k.ToString()));
        var schemas = new HashSet<string>();
        for (var i = 1; i <= 3; i++)
        {
            var s = (YamlMappingNode)services[$"node{i}"];
            var db = new Npgsql.NpgsqlConnectionStringBuilder(((YamlMappingNode)s["environment"])["CHAINLAB_DB"].ToString());
            Assert.Equal("postgres", db.Host);
            Assert.True(schemas.Add(db.SearchPath!));
            Assert.Contains("postgres", ((YamlSequenceNode)s["depends_on"]).Children.Select(c => c.ToString()));
        }
    }

    [Theory]
    [InlineData("node1:30300", "node1", 30300)]
    [InlineData("chain-a.example:1", "chain-a.example", 1)]
    public void A_bootstrap_peer_may_be_named_by_host(string text, string host, int port)
    {
        var ep = NodeCommands.ParseHostPort(text);
        Assert.NotNull(ep);
        Assert.Equal((host, port), (ep.Host, ep.Port));
    }

    [Theory]
    [InlineData("node1")]
    [InlineData("node1:0")]
    [InlineData("node1:65536")]
    [InlineData("node1:-5")]
    [InlineData(":30300")]
    [InlineData("no spaces:1")]
    [InlineData("a/b:1")]
    public void A_bootstrap_text_that_is_not_host_and_port_is_refused(string text) => Assert.Null(NodeCommands.ParseHostPort(text));

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task The_command_writes_the_spec_the_readable_devnet_keys_and_the_file_and_will_not_overwrite_them_unasked()
    {
        var dir = Path.Combine(Path.GetTempPath(), "chainlab-compose-" + Guid.NewGuid().ToString("n")[..8]);
        try
        {
            var (code, output, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--nodes", "3", "--consensus", "pos", "--out", dir);
            Assert.True(code == 0, err);
            Assert.Contains("podman-compose up -d", output);
            var spec = ChainSpec.FromJson(File.ReadAllText(Path.Combine(dir, "chainlab", NodeCore.SpecFileName)));
            Assert.Equal(3, spec.Consensus.Validators!.Count);
            Assert.Equal(4, spec.Alloc.Count);
            foreach (var key in Directory.GetFiles(Path.Combine(dir, "chainlab", "keys"), "*.json"))
                if (!OperatingSystem.IsWindows()) Assert.True(File.GetUnixFileMode(key).HasFlag(UnixFileMode.OtherRead), key); // the container's own user reads them
            var before = File.ReadAllText(Path.Combine(dir, "compose.yaml"));
            Assert.Equal(3, Services(before, out _).Children.Count);

            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--nodes", "2", "--out", dir);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("--force", err);
            Assert.Equal(before, File.ReadAllText(Path.Combine(dir, "compose.yaml")));
            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--nodes", "2", "--out", dir, "--force");
            Assert.True(code == 0, err);
            Assert.Equal(2, Services(File.ReadAllText(Path.Combine(dir, "compose.yaml")), out _).Children.Count);

            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--nodes", "33", "--out", dir + "x");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Equal("error: --nodes must be 1..32", err.Trim());
            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--image", "a b", "--out", dir + "x");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.False(Directory.Exists(dir + "x"));
        }
        finally { TempDir.Delete(dir); }
    }
}
