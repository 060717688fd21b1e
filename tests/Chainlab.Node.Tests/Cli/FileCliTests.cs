using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>The file commands as a user types them, against a devnet of three node processes.</summary>
[Trait("Category", Categories.Process)]
public sealed class FileCliTests
{
    [Fact]
    public async Task Add_get_through_another_node_export_import_anchor_and_list_work_from_the_command_line_and_bad_input_is_one_clear_line()
    {
        using var devnet = DevnetProcess.Start(3, "250ms");
        await devnet.WaitForAsync("Ctrl+C");
        var work = Directory.CreateTempSubdirectory("chainlab-files-cli").FullName;
        try
        {
            var env1 = new Dictionary<string, string> { ["CHAINLAB_PASSWORD"] = "devnet", ["CHAINLAB_NODE"] = devnet.Url(1) };
            var env3 = new Dictionary<string, string> { ["CHAINLAB_NODE"] = devnet.Url(3) };
            var data = new byte[700_000];
            new Random(4).NextBytes(data);
            var file = Path.Combine(work, "data.bin");
            await File.WriteAllBytesAsync(file, data);
            Directory.CreateDirectory(Path.Combine(work, "tree", "sub"));
            await File.WriteAllTextAsync(Path.Combine(work, "tree", "b.txt"), "hello world\n");
            await File.WriteAllTextAsync(Path.Combine(work, "tree", "sub", "d"), "d");

            var (code, o, err) = await CliRunner.RunAsync(env1, "file", "add", file, "--json");
            Assert.True(code == 0, err);
            var cid = JsonNode.Parse(o)!["cid"]!.GetValue<string>();
            Assert.StartsWith("Qm", cid);
            (code, o, err) = await CliRunner.RunAsync(env1, "file", "add", "-r", Path.Combine(work, "tree"));
            Assert.True(code == 0, err);
            var dir = o.Split(' ')[1];

            // Node 3 never had the file: it finds node 1 through the DHT and fetches it, block by block, checked.
            var got = Path.Combine(work, "got.bin");
            await Eventually.True(async () => (await CliRunner.RunAsync(env3, "file", "get", cid, "-o", got)).Code == 0, "node 3 fetched the file", 60);
            Assert.Equal(data, await File.ReadAllBytesAsync(got));
            // A file over the download limit is refused before anything is written.
            var capped = await CliRunner.RunAsync(env3, "file", "get", cid, "-o", got + ".2", "--max-size", "1000");
            Assert.NotEqual(0, capped.Code);
            Assert.Contains("over --max-size 1000", capped.Stderr);
            Assert.False(File.Exists(got + ".2"));

            var car = Path.Combine(work, "tree.car");
            (code, o, err) = await CliRunner.RunAsync(env1, "file", "export", dir, car);
            Assert.True(code == 0, err);
            Assert.Contains("blocks", o);
            var env2 = new Dictionary<string, string> { ["CHAINLAB_NODE"] = devnet.Url(2) };
            (code, o, err) = await CliRunner.RunAsync(env2, "file", "import", car);
            Assert.True(code == 0, err);
            Assert.Contains(dir, o);
            (code, o, err) = await CliRunner.RunAsync(env2, "file", "stat", dir);
            Assert.True(code == 0, err);
            Assert.Contains("b.txt", o);

            (code, o, err) = await CliRunner.RunAsync(env1, "file", "anchor", cid, "--from", devnet.KeyFile("dev1"), "--wait");
            Assert.True(code == 0, err);
            (code, o, err) = await CliRunner.RunAsync(env1, "file", "ls", "--anchored-by", devnet.DevAddress("dev1"));
            Assert.True(code == 0, err);
            Assert.Contains(cid, o);
            Assert.Contains("data.bin", o);

            // Bad input: one clear line and a non-zero exit, and the node keeps serving.
            (code, _, err) = await CliRunner.RunAsync(env1, "file", "get", "Qmnope");
            Assert.Equal(2, code);
            Assert.StartsWith("error: not a CID", err.Trim());
            var truncated = Path.Combine(work, "bad.car");
            await File.WriteAllBytesAsync(truncated, (await File.ReadAllBytesAsync(car))[..60]);
            (code, _, err) = await CliRunner.RunAsync(env1, "file", "import", truncated);
            Assert.Equal(4, code);
            Assert.Contains("bad-car", err);
            (code, _, err) = await CliRunner.RunAsync(env1, "file", "add", Path.Combine(work, "tree"));
            Assert.Equal(2, code);
            Assert.Contains("-r", err);
            (code, _, err) = await CliRunner.RunAsync(env1, "file", "stat", cid);
            Assert.True(code == 0, err);
        }
        finally { TempDir.Delete(work); }
    }
}
