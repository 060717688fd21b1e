using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>What the outside probe did to the API (issue 11, items 8–11), each answered with a precise problem.</summary>
public sealed class ApiHardeningTests : IAsyncLifetime
{
    private TestNode _n = null!;
    public async Task InitializeAsync() => _n = await TestNode.StartAsync(eventKeepAlive: TimeSpan.FromMilliseconds(50));
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    private static async Task<(int Status, string Type)> Problem(HttpResponseMessage resp)
    {
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType?.MediaType);
        var p = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.False(string.IsNullOrWhiteSpace(p["detail"]?.GetValue<string>()));
        return ((int)resp.StatusCode, p["type"]!.GetValue<string>());
    }

    /// <summary>Sends the raw bytes of an HTTP request and returns the status line and the rest of the answer.</summary>
    private async Task<(string StatusLine, string Answer)> RawHttp(string head, byte[] body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _n.Node.ApiUrl.Port);
        var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes(head));
        await s.WriteAsync(body);
        // The answer is complete when the last chunk arrives (or the server closes the connection).
        var all = new StringBuilder();
        var buf = new byte[16 * 1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n;
        while (!all.ToString().Contains("\r\n0\r\n\r\n") && (n = await s.ReadAsync(buf, deadline.Token)) > 0)
            all.Append(Encoding.UTF8.GetString(buf, 0, n));
        var text = all.ToString();
        Assert.Contains("\r\n", text);
        return (text[..text.IndexOf('\r')], text);
    }

    [Fact]
    public async Task A_post_without_a_content_type_is_refused_so_a_plain_web_form_cannot_submit()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"raw\":\"{Convert.ToHexStringLower(_n.Transfer(0, 1, 5, 0).Raw)}\"}}"));
        var resp = await _n.Http.PostAsync("/api/v1/transactions", content);
        Assert.Equal((415, "urn:chainlab:problem:unsupported-media-type"), await Problem(resp));
        Assert.Equal(0, _n.Node.Pool.Count);
    }

    [Fact]
    public async Task A_request_naming_another_host_is_refused_against_dns_rebinding_and_no_cors_headers_are_sent()
    {
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        rebound.Headers.Host = "attacker.example";
        Assert.Equal((421, "urn:chainlab:problem:bad-host"), await Problem(await _n.Http.SendAsync(rebound)));

        using var local = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        local.Headers.Host = $"localhost:{_n.Node.ApiUrl.Port}";
        local.Headers.Add("Origin", "https://attacker.example");
        var ok = await _n.Http.SendAsync(local);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.False(ok.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_start_height_beyond_the_signed_range_gives_an_empty_page_not_the_genesis_block()
    {
        await _n.ProduceAsync();
        var page = await _n.GetJson("/api/v1/blocks?from=9223372036854775808");
        Assert.Empty(page["blocks"]!.AsArray());
        Assert.Null(page["next"]);
        Assert.Equal((400, "urn:chainlab:problem:malformed"), await Problem(await _n.Http.GetAsync("/api/v1/blocks?from=18446744073709551616")));
        Assert.Equal((400, "urn:chainlab:problem:malformed"), await Problem(await _n.Http.GetAsync("/api/v1/blocks?from=-1")));
        Assert.Equal(2, (await _n.GetJson("/api/v1/blocks?from=0"))["blocks"]!.AsArray().Count);
    }

    [Fact]
    public async Task Framework_errors_carry_chainlab_problem_types()
    {
        Assert.Equal((400, "urn:chainlab:problem:malformed"), await Problem(await _n.Http.GetAsync("/api/v1/mempool?limit=abc")));
        Assert.Equal((400, "urn:chainlab:problem:malformed"), await Problem(await _n.Http.GetAsync($"/api/v1/accounts/{_n.Keys[0].Address}?proof=maybe")));
    }

    [Fact]
    public async Task A_malformed_chunked_body_and_a_body_that_stops_arriving_are_problems_not_500s()
    {
        var head = "POST /api/v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
        var (chunked, chunkedRest) = await RawHttp(head + "Transfer-Encoding: chunked\r\n\r\n", "ZZZZ\r\nnot a chunk\r\n"u8.ToArray());
        Assert.Contains(" 400 ", chunked);
        Assert.Contains("urn:chainlab:problem:malformed-body", chunkedRest);

        // 10 of 100 announced bytes, then silence: the server's minimum data rate ends the wait after its grace period.
        var (stalled, stalledRest) = await RawHttp(head + "Content-Length: 100\r\n\r\n", "{\"raw\":\"00"u8.ToArray());
        Assert.Contains(" 408 ", stalled);
        Assert.Contains("urn:chainlab:problem:request-timeout", stalledRest);

        Assert.Equal("test-chain", (await _n.GetJson("/api/v1/status"))["chainId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_event_arrives_however_many_keep_alives_went_before_it()
    {
        using var http = new HttpClient { BaseAddress = _n.Node.ApiUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var stream = await http.GetStreamAsync("/api/v1/events");
        using var reader = new StreamReader(stream);
        var keepAlives = 0;
        while (keepAlives < 5)
            if ((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!.StartsWith(": keep-alive")) keepAlives++;
        for (var i = 0; i < 3; i++)
        {
            var (block, _) = await _n.ProduceAsync();
            // Keep-alives keep coming; the event must come among them within the deadline.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? line = null;
            try
            {
                do line = await reader.ReadLineAsync(deadline.Token);
                while (line is not null && !line.StartsWith("data:"));
            }
            catch (OperationCanceledException) { Assert.Fail($"the head event of block {block!.Height} never arrived"); }
            Assert.Contains($"\"height\":{block!.Height}", line);
            // Let keep-alives go by again before the next block.
            for (var k = 0; k < 3;) if ((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!.StartsWith(": keep-alive")) k++;
        }
    }
}
