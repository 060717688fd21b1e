using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Core.Wallet;

namespace Chainlab.Node.Tests.Cli;

/// <summary>The CLI as a user drives it: keys in a keystore, a transfer with --wait, reads with proofs.</summary>
[Trait("Category", Categories.Process)]
public sealed class CliStoryTests
{
    [Fact]
    public async Task Wallet_commands_create_list_show_export_and_import_keys()
    {
        var dir = TestNode.NewDir();
        try
        {
            var ks = Path.Combine(dir, "keys");
            var pw = new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "s3cret" };
            var (code, output, err) = await CliRunner.RunAsync(pw, "wallet", "new", "--keystore", ks, "--label", "alice", "--json");
            Assert.True(code == 0, err);
            var created = JsonNode.Parse(output)!;
            var address = created["address"]!.GetValue<string>();
            Assert.True(File.Exists(created["file"]!.GetValue<string>()));

            (code, output, _) = await CliRunner.RunAsync(null, "wallet", "list", "--keystore", ks, "--json");
            Assert.Equal(0, code);
            Assert.Equal(address, JsonNode.Parse(output)!.AsArray().Single()!["address"]!.GetValue<string>());

            (code, output, _) = await CliRunner.RunAsync(null, "wallet", "show", address, "--keystore", ks);
            Assert.Equal(0, code);
            Assert.Contains("alice", output);

            // Export the raw seed (needs the password), import it elsewhere: same address.
            (code, _, err) = await CliRunner.RunAsync(new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "wrong" }, "wallet", "export", address, "--seed", "--keystore", ks);
            Assert.Equal(2, code);
            Assert.Contains("wrong password", err);
            Assert.Single(err.Trim().Split('\n'));
            (code, output, _) = await CliRunner.RunAsync(pw, "wallet", "export", address, "--seed", "--keystore", ks);
            Assert.Equal(0, code);
            var seed = output.Trim();
            var other = Path.Combine(dir, "other");
            var seedFile = Path.Combine(dir, "seed.hex");
            File.WriteAllText(seedFile, seed);
            (code, output, err) = await CliRunner.RunAsync(pw, "wallet", "import", "--seed-file", seedFile, "--keystore", other, "--json");
            Assert.True(code == 0, err);
            Assert.Equal(address, JsonNode.Parse(output)!["address"]!.GetValue<string>());
            // Importing the portable file into a third keystore keeps it decryptable.
            var third = Path.Combine(dir, "third");
            (code, _, err) = await CliRunner.RunAsync(null, "wallet", "import", created["file"]!.GetValue<string>(), "--keystore", third);
            Assert.True(code == 0, err);
            Assert.Equal(address, Keystore.Decrypt(File.ReadAllText(Path.Combine(third, address + ".json")), "s3cret").Address.ToString());

            File.WriteAllText(seedFile, "abcd");
            (code, _, err) = await CliRunner.RunAsync(pw, "wallet", "import", "--seed-file", seedFile, "--keystore", other);
            Assert.Equal(2, code);
            Assert.Contains("32 bytes", err);
        }
        finally { TempDir.Delete(dir); }
    }

    [Fact]
    public async Task Tx_send_waits_for_inclusion_and_chain_reads_verify_their_proofs()
    {
        var dir = TestNode.NewDir();
        var all = Build.Keys(3, seed: 21);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var spec = TestNode.SpecFor(all[0], all[1..]) with { BlockTimeMs = 200, GenesisTimeMs = now - now % 200 };
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.json"), spec.ToJson());
        await File.WriteAllTextAsync(Path.Combine(dir, "authority.json"), Keystore.Encrypt(all[0], "pw"));
        await File.WriteAllTextAsync(Path.Combine(dir, "sender.json"), Keystore.Encrypt(all[1], "pw"));
        await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "pw");
        try
        {
            await using var node = await NodeProcess.StartAsync(["node", "run", "--data", Path.Combine(dir, "data"), "--spec", Path.Combine(dir, "spec.json"),
                "--key", Path.Combine(dir, "authority.json"), "--password-file", Path.Combine(dir, "pw"), "--log-level", "Warning"], LoopbackPort.Free());
            var url = $"http://127.0.0.1:{node.Port}";
            var to = all[2].Address.ToString();
            var (code, output, err) = await CliRunner.RunAsync(null, "tx", "send", "--from", Path.Combine(dir, "sender.json"), "--to", to,
                "--amount", "1234", "--fee", "3", "--wait", "--password-file", Path.Combine(dir, "pw"), "--node", url, "--json");
            Assert.True(code == 0, err);
            var receipt = JsonNode.Parse(output)!;
            Assert.Equal("included", receipt["status"]!.GetValue<string>());
            Assert.True(receipt["proofVerified"]!.GetValue<bool>());
            var hash = receipt["hash"]!.GetValue<string>();

            (code, output, _) = await CliRunner.RunAsync(null, "chain", "tx", hash, "--node", url, "--json");
            Assert.Equal(0, code);
            Assert.True(JsonNode.Parse(output)!["proofVerified"]!.GetValue<bool>());

            (code, output, err) = await CliRunner.RunAsync(null, "chain", "account", to, "--node", url, "--json");
            Assert.True(code == 0, err);
            var acc = JsonNode.Parse(output)!;
            Assert.Equal(1_000_000UL + 1234, acc["balance"]!.GetValue<ulong>());
            Assert.True(acc["proofVerified"]!.GetValue<bool>());

            (code, output, _) = await CliRunner.RunAsync(null, "chain", "info", "--node", url, "--json");
            Assert.Equal(0, code);
            Assert.Equal("test-chain", JsonNode.Parse(output)!["chainId"]!.GetValue<string>());
            (code, output, _) = await CliRunner.RunAsync(null, "chain", "block", "1", "--node", url, "--json");
            Assert.Equal(0, code);

            // Failures: a mistyped address, an overspend, an unknown transaction.
            (code, _, err) = await CliRunner.RunAsync(null, "tx", "send", "--from", Path.Combine(dir, "sender.json"), "--to", to[..^1] + (to[^1] == 'a' ? 'b' : 'a'),
                "--amount", "1", "--password-file", Path.Combine(dir, "pw"), "--node", url);
            Assert.Equal(2, code);
            (code, _, err) = await CliRunner.RunAsync(null, "tx", "send", "--from", Path.Combine(dir, "sender.json"), "--to", to,
                "--amount", "999999999", "--password-file", Path.Combine(dir, "pw"), "--node", url);
            Assert.Equal(4, code);
            Assert.Contains("insufficient-balance", err);
            (code, _, _) = await CliRunner.RunAsync(null, "chain", "tx", new string('a', 64), "--node", url);
            Assert.Equal(5, code);

            // Consensus commands: wrong engine for the chain, a bad authority key, an admin-only change by someone else.
            (code, _, err) = await CliRunner.RunAsync(null, "validators", "--node", url);
            Assert.Equal(2, code);
            Assert.Contains("this chain runs poa, not pos", err);
            (code, _, err) = await CliRunner.RunAsync(null, "authorities", "add", "--authority", "xyz", "--from", Path.Combine(dir, "sender.json"),
                "--password-file", Path.Combine(dir, "pw"), "--node", url);
            Assert.Equal(2, code);
            Assert.Contains("64-hex-character public key", err);
            (code, _, err) = await CliRunner.RunAsync(null, "authorities", "add", "--authority", new string('b', 64), "--from", Path.Combine(dir, "sender.json"),
                "--password-file", Path.Combine(dir, "pw"), "--node", url);
            Assert.Equal(4, code);
            Assert.Contains("unauthorised", err);
            (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Path.Combine(dir, "miner"), "--mine");
            Assert.Equal(2, code);
            Assert.Contains("--mine needs --key", err);
        }
        finally { TempDir.Delete(dir); }
    }
}
