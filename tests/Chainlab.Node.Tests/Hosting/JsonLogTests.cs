using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Core.Wallet;

namespace Chainlab.Node.Tests.Hosting;

[Trait("Category", Categories.Process)]
public sealed class JsonLogTests
{
    [Fact]
    public async Task With_log_format_json_every_line_a_node_writes_is_one_json_object_with_category_and_event_id()
    {
        var dir = TestNode.NewDir();
        try
        {
            var all = Build.Keys(3, seed: 5);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var spec = TestNode.SpecFor(all[0], all[1..]) with { BlockTimeMs = 200, GenesisTimeMs = now - now % 200 };
            await File.WriteAllTextAsync(Path.Combine(dir, "spec.json"), spec.ToJson());
            await File.WriteAllTextAsync(Path.Combine(dir, "key.json"), Keystore.Encrypt(all[0], "pw"));
            await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "pw");
            string text;
            await using (var node = await NodeProcess.StartAsync(["node", "run", "--data", Path.Combine(dir, "data"), "--spec", Path.Combine(dir, "spec.json"),
                "--key", Path.Combine(dir, "key.json"), "--password-file", Path.Combine(dir, "pw"), "--log-format", "json"], LoopbackPort.Free()))
            {
                await Eventually.True(async () => (await node.Status())["headHeight"]!.GetValue<ulong>() >= 3, "blocks are produced");
                Assert.Equal(0, await node.StopAsync());
                lock (node.Log) text = node.Log.ToString();
            }
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length >= 5, text);
            foreach (var line in lines)
            {
                var o = JsonNode.Parse(line) as JsonObject;
                Assert.True(o is not null, $"not a JSON object: {line}");
                Assert.NotNull(o["Timestamp"]);
                Assert.NotNull(o["LogLevel"]);
                Assert.NotNull(o["Category"]);
                Assert.NotNull(o["EventId"]);
                Assert.NotNull(o["Message"]);
            }
            Assert.Contains(lines, l => l.Contains("\"Category\":\"Chainlab.Producer\"") || l.Contains("\"Category\":\"Chainlab.Chain\""));
            Assert.Contains(lines, l => l.Contains("\"Message\":\"ready\""));

            var (code, _, err) = await CliRunner.RunAsync(null, "node", "run", "--data", Path.Combine(dir, "data"), "--log-format", "xml");
            Assert.Equal(2, code);
            Assert.Contains("unknown log format 'xml'", err);
        }
        finally { TempDir.Delete(dir); }
    }
}
