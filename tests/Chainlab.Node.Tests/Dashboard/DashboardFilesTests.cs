using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chainlab.Node.Dashboard;
using Chainlab.Node.Faults;
using Chainlab.TestSupport;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>How the node serves the dashboard (its own files and the JavaScript client's modules) and the dashboard's API rules.</summary>
public sealed class DashboardFilesTests
{
    private static string Site => RepoFiles.Path("src", "Chainlab.Node", "Dashboard", "site");
    /// <summary>The JavaScript client's modules, which the node serves beside the dashboard's files, under client/.</summary>
    private static string Client => RepoFiles.Path("clients", "js", "src");

    /// <summary>Every file the node should serve under /ui/, by its path there, with where it is on disk.</summary>
    private static Dictionary<string, string> Served() =>
        Directory.GetFiles(Site, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(Site, f).Replace('\\', '/'))
            .Concat(Directory.GetFiles(Client, "*.js").ToDictionary(f => "client/" + Path.GetFileName(f)))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    [Fact]
    public async Task The_node_serves_every_dashboard_file_with_its_type_and_a_policy_that_allows_only_its_own_scripts()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var page = await n.Http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var policy = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", policy);
            Assert.DoesNotContain("unsafe", policy);
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());

            var onDisk = Served();
            Assert.Contains("client/client.js", onDisk.Keys);
            Assert.Equal(onDisk.Keys.Order(StringComparer.Ordinal), DashboardFiles.Names.Order(StringComparer.Ordinal));
            foreach (var (name, file) in onDisk)
            {
                var r = await n.Http.GetAsync("/ui/" + name);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal(await File.ReadAllBytesAsync(file), await r.Content.ReadAsByteArrayAsync());
                Assert.Equal(policy, r.Headers.GetValues("Content-Security-Policy").Single());
                Assert.Equal(Path.GetExtension(name) switch { ".js" => "text/javascript", ".css" => "text/css", ".svg" => "image/svg+xml", _ => "text/html" },
                    r.Content.Headers.ContentType?.MediaType);
                // Revalidation is cheap: the same ETag gives 304.
                using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/" + name);
                again.Headers.TryAddWithoutValidation("If-None-Match", r.Headers.ETag!.Tag);
                Assert.Equal(HttpStatusCode.NotModified, (await n.Http.SendAsync(again)).StatusCode);
            }
            var missing = await n.Http.GetAsync("/ui/../../etc/passwd");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            // Outside a devnet there is no devnet route, and no page of another origin may read the API.
            Assert.Equal(HttpStatusCode.NotFound, (await n.Http.GetAsync("/api/v1/devnet")).StatusCode);
            using var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
            foreign.Headers.Add("Origin", "http://127.0.0.1:7701");
            Assert.False((await n.Http.SendAsync(foreign)).Headers.Contains("Access-Control-Allow-Origin"));
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public void Every_module_the_dashboard_imports_is_one_of_the_files_the_node_serves_and_none_is_fetched_from_elsewhere()
    {
        var served = Served();
        var imports = 0;
        foreach (var (name, file) in served.Where(e => e.Key.EndsWith(".js", StringComparison.Ordinal)))
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"^import .* from '([^']+)';", RegexOptions.Multiline))
            {
                // Resolved as the browser does, against the module's URL under /ui/.
                Assert.StartsWith(".", m.Groups[1].Value);
                var target = new Uri(new Uri("http://node/ui/" + name), m.Groups[1].Value).AbsolutePath;
                Assert.True(target.StartsWith("/ui/", StringComparison.Ordinal) && served.ContainsKey(target["/ui/".Length..]), $"{name} imports {m.Groups[1].Value}, which the node does not serve");
                imports++;
            }
        Assert.True(imports > 20, $"only {imports} imports found");
        Assert.Contains(served, e => e.Key.StartsWith("pages/", StringComparison.Ordinal) && File.ReadAllText(e.Value).Contains("from '../client/"));
        foreach (var file in served.Values)
            Assert.DoesNotMatch(@"https?://(?!127\.0\.0\.1|localhost|www\.w3\.org/2000/svg)", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_devnet_node_names_its_siblings_and_lets_only_their_pages_read_it()
    {
        var control = new DevnetControl(new string('t', 40), TimeProvider.System, new Random(1))
        {
            Members = DevnetControl.ParseMembers("node1=http://127.0.0.1:7700,node2=http://127.0.0.1:7701"),
        };
        var n = await TestNode.StartAsync(devnet: control);
        try
        {
            var info = await n.GetJson("/api/v1/devnet");
            Assert.Equal(["node1", "node2"], info["nodes"]!.AsArray().Select(x => x!["name"]!.GetValue<string>()));
            Assert.False(info["control"]!.GetValue<bool>());
            Assert.Contains(info["misbehaviours"]!.AsArray(), m => m!["name"]!.GetValue<string>() == "double-sign");

            foreach (var (origin, allowed) in new[] { ("http://127.0.0.1:7701", true), ("http://localhost:7701", true), ("http://127.0.0.1:9999", false), ("http://evil.example", false) })
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
                req.Headers.Add("Origin", origin);
                var r = await n.Http.SendAsync(req);
                Assert.Equal(allowed, r.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) && v.Single() == origin);
            }
            // Writes never cross: a POST from a sibling's page gets no permission to read the answer.
            using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/transactions") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            post.Headers.Add("Origin", "http://127.0.0.1:7701");
            Assert.False((await n.Http.SendAsync(post)).Headers.Contains("Access-Control-Allow-Origin"));
            // The control route takes the token, and says when it has no supervisor to pass commands to.
            var anonymous = await n.Http.PostAsync("/api/v1/devnet/control", new StringContent("{\"action\":\"heal\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/v1/devnet/control") { Content = new StringContent("{\"action\":\"heal\"}", System.Text.Encoding.UTF8, "application/json") };
            withToken.Headers.Authorization = new("Bearer", new string('t', 40));
            var noSupervisor = await n.Http.SendAsync(withToken);
            Assert.Equal(HttpStatusCode.NotFound, noSupervisor.StatusCode);
            Assert.Contains("control address", (await noSupervisor.Content.ReadAsStringAsync()));
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public async Task The_search_route_says_what_a_text_names_and_answers_none_for_the_rest()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var tx = n.Transfer(0, 1, 10, 0);
            Assert.Equal(HttpStatusCode.Accepted, (await n.PostRaw("/api/v1/transactions", $"{{\"raw\":\"{Convert.ToHexStringLower(tx.Raw)}\"}}")).StatusCode);
            var pending = await n.GetJson($"/api/v1/search?q={tx.Hash}");
            Assert.Equal("transaction", pending["kind"]!.GetValue<string>());
            var block = (await n.ProduceAsync()).Block!;
            var cases = new (string Query, string Kind, string? Id)[]
            {
                ("1", "block", "1"), ("0", "block", "0"), ("2", "none", null), ("18446744073709551615", "none", null),
                ($" {block.Hash} ", "block", block.Hash.ToString()), (block.Hash.ToString().ToUpperInvariant(), "block", block.Hash.ToString()),
                (tx.Hash.ToString(), "transaction", tx.Hash.ToString()), (new string('7', 64), "none", null),
                (n.Keys[2].Address.ToString(), "account", n.Keys[2].Address.ToString()), (n.Keys[2].Address.ToString()[..^1] + "x", "none", null),
                ("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n", "file", "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), ("hello", "none", null), ("", "none", null),
            };
            foreach (var (query, kind, id) in cases)
            {
                var r = await n.GetJson($"/api/v1/search?q={Uri.EscapeDataString(query)}");
                Assert.Equal(kind, r["kind"]!.GetValue<string>());
                Assert.Equal(id, r["id"]?.GetValue<string>());
            }
            Assert.Equal(HttpStatusCode.BadRequest, (await n.Http.GetAsync($"/api/v1/search?q={new string('a', 201)}")).StatusCode);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Theory]
    [InlineData("node1=http://10.0.0.1:7700", "loopback")]
    [InlineData("node1", "NAME=URL")]
    [InlineData("node1=ftp://127.0.0.1:7700", "loopback")]
    [InlineData("node1=http://127.0.0.1:7700/x", "loopback")]
    public void Devnet_members_must_be_named_loopback_addresses(string text, string says) =>
        Assert.Contains(says, Assert.Throws<ArgumentException>(() => DevnetControl.ParseMembers(text)).Message);

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task The_dashboard_moves_plain_reads_to_a_live_sibling_but_sends_writes_and_the_devnet_token_only_to_its_own_node()
    {
        var (code, output) = await NodeJs.RunAsync("--test-reporter=tap", RepoFiles.Path("tests", "dashboard", "api.mjs"));
        Assert.True(code == 0, output);
        AssertEveryNodeTestPassed(output);
    }

    /// <summary>The TAP summary of a node:test run: tests ran, and none failed or was skipped (the key file tests run only with their arguments).</summary>
    internal static void AssertEveryNodeTestPassed(string output)
    {
        Assert.Matches(@"(?m)^# pass [1-9]\d*$", output);
        Assert.Matches(@"(?m)^# fail 0$", output);
        Assert.Matches(@"(?m)^# skipped 0$", output);
    }
}
