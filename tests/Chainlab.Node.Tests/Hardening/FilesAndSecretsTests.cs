using Chainlab.Node.Hosting;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>Files and secrets (issue 11, items 13–15 and 17): nothing outside a devnet is deleted, key files land where their key says, owner-only from the start.</summary>
[Trait("Category", Categories.Process)]
public sealed class FilesAndSecretsTests : IDisposable
{
    private readonly string _dir = TestNode.NewDir();
    public void Dispose() { TempDir.Delete(_dir); }

    private static readonly Dictionary<string, string> Pw = new() { ["CHAINLAB_PASSWORD"] = "s3cret" };

    [Fact]
    public async Task Devnet_reset_refuses_a_folder_that_is_not_a_devnet_and_deletes_nothing()
    {
        var precious = Path.Combine(_dir, "precious.txt");
        File.WriteAllText(precious, "keep me");
        File.WriteAllText(Path.Combine(_dir, NodeCore.SpecFileName), "{}"); // looks a little like one, but is not a devnet
        foreach (var args in new[] { new[] { "devnet", "reset", "--dir", _dir }, ["devnet", "up", "--reset", "--dir", _dir] })
        {
            var (code, _, err) = await CliRunner.RunAsync(null, args);
            Assert.Equal(2, code);
            Assert.Contains("not a devnet", err);
            Assert.Single(err.Trim().Split('\n'));
            Assert.True(File.Exists(precious));
        }
    }

    [Theory]
    [InlineData("../../escaped")]
    [InlineData("/tmp/chainlab-escaped-key")]
    public async Task An_imported_key_file_is_named_after_its_verified_key_never_after_its_address_field(string forged)
    {
        var key = KeyPair.Generate();
        var json = JsonNode.Parse(Keystore.Encrypt(key, "s3cret"))!;
        json["address"] = forged;
        var file = Path.Combine(_dir, "forged.json");
        File.WriteAllText(file, json.ToJsonString());
        var keystore = Path.Combine(_dir, "ks", "inner");
        var (code, _, err) = await CliRunner.RunAsync(null, "wallet", "import", file, "--keystore", keystore);
        Assert.Equal(2, code);
        Assert.Contains("address", err);
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine(keystore, forged + ".json"))));
        Assert.False(File.Exists(forged + ".json"));

        // The genuine file imports under the name its key gives.
        var genuine = Path.Combine(_dir, "genuine.json");
        File.WriteAllText(genuine, Keystore.Encrypt(key, "s3cret"));
        (code, _, err) = await CliRunner.RunAsync(null, "wallet", "import", genuine, "--keystore", keystore);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(keystore, key.Address + ".json")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task New_key_files_and_the_node_key_are_owner_only_from_the_start()
    {
        var keystore = Path.Combine(_dir, "ks");
        var (code, output, err) = await CliRunner.RunAsync(Pw, "wallet", "new", "--keystore", keystore, "--json");
        Assert.True(code == 0, err);
        var keyFile = JsonNode.Parse(output)!["file"]!.GetValue<string>();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        var data = Path.Combine(_dir, "node");
        var all = Build.Keys(2, seed: 5);
        await using (var core = NodeCore.Start(new NodeOptions
        {
            DataDir = data, Spec = TestNode.SpecFor(all[0], all), LogLevel = Microsoft.Extensions.Logging.LogLevel.None,
            Peers = new PeerOptions { Port = 0 },
        }))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "node.key")));
    }

    [Fact]
    public async Task A_raw_seed_is_not_taken_on_the_command_line_and_a_new_key_needs_a_password()
    {
        var seed = Convert.ToHexStringLower(new byte[32]);
        var (code, _, err) = await CliRunner.RunAsync(Pw, "wallet", "import", "--seed-hex", seed, "--keystore", _dir);
        Assert.Equal(2, code);
        Assert.Empty(Directory.GetFiles(_dir, "*.json"));

        (code, _, err) = await CliRunner.RunAsync(new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "" }, "wallet", "new", "--keystore", _dir);
        Assert.Equal(2, code);
        Assert.Contains("empty password", err);
        Assert.Empty(Directory.GetFiles(_dir, "*.json"));
    }
}
