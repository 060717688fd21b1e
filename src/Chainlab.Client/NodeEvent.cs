using System.Runtime.CompilerServices;
using System.Text.Json;
using Chainlab.Client.Models;

namespace Chainlab.Client;

/// <summary>
/// One server-sent event from GET /api/v1/events: its type (`head`, `transactions`, `reorg`, `equivocation`,
/// `contract-events`) and its JSON data.
/// </summary>
public sealed record NodeEvent(string Type, JsonElement Data)
{
    /// <summary>The new head, for a `head` event; null for any other type.</summary>
    public HeadEvent? Head => Type == "head" ? Data.Deserialize<HeadEvent>(ChainlabClient.Json) : null;

    /// <summary>Reads events from a text/event-stream body until it ends (comments and unnamed events are skipped).</summary>
    public static async IAsyncEnumerable<NodeEvent> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(body);
        string? type = null;
        var data = new System.Text.StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null && data.Length > 0)
                {
                    using var doc = JsonDocument.Parse(data.ToString());
                    yield return new NodeEvent(type, doc.RootElement.Clone());
                }
                type = null;
                data.Clear();
                continue;
            }
            if (line[0] == ':') continue; // a comment: ": connected", ": keep-alive"
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..]; // one space after the colon belongs to the syntax, any more to the value
            if (field == "event") type = value;
            else if (field == "data") { if (data.Length > 0) data.Append('\n'); data.Append(value); }
        }
    }
}
