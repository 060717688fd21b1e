using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Cli;

/// <summary>Talks to a node's public REST API; problem responses become CliExceptions with their detail.</summary>
public sealed class NodeClient : IDisposable
{
    public static readonly string DefaultUrl = Environment.GetEnvironmentVariable("CHAINLAB_NODE") ?? "http://127.0.0.1:7700";
    private readonly HttpClient _http;

    public NodeClient(string? url, TimeSpan? timeout = null)
    {
        var u = url ?? DefaultUrl;
        if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"--node '{u}' is not an http(s) URL", ExitCodes.BadInput);
        _http = new HttpClient { BaseAddress = uri, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
    }

    /// <summary>A response whose body the caller streams; a problem response becomes a CliException.</summary>
    public async Task<HttpResponseMessage> OpenAsync(HttpRequestMessage request, CancellationToken ct = default)
    {
        HttpResponseMessage resp;
        try { resp = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new CliException($"node {BaseAddress} did not answer in time", ExitCodes.Timeout); }
        if (resp.IsSuccessStatusCode) return resp;
        using (resp) await ReadAsync(resp, ct);
        throw new CliException($"HTTP {(int)resp.StatusCode}");
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public async Task<JsonNode> GetAsync(string path, CancellationToken ct = default)
    {
        HttpResponseMessage resp;
        try { resp = await _http.GetAsync(path, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new CliException($"node {BaseAddress} did not answer in time", ExitCodes.Timeout); }
        return await ReadAsync(resp, ct);
    }

    public async Task<JsonNode> PostAsync(string path, object body, CancellationToken ct = default)
    {
        HttpResponseMessage resp;
        try { resp = await _http.PostAsJsonAsync(path, body, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new CliException($"node {BaseAddress} did not answer in time", ExitCodes.Timeout); }
        return await ReadAsync(resp, ct);
    }

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct = default)
    {
        HttpResponseMessage resp;
        try { resp = await _http.GetAsync(path, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        if (resp.IsSuccessStatusCode) return await resp.Content.ReadAsByteArrayAsync(ct);
        await ReadAsync(resp, ct);
        throw new CliException($"HTTP {(int)resp.StatusCode}");
    }

    public async Task<JsonNode> PostContentAsync(string path, HttpContent content, CancellationToken ct = default)
    {
        HttpResponseMessage resp;
        try { resp = await _http.PostAsync(path, content, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        return await ReadAsync(resp, ct);
    }

    private CliException Unreachable(HttpRequestException e) =>
        new($"cannot reach node at {BaseAddress} ({e.Message}); is it running? (--node URL)", ExitCodes.Unreachable);

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        var text = await resp.Content.ReadAsStringAsync(ct);
        JsonNode? node = null;
        try { node = JsonNode.Parse(text); } catch (JsonException) { }
        if (resp.IsSuccessStatusCode && node is not null) return node;
        var detail = node?["detail"]?.GetValue<string>() ?? node?["title"]?.GetValue<string>() ?? $"HTTP {(int)resp.StatusCode}";
        var type = node?["type"]?.GetValue<string>()?.Replace("urn:chainlab:problem:", "");
        var code = resp.StatusCode == HttpStatusCode.NotFound ? ExitCodes.NotFound : ExitCodes.Rejected;
        throw new CliException(type is null ? detail : $"{type}: {detail}", code);
    }

    public void Dispose() => _http.Dispose();
}
