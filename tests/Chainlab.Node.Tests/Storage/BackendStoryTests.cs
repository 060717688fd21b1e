using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Node.Mempool;

namespace Chainlab.Node.Tests.Storage;

/// <summary>The same node behaviour on PostgreSQL, and blocks moving between backends with chain export/import.</summary>
[Trait("Category", Categories.Process)]
[Collection("postgres")]
public sealed class BackendStoryTests(PostgresCluster pg)
{
    [Fact]
    public async Task A_node_on_postgres_commits_restarts_and_serves_like_the_sqlite_one()
    {
        var schema = pg.FreshSchema();
        var n = await StartOnPostgres(schema);
        var dir = n.Dir;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var txs = Enumerable.Range(0, 32).Select(k => n.Transfer(k % 4, (k + 1) % 4, 7, (ulong)(i * 8 + k / 4))).ToList();
                Assert.All(n.Node.Pool.Admit(txs.Select(t => t.Raw).ToList()), a => Assert.True(a.Accepted, a.Result.Detail));
                await n.ProduceAsync();
            }
            var head = n.Node.Chain.Head;
            Assert.Equal(96, n.Node.Chain.CommittedTransactions);
            var acc = await n.GetJson($"/api/v1/accounts/{n.Keys[1].Address}");
            await n.DisposeAsync();

            n = await StartOnPostgres(schema, dir, n.Time);
            Assert.Equal(head.Hash, n.Node.Chain.Head.Hash);
            Assert.Equal(head.StateRoot, n.Node.Chain.Head.StateRoot);
            Assert.Equal(acc.ToJsonString(), (await n.GetJson($"/api/v1/accounts/{n.Keys[1].Address}")).ToJsonString());
            Assert.StartsWith("postgres", n.Node.Store.Describe);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    private static Task<TestNode> StartOnPostgres(string schema, string? dir = null, ManualTime? time = null) =>
        TestNode.StartAsync(dir: dir, time: time, postgres: schema);

    [Fact]
    public async Task Chain_export_from_sqlite_and_import_into_postgres_gives_the_same_head_and_state_root()
    {
        var source = await TestNode.StartAsync();
        var target = await TestNode.StartAsync(postgres: pg.FreshSchema());
        var file = Path.Combine(source.Dir, "chain.blocks");
        try
        {
            for (var i = 0; i < 5; i++)
            {
                source.Node.Pool.Admit(Enumerable.Range(0, 4).Select(k => source.Transfer(k, (k + 2) % 4, 11, (ulong)i).Raw).ToList());
                await source.ProduceAsync();
            }
            var url = source.Node.ApiUrl.ToString();
            var (code, output, err) = await CliRunner.RunAsync(null, "chain", "export", file, "--node", url, "--json");
            Assert.True(code == 0, err);
            Assert.Equal(5, JsonNode.Parse(output)!["exported"]!.GetValue<int>());

            // The target's clock must have reached the blocks' slots for them to be acceptable.
            target.Time.SetTo(source.Time.GetUtcNow());
            (code, output, err) = await CliRunner.RunAsync(null, "chain", "import", file, "--node", target.Node.ApiUrl.ToString(), "--json");
            Assert.True(code == 0, err);
            Assert.Equal(5, JsonNode.Parse(output)!["imported"]!.GetValue<int>());
            Assert.Equal(source.Node.Chain.Head.Hash, target.Node.Chain.Head.Hash);
            Assert.Equal(source.Node.Chain.Head.StateRoot, target.Node.Chain.Head.StateRoot);

            // Importing again finds every block known; a damaged file is refused with one line.
            (code, output, _) = await CliRunner.RunAsync(null, "chain", "import", file, "--node", target.Node.ApiUrl.ToString(), "--json");
            Assert.Equal(0, code);
            Assert.Equal(5, JsonNode.Parse(output)!["known"]!.GetValue<int>());
            var bytes = await File.ReadAllBytesAsync(file);
            await File.WriteAllBytesAsync(file, bytes[..^10]);
            (code, _, err) = await CliRunner.RunAsync(null, "chain", "import", file, "--node", target.Node.ApiUrl.ToString());
            Assert.Equal(2, code);
            Assert.Contains("ends inside block", err);
        }
        finally
        {
            await source.DisposeAndDeleteAsync();
            await target.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task A_tampered_block_is_refused_by_the_import_route()
    {
        var n = await TestNode.StartAsync(postgres: pg.FreshSchema());
        try
        {
            var (block, _) = await n.ProduceAsync();
            var raw = block!.Encode();
            raw[^20] ^= 1;
            var content = new ByteArrayContent(raw);
            content.Headers.ContentType = new("application/octet-stream");
            var resp = await n.Http.PostAsync("/api/v1/blocks", content);
            Assert.True(resp.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity);
            var wrongType = await n.Http.PostAsJsonAsync("/api/v1/blocks", new { block = "x" });
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }
}
