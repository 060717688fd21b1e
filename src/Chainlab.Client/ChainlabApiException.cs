using System.Net;
using System.Text.Json.Nodes;

namespace Chainlab.Client;

/// <summary>
/// A node answered with an error: an RFC 9457 problem (type, title, detail) or, from something that is not a
/// Chainlab node, a bare status. <see cref="Type"/> is the short name (`nonce-too-low`, `not-found`) without the
/// `urn:chainlab:problem:` prefix; docs/api.md lists them.
/// </summary>
public sealed class ChainlabApiException(HttpStatusCode status, string? type, string? title, string? detail, JsonNode? problem)
    : Exception(detail ?? title ?? $"HTTP {(int)status}")
{
    public const string TypePrefix = "urn:chainlab:problem:";

    public HttpStatusCode Status { get; } = status;
    public string? Type { get; } = type;
    public string? Title { get; } = title;
    public string? Detail { get; } = detail;
    /// <summary>The whole problem document (extension members included), or null when the body was not JSON.</summary>
    public JsonNode? Problem { get; } = problem;

    /// <summary>Reads a problem from an error response's body (any text; not JSON gives a bare status).</summary>
    public static ChainlabApiException From(HttpStatusCode status, string body)
    {
        JsonNode? node = null;
        try { node = JsonNode.Parse(body); } catch (System.Text.Json.JsonException) { }
        string? Text(string name) => node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var type = Text("type");
        if (type is not null && type.StartsWith(TypePrefix, StringComparison.Ordinal)) type = type[TypePrefix.Length..];
        return new ChainlabApiException(status, type, Text("title"), Text("detail"), node);
    }
}

/// <summary>The node could not be reached, or did not answer in time.</summary>
public sealed class ChainlabConnectionException(Uri node, bool timedOut, Exception? inner)
    : Exception(timedOut ? $"node {node} did not answer in time" : $"cannot reach node at {node} ({inner?.Message})", inner)
{
    public Uri Node { get; } = node;
    public bool TimedOut { get; } = timedOut;
}
