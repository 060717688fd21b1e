using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;

namespace Chainlab.Node.Tests.Api;

/// <summary>
/// The OpenAPI document tells the truth: real responses of every route, successes and failures, have a status
/// the document lists for that operation and a body that matches the schema it gives.
/// </summary>
public sealed class OpenApiConformanceTests
{
    [Fact]
    public async Task Every_route_answers_with_a_status_and_a_body_that_the_openapi_document_describes()
    {
        await using var c = await Contracts.ContractNode.StartAsync();
        var n = c.Node;
        var doc = JsonNode.Parse(await n.Http.GetStringAsync("/openapi/v1.json"))!;
        var (token, _) = await c.DeployAsync(0, Contracts.ContractNode.Example("token.lua"), """["T", "T", 100]""");
        var included = ContractTx.Deploy(c.Key(1), 0, "function init() end");
        await c.IncludeAsync(included);
        var pending = n.Transfer(2, 3, 5, 0);
        var a = n.Keys[0].Address;

        var checks = new List<(string Method, string Path, HttpContent? Body)>
        {
            ("GET", "/api/v1/status", null), ("GET", "/api/v1/peers", null), ("GET", "/api/v1/supply", null), ("GET", "/api/v1/finality", null), ("GET", "/api/v1/finality/proof", null), ("GET", "/api/v1/finality/proof?height=x", null),
            ("GET", "/api/v1/search?q=1", null), ("GET", "/api/v1/search?q=" + new string('a', 201), null),
            ("GET", "/api/v1/blocks/1", null), ("GET", "/api/v1/blocks/1?transactions=full", null), ("GET", "/api/v1/blocks/999999", null), ("GET", "/api/v1/blocks/nope", null),
            ("GET", "/api/v1/blocks/1/raw", null), ("GET", "/api/v1/blocks/x/raw", null), ("GET", "/api/v1/blocks/999999/raw", null),
            ("GET", "/api/v1/blocks?from=0&limit=2", null), ("GET", "/api/v1/blocks?from=x", null),
            ("GET", $"/api/v1/transactions/{included.Hash}", null), ("GET", "/api/v1/transactions/zz", null), ("GET", $"/api/v1/transactions/{new string('a', 64)}", null),
            ("POST", "/api/v1/transactions", Json(new { raw = Convert.ToHexStringLower(pending.Raw) })),
            ("GET", $"/api/v1/transactions/{pending.Hash}", null),
            ("POST", "/api/v1/transactions", Json(new { raw = Convert.ToHexStringLower(pending.Raw) })),
            ("POST", "/api/v1/transactions", Json(new { raw = Convert.ToHexStringLower(n.Transfer(2, 3, 5, 0, fee: 2).Raw) })),
            ("POST", "/api/v1/transactions", Json(new { raw = "zz" })),
            ("POST", "/api/v1/transactions", new StringContent("x")),
            ("POST", "/api/v1/transactions/batch", Json(new { transactions = new[] { Convert.ToHexStringLower(n.Transfer(0, 1, 1, 2).Raw), "00" } })),
            ("POST", "/api/v1/transactions/batch", new StringContent("x")),
            ("GET", "/api/v1/mempool", null),
            ("GET", $"/api/v1/accounts/{a}", null), ("GET", $"/api/v1/accounts/{a}?proof=true", null), ("GET", "/api/v1/accounts/nope", null),
            ("POST", "/api/v1/blocks", new ByteArrayContent([1, 2, 3]) { Headers = { ContentType = new("application/octet-stream") } }),
            ("POST", "/api/v1/blocks", Json(new { })),
            ("GET", $"/api/v1/contracts/{token}", null), ("GET", $"/api/v1/contracts/{a}", null), ("GET", "/api/v1/contracts/nope", null),
            ("GET", $"/api/v1/contracts/{token}/storage/supply?proof=true", null), ("GET", $"/api/v1/contracts/{token}/storage/missing", null),
            ("POST", $"/api/v1/contracts/{token}/call", Json(new { function = "info" })),
            ("POST", $"/api/v1/contracts/{token}/call", Json(new { function = "nope" })),
            ("POST", $"/api/v1/contracts/{token}/call", Json(new { function = "info", args = new[] { 1.5 } })),
            ("GET", $"/api/v1/contracts/{token}/events", null), ("GET", "/api/v1/contracts/nope/events", null),
            ("POST", "/api/v1/files?name=hello.txt", new ByteArrayContent("hello world\n"u8.ToArray()) { Headers = { ContentType = new("application/octet-stream") } }),
            ("POST", "/api/v1/files?name=a/b", new ByteArrayContent([1])),
            ("POST", "/api/v1/files", new ByteArrayContent([1, 2, 3]) { Headers = { ContentType = new("application/vnd.ipld.car") } }),
            ("GET", "/api/v1/files", null), ("GET", $"/api/v1/files?anchoredBy={a}", null), ("GET", "/api/v1/files?anchoredBy=nope", null),
            ("GET", "/api/v1/files/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", null), ("GET", "/api/v1/files/QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", null),
            ("GET", "/api/v1/files/nope", null),
            ("POST", "/api/v1/faucet", Json(new { address = a.ToString() })), // no devnet here: the 404 problem (FaucetTests has the rest)
        };
        var operations = ((JsonObject)doc["paths"]!).SelectMany(p => ((JsonObject)p.Value!).Select(o => (Template: p.Key, Method: o.Key.ToUpperInvariant(), Op: o.Value!))).ToList();
        var covered = new HashSet<string>();
        foreach (var (method, path, body) in checks)
        {
            var resp = await n.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = body });
            var bare = path.Split('?')[0];
            var op = operations.Where(o => o.Method == method && Regex.IsMatch(bare, "^" + Regex.Replace(o.Template, @"\{[^}]+\}", "[^/]+") + "$"))
                .OrderByDescending(o => o.Template.Count(ch => ch == '/') - o.Template.Count(ch => ch == '{')).FirstOrDefault();
            Assert.True(op.Op is not null, $"{method} {path} is not in the document");
            covered.Add($"{method} {op.Template}");
            var status = ((int)resp.StatusCode).ToString();
            var response = op.Op["responses"]?[status];
            Assert.True(response is not null, $"{method} {path} answered {status}, which the document does not list for {op.Template}");
            var mediaType = resp.Content.Headers.ContentType?.MediaType;
            if (mediaType is not ("application/json" or "application/problem+json")) continue;
            var schema = response!["content"]?[mediaType]?["schema"];
            Assert.True(schema is not null, $"{method} {path} {status}: the document gives no {mediaType} schema");
            var errors = new List<string>();
            Validate(doc, schema!, JsonNode.Parse(await resp.Content.ReadAsStringAsync()), "$", errors);
            Assert.True(errors.Count == 0, $"{method} {path} {status}:\n" + string.Join("\n", errors));
        }
        var all = operations.Where(o => o.Template != "/api/v1/events").Select(o => $"{o.Method} {o.Template}").ToHashSet();
        Assert.Empty(all.Except(covered));
    }

    private static StringContent Json(object o) => JsonContent.Create(o) is var j ? new StringContent(j.ReadAsStringAsync().Result, System.Text.Encoding.UTF8, "application/json") : null!;

    /// <summary>The part of JSON Schema the document uses: $ref, type, properties, required, items, oneOf, enum, pattern, additionalProperties.</summary>
    private static void Validate(JsonNode doc, JsonNode schema, JsonNode? value, string at, List<string> errors)
    {
        if (schema["$ref"] is { } r)
        {
            var name = r.GetValue<string>().Split('/')[^1];
            Validate(doc, doc["components"]!["schemas"]![name]!, value, at, errors);
            return;
        }
        if (schema["oneOf"] is JsonArray one)
        {
            var matches = one.Count(s => { var e = new List<string>(); Validate(doc, s!, value, at, e); return e.Count == 0; });
            if (matches != 1) errors.Add($"{at}: matches {matches} of the oneOf schemas");
            return;
        }
        if (schema["type"] is { } t)
        {
            var types = t is JsonArray arr ? arr.Select(x => x!.GetValue<string>()).ToList() : [t.GetValue<string>()];
            var kind = value switch
            {
                null => "null",
                JsonObject => "object",
                JsonArray => "array",
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => "string",
                JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
                JsonValue v when v.TryGetValue<long>(out _) || v.TryGetValue<ulong>(out _) => "integer",
                _ => "number",
            };
            if (!types.Contains(kind) && !(kind == "integer" && types.Contains("number")))
            {
                errors.Add($"{at}: is {kind}, the document says {string.Join("|", types)}");
                return;
            }
        }
        if (schema["enum"] is JsonArray en && value is not null && !en.Any(e => JsonNode.DeepEquals(e, value))) errors.Add($"{at}: {value} is not in the enum");
        if (schema["pattern"] is { } pattern && value is JsonValue sv && sv.GetValueKind() == System.Text.Json.JsonValueKind.String
            && !Regex.IsMatch(sv.GetValue<string>(), pattern.GetValue<string>())) errors.Add($"{at}: does not match {pattern}");
        if (value is JsonObject obj)
        {
            foreach (var req in schema["required"]?.AsArray() ?? [])
                if (!obj.ContainsKey(req!.GetValue<string>())) errors.Add($"{at}: required property '{req}' is missing");
            var props = schema["properties"] as JsonObject;
            foreach (var (k, v) in obj)
            {
                if (props?[k] is { } ps) Validate(doc, ps, v, $"{at}.{k}", errors);
                else if (schema["additionalProperties"] is JsonValue ap && ap.GetValueKind() == System.Text.Json.JsonValueKind.False) errors.Add($"{at}: '{k}' is not in the document");
                else if (schema["additionalProperties"] is JsonObject aps) Validate(doc, aps, v, $"{at}.{k}", errors);
            }
        }
        if (value is JsonArray items && schema["items"] is { } itemSchema)
            for (var i = 0; i < items.Count; i++) Validate(doc, itemSchema, items[i], $"{at}[{i}]", errors);
    }
}
