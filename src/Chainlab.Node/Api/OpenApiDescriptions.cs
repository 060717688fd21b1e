using System.Text.Json;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Node.Mempool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>How routes describe themselves in the OpenAPI document: problem responses, one-of answers, request bodies.</summary>
internal static class OpenApiDescriptions
{
    /// <summary>Documents the problem responses a route can give, each with the problem schema.</summary>
    internal static RouteHandlerBuilder WithProblems(this RouteHandlerBuilder b, params int[] statuses)
    {
        foreach (var s in statuses) b.ProducesProblem(s);
        return b;
    }

    /// <summary>A 200 (or other) response that is one of several shapes (a block with hashes or with whole transactions).</summary>
    internal static RouteHandlerBuilder WithOneOfResponse(this RouteHandlerBuilder b, int status, params Type[] types) =>
        b.Produces(status, types[0]).AddOpenApiOperationTransformer(async (op, ctx, ct) =>
        {
            var schema = new Microsoft.OpenApi.OpenApiSchema { OneOf = new List<Microsoft.OpenApi.IOpenApiSchema>() };
            foreach (var t in types) schema.OneOf.Add(await ctx.GetOrCreateSchemaAsync(t, null, ct));
            op.Responses![status.ToString()].Content!["application/json"].Schema = schema;
        });

    /// <summary>
    /// The submit body as it is accepted: either {"raw": hex} alone, or every field of the transaction with its
    /// signature (kind one of the enabled names; u64 fields as integers or decimal strings).
    /// </summary>
    internal static RouteHandlerBuilder WithSubmitBody(this RouteHandlerBuilder b) =>
        b.AddOpenApiOperationTransformer((op, ctx, ct) =>
        {
            static Microsoft.OpenApi.OpenApiSchema Text(string description) => new() { Type = Microsoft.OpenApi.JsonSchemaType.String, Description = description };
            static Microsoft.OpenApi.OpenApiSchema U64(string description) => new()
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Integer | Microsoft.OpenApi.JsonSchemaType.String, Format = "uint64",
                Pattern = "^(0|[1-9][0-9]*)$", Description = description + " (0 to 2^64-1; a decimal string keeps precision in JavaScript)",
            };
            var raw = new Microsoft.OpenApi.OpenApiSchema
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Object, AdditionalPropertiesAllowed = false,
                Required = new HashSet<string> { "raw" },
                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema> { ["raw"] = Text("the canonical transaction bytes, hex (docs/protocol.md)") },
            };
            var kind = Text("transaction kind");
            kind.Enum = Enum.GetNames<TxKind>().Select(n => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(n.ToLowerInvariant())!).ToList();
            var fields = new Microsoft.OpenApi.OpenApiSchema
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Object, AdditionalPropertiesAllowed = false,
                Required = new HashSet<string> { "kind", "chainId", "senderKey", "nonce", "fee", "amount", "signature" },
                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                {
                    ["kind"] = kind,
                    ["chainId"] = Text("the chain id the transaction is for"),
                    ["senderKey"] = Text("the sender's Ed25519 public key, 64 hex digits"),
                    ["nonce"] = U64("the sender's nonce"),
                    ["fee"] = U64("the fee in base units"),
                    ["to"] = Text("recipient address (cl…); omitted means none"),
                    ["amount"] = U64("amount in base units"),
                    ["payload"] = Text("kind-specific payload, hex"),
                    ["signature"] = Text("Ed25519 signature over the signing message, 128 hex digits"),
                },
            };
            op.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { OneOf = new List<Microsoft.OpenApi.IOpenApiSchema> { raw, fields } } },
                },
            };
            return Task.CompletedTask;
        });

    /// <summary>
    /// Documents a binary request body in these media types, without Accepts(), which would also filter
    /// routing by content type and turn another media type into a 404.
    /// </summary>
    internal static RouteHandlerBuilder WithBinaryBody(this RouteHandlerBuilder b, params string[] mediaTypes) =>
        b.AddOpenApiOperationTransformer((op, ctx, ct) =>
        {
            op.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = mediaTypes.ToDictionary(m => m, _ => new Microsoft.OpenApi.OpenApiMediaType
                {
                    Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
                }),
            };
            return Task.CompletedTask;
        });

    /// <summary>
    /// Documents a JSON request body in OpenAPI without Accepts(), which would also filter routing by
    /// content type and turn a wrong media type into a 404 instead of a 415 problem.
    /// </summary>
    internal static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder b) =>
        b.AddOpenApiOperationTransformer(async (op, ctx, ct) =>
        {
            op.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await ctx.GetOrCreateSchemaAsync(typeof(T), null, ct) },
                },
            };
        });
}
