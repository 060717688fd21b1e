using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chainlab.Node.Api;

/// <summary>Reads a JSON body with a byte cap, a depth cap and no unknown fields; failures become problems.</summary>
public static partial class RequestBody
{
    public const int MaxDepth = 16;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = MaxDepth,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // u64 fields also take decimal strings ("18446744073709551615"): JavaScript numbers lose precision above 2^53.
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes) where T : class
    {
        // A content type is required: without one, any web page could post here with a plain form (no preflight).
        if (request.ContentType is not { } ct || (!ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !ct.Contains("+json")))
            return (null, Problems.Of("unsupported-media-type", 415, "Unsupported media type",
                request.ContentType is null ? "send the body as application/json (Content-Type is missing)" : $"send application/json, not {request.ContentType}"));
        if (request.ContentLength > maxBytes)
            return (null, TooLarge(maxBytes));
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        try
        {
            while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + n > maxBytes) return (null, TooLarge(maxBytes));
                buffer.Write(chunk, 0, n);
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return (null, TooLarge(maxBytes));
        }
        if (buffer.Length == 0) return (null, Problems.Malformed("request body is empty; send a JSON object"));
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        try
        {
            // Syntax and nesting first, whatever the shape, so the cause reported is the real one.
            var scan = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth });
            while (scan.Read()) { }
            var value = JsonSerializer.Deserialize<T>(bytes, Options);
            return value is null ? (null, Problems.Malformed("request body is JSON null")) : (value, null);
        }
        catch (JsonException e) when (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return (null, Problems.Of("unknown-field", 400, "Unknown field", Clean(e)));
        }
        catch (JsonException e) when (e.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Of("too-deep", 400, "JSON nested too deeply", $"JSON nesting is limited to {MaxDepth} levels"));
        }
        catch (JsonException e)
        {
            return (null, Problems.Malformed(Clean(e)));
        }
    }

    private static IResult TooLarge(int max) => Problems.Of("too-large", 413, "Request too large", $"request body exceeds {max} bytes");

    private static string Clean(JsonException e)
    {
        var m = e.Message;
        var cut = m.IndexOf(" Path:", StringComparison.Ordinal);
        var msg = Friendly(cut > 0 ? m[..cut] : m);
        return e.Path is { Length: > 0 } p ? $"{msg} (at {p})" : msg;
    }

    /// <summary>A serializer message in the API's words: no .NET type or member names reach a client.</summary>
    public static string Friendly(string message)
    {
        message = TypeName().Replace(message, m => m.Value switch
        {
            var t when t.Contains("UInt64") || t.Contains("UInt32") || t.Contains("Int32") || t.Contains("Int64") => "an integer (or a decimal string)",
            var t when t.Contains("String") => "a string",
            var t when t.Contains("Boolean") => "true or false",
            var t when t.Contains("Nullable") => "a value",
            var t when t.Contains("List") || t.Contains("[]") || t.Contains("IReadOnlyList") => "an array",
            var t when t.Contains("JsonNode") => "a JSON value",
            _ => "the expected shape",
        });
        return message.Replace(" any .NET member contained in type 'the expected shape'", " a field of this request")
            .Replace("could not be mapped to any .NET member", "is not a field of this request");
    }

    /// <summary>A raw body of at most max bytes (declared or streamed); TooLarge as soon as it passes that.</summary>
    public static async Task<(byte[] Bytes, bool TooLarge)> ReadBytes(HttpRequest req, int max)
    {
        if (req.ContentLength > max) return ([], true);
        using var ms = new MemoryStream();
        var buf = new byte[64 * 1024];
        int n;
        try
        {
            while ((n = await req.Body.ReadAsync(buf, req.HttpContext.RequestAborted)) > 0)
            {
                if (ms.Length + n > max) return ([], true);
                ms.Write(buf, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413) { return ([], true); }
        return (ms.ToArray(), false);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"'?(System|Chainlab|Microsoft)\.[A-Za-z0-9_.`\[\], ]*[A-Za-z0-9_\]]'?")]
    private static partial System.Text.RegularExpressions.Regex TypeName();
}
