using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Node.Tests.Contracts;

namespace Chainlab.Node.Tests.Cli;

/// <summary>The contract commands as a user types them, against a devnet.</summary>
[Trait("Category", Categories.Process)]
public sealed class ContractCliTests
{
    [Fact]
    public async Task Deploy_invoke_call_show_and_events_work_from_the_command_line_and_bad_input_is_one_clear_line()
    {
        using var devnet = DevnetProcess.Start(1, "250ms");
        await devnet.WaitForAsync("Ctrl+C");
        var root = devnet.Root;
        var dev2 = devnet.DevAddress("dev2");
        var port = devnet.Port;
        var env = new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "devnet", ["CHAINLAB_NODE"] = $"http://127.0.0.1:{port}" };
        var key = Path.Combine(root, "keys", "dev1.json");
        var token = ContractNode.ExamplePath("token.lua");

        var (code, o, err) = await CliRunner.RunAsync(env, "contract", "deploy", token, "--args", """["Lab Coin", "LAB", 1000000]""", "--from", key, "--wait");
        Assert.True(code == 0, err);
        var address = o.Split('\n').First(l => l.StartsWith("address")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains($"contract {address}", o);
        Assert.Contains("event    Transfer", o);

        (code, o, err) = await CliRunner.RunAsync(env, "contract", "invoke", address, "transfer", $"""["{dev2}", 250]""", "--from", key, "--wait");
        Assert.True(code == 0, err);
        Assert.Contains("returned true", o);

        (code, o, err) = await CliRunner.RunAsync(env, "contract", "call", address, "balance_of", $"""["{dev2}"]""");
        Assert.True(code == 0, err);
        Assert.Equal("250", o.Trim());

        (code, o, err) = await CliRunner.RunAsync(env, "contract", "show", address, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(5, JsonNode.Parse(o)!["storage"]!.AsArray().Count);

        (code, o, err) = await CliRunner.RunAsync(env, "contract", "events", address);
        Assert.True(code == 0, err);
        Assert.Equal(2, o.Trim().Split('\n').Count(l => l.Contains("Transfer")));

        // A call that fails in the block: included, exit 1, the contract's error.
        (code, o, err) = await CliRunner.RunAsync(env, "contract", "invoke", address, "transfer", $"""["{dev2}", 99999999]""", "--from", key, "--wait");
        Assert.Equal(1, code);
        Assert.Contains("insufficient token balance", err);

        // Bad input: one line, the right exit code, nothing sent.
        foreach (var (args, exit, says) in new (string[], int, string)[]
        {
            (["contract", "invoke", address, "transfer", """["x", 1.5]""", "--from", key], 2, "float"),
            (["contract", "invoke", address, "transfer", "[1]", "--from", key, "--fee", "5"], 2, "--gas"),
            (["contract", "deploy", Path.Combine(root, "missing.lua"), "--from", key], 2, "cannot read"),
            (["contract", "call", dev2, "info"], 5, "no contract"),
            (["contract", "call", "clnot-an-address", "info"], 2, "address"),
        })
        {
            (code, _, err) = await CliRunner.RunAsync(env, args);
            Assert.True(code == exit, $"{string.Join(' ', args)}: exit {code}, {err}");
            Assert.Contains(says, err);
            Assert.Single(err.Trim().Split('\n'));
        }
    }
}
