using System.Net;
using System.Text.Json.Nodes;
using Chainlab.Client;

namespace Chainlab.Cli;

/// <summary>
/// The CLI's view of a node: the client library (<see cref="ChainlabClient"/>, reached as <see cref="Api"/>) with its
/// errors turned into CliExceptions (the problem's type and detail as the one line, the exit code by kind). The
/// JSON methods answer the node's own document, which --json prints as it came.
/// </summary>
public sealed class NodeClient : IDisposable
{
    public static readonly string DefaultUrl = ChainlabClient.DefaultUrl;

    public NodeClient(string? url, TimeSpan? timeout = null)
    {
        var u = url ?? DefaultUrl;
        if (!ChainlabClient.TryParseUrl(u, out var uri, out _)) throw new CliException($"--node '{u}' is not an http(s) URL", ExitCodes.BadInput);
        Api = new ChainlabClient(uri, timeout);
    }

    /// <summary>The typed client underneath.</summary>
    public ChainlabClient Api { get; }

    public Uri BaseAddress => Api.BaseAddress;

    /// <summary>Runs a call of the client library, its errors as the CLI reports them.</summary>
    public async Task<T> Call<T>(Func<ChainlabClient, Task<T>> call)
    {
        try { return await call(Api); }
        catch (ChainlabApiException e) { throw Failed(e); }
        catch (ChainlabConnectionException e) { throw Failed(e); }
    }

    /// <summary>A response whose body the caller streams; a problem response becomes a CliException.</summary>
    public Task<HttpResponseMessage> OpenAsync(HttpRequestMessage request, CancellationToken ct = default) => Call(c => c.OpenAsync(request, ct));

    public Task<JsonNode> GetAsync(string path, CancellationToken ct = default) => Call(c => c.GetJsonAsync(path, ct));

    public Task<JsonNode> PostAsync(string path, object body, CancellationToken ct = default) => Call(c => c.PostJsonAsync(path, body, ct));

    public Task<byte[]> GetBytesAsync(string path, CancellationToken ct = default) => Call(c => c.GetBytesAsync(path, ct));

    public Task<JsonNode> PostContentAsync(string path, HttpContent content, CancellationToken ct = default) => Call(c => c.PostContentAsync(path, content, ct));

    /// <summary>The one line and exit code for a failed call.</summary>
    public static CliException Failed(Exception e) => e switch
    {
        ChainlabApiException a => new CliException(a.Type is null ? a.Message : $"{a.Type}: {a.Message}",
            a.Status == HttpStatusCode.NotFound ? ExitCodes.NotFound : ExitCodes.Rejected),
        ChainlabConnectionException { TimedOut: true } c => new CliException($"node {c.Node} did not answer in time", ExitCodes.Timeout),
        ChainlabConnectionException c => new CliException($"cannot reach node at {c.Node} ({c.InnerException?.Message}); is it running? (--node URL)", ExitCodes.Unreachable),
        _ => throw new ArgumentException("not a client error", nameof(e)),
    };

    public void Dispose() => Api.Dispose();
}
