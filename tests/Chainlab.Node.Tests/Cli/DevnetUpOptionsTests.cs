namespace Chainlab.Node.Tests.Cli;

/// <summary>`devnet up` options that shape a new chain (--hash-power, --finality): a wrong one is one clear line and exit 2, before anything is created or reset.</summary>
public sealed class DevnetUpOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chainlab-up-options-").FullName;

    public void Dispose() => TempDir.Delete(_dir);

    [Theory]
    [InlineData("--hash-power 50,60 --consensus pow --nodes 2", "--hash-power: the shares must add up to 100, not 110")]
    [InlineData("--hash-power 50,5O --consensus pow --nodes 2", "--hash-power: '5O' is not a whole per cent (e.g. 20,20,60)")]
    [InlineData("--hash-power 50,50 --consensus pos --nodes 2", "--hash-power: hash power is for proof of work (pow)")]
    [InlineData("--hash-power 100 --consensus pow --nodes 2", "--hash-power: give one share per node: 2, not 1")]
    [InlineData("--finality --consensus pow", "--finality is for proof of stake and proof of authority: proof of work has no voters")]
    public async Task A_wrong_chain_shaping_option_is_one_line_and_exit_2_and_creates_nothing(string args, string expected)
    {
        var root = Path.Combine(_dir, "devnet");
        var (code, _, err) = await CliRunner.RunAsync(null, ["devnet", "up", "--dir", root, .. args.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {expected}", err.Trim());
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task A_wrong_hash_power_with_reset_leaves_the_old_devnet_as_it_was()
    {
        var root = Path.Combine(_dir, "old");
        var spec = Chainlab.Cli.Devnets.DevnetGenesis.Create(Path.Combine(root, "keys"), 1000, 1, "pow", 2, faucet: false);
        File.WriteAllText(Path.Combine(root, Chainlab.Node.Hosting.NodeCore.SpecFileName), spec.ToJson());
        new Chainlab.Cli.DevnetSettings { Nodes = 2, Consensus = "pow" }.Save(root);
        var (code, _, err) = await CliRunner.RunAsync(null, "devnet", "up", "--dir", root, "--reset", "--consensus", "pow", "--nodes", "2", "--hash-power", "10,10");
        Assert.Equal(2, code);
        Assert.Contains("must add up to 100", err);
        Assert.Equal(spec.ToJson(), File.ReadAllText(Path.Combine(root, Chainlab.Node.Hosting.NodeCore.SpecFileName)));
    }
}
