using Chainlab.Node.Common;
using Chainlab.Node.Hosting;
using System.Text.Json;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Mempool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>REST API v1: routes, OpenAPI and the event stream.</summary>
public static class ApiSetup
{
    public const int MaxSingleTxBody = 256 * 1024;
    public const int MaxBatchBody = 32 * 1024 * 1024;
    public const int MaxBatchCount = 20_000;
    public const int MaxPage = 100;

    public static void AddServices(IServiceCollection services)
    {
        ApiGuards.AddProblemTypes(services);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, ctx, ct) =>
        {
            // Contract values are any JSON; the generator writes a nullable one as oneOf [null, {}], which null matches twice.
            foreach (var schema in doc.Components?.Schemas?.Values ?? [])
                if (schema.Properties is { } props)
                    foreach (var key in props.Keys.ToList())
                        if (props[key].OneOf is { } one && one.Any(s => s is Microsoft.OpenApi.OpenApiSchemaReference r && r.Reference.Id == "JsonNode"))
                            props[key] = new Microsoft.OpenApi.OpenApiSchema { Description = "any JSON value: a contract value (docs/contracts.md), or null" };
            doc.Info.Title = "Chainlab node API";
            doc.Info.Description = "REST API of a Chainlab node. Errors are RFC 9457 problem details whose type names the cause (docs/api.md).";
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            // As RequestBody reads them: u64 fields may come as decimal strings (JavaScript loses precision above 2^53).
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString;
        });
    }

    public static void Map(WebApplication app, ApiContext node)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        ApiGuards.Use(app, node.Settings.AllowedHosts, app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Chainlab.Api"));
        if (node.Devnet is { } siblings) DevnetEndpoints.UseSiblingReads(app, siblings);
        DashboardEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        // A browsable reference of the same document; Scalar's script is served from the package, not a CDN.
        Scalar.AspNetCore.ScalarEndpointRouteBuilderExtensions.MapScalarApiReference(app, "/api/docs", o =>
        {
            o.Title = "Chainlab node API";
            o.OpenApiRoutePattern = "/openapi/{documentName}.json";
        });
        var api = app.MapGroup("/api/v1");
        if (node.Devnet is { } devnet) DevnetEndpoints.Map(api, devnet, node.Settings.ApiPort);

        api.MapGet("/status", () => Status(node)).Produces<StatusDto>().WithName("GetStatus")
            .WithSummary("Chain, head, mempool, peers, sync, forks, the engine's state, contract limits, the minimum fee, and the misbehaviours a node of the adversary lab was started with.");

        SupplyEndpoint.Map(api, node);
        SearchEndpoint.Map(api, node);

        api.MapGet("/peers", () => Results.Ok(new PeersDto(node.Peers?.NodeId, node.Peers?.Port, PeerList(node),
            node.Peers?.Banned.Select(b => new BanDto(b.Id, b.Until, b.Reason)).ToList() ?? [])))
            .Produces<PeersDto>().WithName("ListPeers").WithSummary("Connected peers (node id, address, direction, height, latency, score) and the peers banned now, with why.");

        api.MapGet("/blocks/{id}", (string id, string? transactions) => GetBlock(node, id, transactions))
            .WithOneOfResponse(200, typeof(BlockDto), typeof(BlockFullDto)).WithProblems(400, 404).WithName("GetBlock").WithSummary("A block by height or hash; ?transactions=full includes every transaction.");

        api.MapGet("/blocks/{height}/raw", (string height) =>
        {
            if (!ulong.TryParse(height, System.Globalization.NumberStyles.None, null, out var h)) return Problems.Malformed($"'{Trim(height)}' is not a height");
            return node.Chain.Blocks.RawBlockByHeight(h) is { } raw ? Results.Bytes(raw, "application/octet-stream") : Problems.NotFound($"no block at height {h}");
        }).Produces(200, contentType: "application/octet-stream").WithProblems(400, 404).WithName("GetRawBlock").WithSummary("The canonical bytes of the block at a height (what `chain export` writes).");

        api.MapPost("/blocks", async (HttpRequest req) =>
        {
            if (req.ContentType is not "application/octet-stream")
                return Problems.Of("unsupported-media-type", 415, "Unsupported media type", "send the canonical block bytes as application/octet-stream");
            var (raw, tooLarge) = await RequestBody.ReadBytes(req, Limits.MaxBlockBytes);
            if (tooLarge) return Problems.Of("too-large", 413, "Block too large", $"a block is at most {Limits.MaxBlockBytes} bytes");
            Block block;
            try { block = Block.Decode(raw); }
            catch (DecodeException e) { return Problems.Malformed(e.Message); }
            var result = await node.Import.ImportAsync(block);
            return result.Status is Chain.ImportStatus.Rejected or Chain.ImportStatus.Orphan
                ? Problems.Of("block-rejected", 422, "Block rejected", $"block {block.Height} {block.Hash.Short}: {result.Reason}")
                : Results.Ok(new ImportBlockDto(result.Status.ToString().ToLowerInvariant(), block.Height, block.Hash.ToString()));
        }).Produces<ImportBlockDto>().WithProblems(400, 413, 415, 422).WithName("ImportBlock").WithSummary("Import one block (canonical bytes) through the full validation pipeline (what `chain import` uses).");

        api.MapGet("/blocks", (string? from, int? limit) =>
        {
            var n = Math.Clamp(limit ?? 20, 1, MaxPage);
            ulong start = 0;
            if (from is not null && !ulong.TryParse(from, System.Globalization.NumberStyles.None, null, out start))
                return Problems.Malformed($"'from' must be a height (0 to {ulong.MaxValue}), not '{Trim(from)}'");
            // Heights beyond the head (up to 2^64 - 1) are simply not there: an empty page, never a wrap-around.
            var headers = start > node.Chain.Head.Height ? [] : node.Chain.Blocks.Headers(start, n);
            var next = headers.Count == n ? headers[^1].Height + 1 : (ulong?)null;
            return Results.Ok(new BlockPageDto(headers.Select(HeaderDto.From).ToList(), next));
        }).Produces<BlockPageDto>().WithProblems(400).WithName("ListBlocks").WithSummary("Headers from height 'from' onwards, at most 100 per page.");

        api.MapGet("/transactions/{hash}", (string hash) => GetTransaction(node, hash)).Produces<TxStatusDto>().WithProblems(400, 404).WithName("GetTransaction")
            .WithSummary("A transaction: pending, included (block, receipt, Merkle proof) or rejected (reason).");

        api.MapPost("/transactions", async (HttpRequest req) =>
        {
            var (body, problem) = await RequestBody.ReadAsync<SubmitTxRequest>(req, MaxSingleTxBody);
            if (problem is not null) return problem;
            if (!TryAssemble(body!, out var raw, out var error))
                return error.StartsWith("to: ", StringComparison.Ordinal) ? Problems.Of("bad-address", 400, "Bad address", error) : Problems.Malformed(error);
            var result = node.Pool.Admit([raw])[0];
            return result.Accepted
                ? Results.Accepted($"/api/v1/transactions/{result.Hash}", new SubmitResultDto(0, result.Hash.ToString(), "pending", null, null))
                : Problems.Rejected(result.Result);
        }).WithSubmitBody().Produces<SubmitResultDto>(202).WithProblems(400, 403, 409, 413, 415, 422, 429, 503)
          .WithName("SubmitTransaction").WithSummary("Submit one signed transaction: {\"raw\": hex} or all fields with the signature.");

        api.MapPost("/transactions/batch", async (HttpRequest req) =>
        {
            var (body, problem) = await RequestBody.ReadAsync<SubmitBatchRequest>(req, MaxBatchBody);
            if (problem is not null) return problem;
            if (body!.Transactions is not { } list) return Problems.Malformed("'transactions' (an array of hex strings) is required");
            if (list.Count > MaxBatchCount) return Problems.Of("too-large", 413, "Batch too large", $"a batch holds at most {MaxBatchCount} transactions");
            if (!node.Settings.Budget.TryTake(req.HttpContext.Connection.RemoteIpAddress, list.Count))
                return Problems.Of("rate-limited", 429, "Too many transactions",
                    $"this node takes at most {node.Settings.Budget.PerSecond} transactions per second from one client (bursts of twice that); slow down and retry");
            var raws = new byte[list.Count][];
            var results = new SubmitResultDto?[list.Count];
            var toAdmit = new List<int>(list.Count);
            for (var i = 0; i < list.Count; i++)
            {
                if (TryHex(list[i], out var raw, out var err)) { raws[i] = raw; toAdmit.Add(i); }
                else results[i] = new SubmitResultDto(i, null, "rejected", Problems.TypePrefix + "malformed", err);
            }
            var admitted = node.Pool.Admit(toAdmit.Select(i => raws[i]).ToList());
            for (var k = 0; k < toAdmit.Count; k++)
            {
                var a = admitted[k];
                var i = toAdmit[k];
                results[i] = a.Accepted
                    ? new SubmitResultDto(i, a.Hash.ToString(), "pending", null, null)
                    : new SubmitResultDto(i, a.Hash?.ToString(), "rejected", Problems.TypePrefix + a.Result.Error.Slug(), a.Result.Detail);
            }
            var accepted = admitted.Count(a => a.Accepted);
            return Results.Ok(new SubmitBatchResponse(accepted, list.Count - accepted, results!));
        }).WithJsonBody<SubmitBatchRequest>().Produces<SubmitBatchResponse>().WithProblems(400, 413, 415, 429)
          .WithName("SubmitTransactionBatch").WithSummary("Submit many signed transactions (hex canonical bytes), admitted in order.");

        api.MapGet("/mempool", (int? offset, int? limit) =>
        {
            var txs = node.Pool.List(Math.Max(0, offset ?? 0), Math.Clamp(limit ?? 50, 1, MaxPage));
            return Results.Ok(new MempoolDto(node.Pool.Count, txs.Select(TxDto.Of).ToList()));
        }).Produces<MempoolDto>().WithName("ListMempool").WithSummary("Pending transactions in arrival order (?offset=, ?limit= up to 100).");

        api.MapGet("/accounts/{address}", async (string address, bool? proof) =>
        {
            if (!Address.TryParse(address, out var a, out var err)) return Problems.Of("bad-address", 400, "Bad address", err);
            if (proof != true)
            {
                var acc = node.Chain.Committed.State.Get(a);
                return Results.Ok(new AccountDto(a.ToString(), acc.Balance, acc.Nonce, acc.Stake, node.Pool.NextNonce(a), null));
            }
            // The trie is owned by the chain loop; prove there so the proof matches one head.
            var (account, p, head) = await node.Chain.ProveAccountAsync(a);
            var dto = new StateProofDto(head.StateRoot.ToString(), head.Height, StateTree.KeyOf(a).ToString(),
                p.Siblings.Select(s => s.ToString()).ToList(), p.LeafKey?.ToString(), p.LeafValue?.ToString());
            return Results.Ok(new AccountDto(a.ToString(), account.Balance, account.Nonce, account.Stake, node.Pool.NextNonce(a), dto));
        }).Produces<AccountDto>().WithProblems(400).WithName("GetAccount").WithSummary("Balance, nonce and stake; ?proof=true adds a state proof against the head's state root.");

        // Two parameters keep this a described endpoint (a lone HttpContext lambda is a raw RequestDelegate, left out of OpenAPI).
        api.MapGet("/events", (HttpContext ctx, CancellationToken ct) => EventEndpoints.Stream(node, ctx))
            .Produces(200, contentType: "text/event-stream").WithProblems(503).WithName("Events")
            .WithSummary("Server-sent events: 'head' for each new block, 'transactions' for each accepted batch.");

        ContractEndpoints.Map(api, node);
        FileEndpoints.Map(api, node);
        Gateway.Map(app, node);

        api.MapFallback(() => Problems.NotFound("no such API route"));
    }

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

    private static IResult Status(ApiContext node)
    {
        var h = node.Chain.Head;
        var spec = node.Chain.Spec;
        return Results.Ok(new StatusDto(spec.ChainId, node.Chain.GenesisHash.ToString(), node.Chain.EngineName, h.Height,
            h.Hash.ToString(), h.TimestampMs, h.StateRoot.ToString(), node.Pool.Count, PeerList(node), NodeVersion.Current,
            spec.BlockTimeMs, node.Producer, node.Chain.CommittedTransactions, SyncOf(node, h.Height),
            new ForkDto(node.Chain.HeadWeight, node.Chain.SideBlocks, node.Chain.Reorgs.Count, node.Chain.Reorgs.LastDepth, node.Chain.Reorgs.Deepest, node.Chain.Equivocations),
            node.Chain.ConsensusInfo(), spec.Contracts, spec.MinFee, node.Misbehaving ?? []));
    }

    private static SyncDto SyncOf(ApiContext node, ulong height)
    {
        var target = Math.Max(height, node.Peers?.Peers.Select(p => p.BestHeight).DefaultIfEmpty(0UL).Max() ?? 0);
        var percent = target == 0 ? 100 : Math.Round(100.0 * height / target, 2);
        return new SyncDto(target > height + 1, height, target, percent);
    }

    private static List<PeerDto> PeerList(ApiContext node) =>
        node.Peers?.Peers.Select(p => new PeerDto(p.Id, p.Address, p.Outbound ? "outbound" : "inbound", p.BestHeight, Math.Round(p.LatencyMs, 2), p.Score, p.BlocksReceived)).ToList() ?? [];

    private static IResult GetBlock(ApiContext node, string id, string? transactions)
    {
        Block? block;
        if (ulong.TryParse(id, System.Globalization.NumberStyles.None, null, out var height)) block = node.Chain.Blocks.BlockByHeight(height);
        else if (Hash.TryParse(id, out var hash)) block = node.Chain.Blocks.BlockByHash(hash);
        else return Problems.Malformed($"'{Trim(id)}' is neither a height nor a 64-hex-digit block hash");
        if (block is null) return Problems.NotFound($"no block {Trim(id)}");
        var header = HeaderDto.From(block.Header);
        var refs = block.FileRefs.Select(f => FileRefDto.Of(Core.Files.FileRef.Decode(f))).ToList();
        if (transactions == "full")
            return Results.Ok(new BlockFullDto(header, block.Transactions.Select(TxDto.Of).ToList(), refs));
        return Results.Ok(new BlockDto(header, block.Transactions.Select(t => t.Hash.ToString()).ToList(), refs));
    }

    private static IResult GetTransaction(ApiContext node, string id)
    {
        if (!Hash.TryParse(id, out var hash)) return Problems.Malformed($"'{Trim(id)}' is not a 64-hex-digit transaction hash");
        // Pool before store: a block is stored before its transactions leave the pool, so this order
        // never misses a transaction that is moving from one to the other.
        if (node.Pool.Get(hash) is { } pending)
            return Results.Ok(new TxStatusDto(hash.ToString(), "pending", null, null, null, null, null, null, TxDto.Of(pending)));
        if (node.Chain.Blocks.Transaction(hash) is { } loc)
        {
            var block = node.Chain.Blocks.BlockByHash(loc.BlockHash)!;
            var leaves = block.Transactions.Select(t => t.Hash).ToArray();
            var proof = MerkleTree.Prove(leaves, loc.Index);
            return Results.Ok(new TxStatusDto(hash.ToString(), "included", null, loc.BlockHash.ToString(), loc.Height, loc.Index,
                ReceiptDto.Of(loc.Receipt),
                MerkleProofDto.From(proof, block.Header.TxRoot), TxDto.Of(block.Transactions[loc.Index])));
        }
        if (node.Pool.RejectionReason(hash) is { } reason)
            return Results.Ok(new TxStatusDto(hash.ToString(), "rejected", reason, null, null, null, null, null, null));
        return Problems.NotFound($"transaction {hash} is not known to this node");
    }

    private static bool TryHex(string? hex, out byte[] raw, out string error)
    {
        raw = [];
        error = "";
        if (string.IsNullOrEmpty(hex)) { error = "transaction hex is empty"; return false; }
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length > 2 * Limits.MaxTransactionBytes) { error = $"transaction exceeds {Limits.MaxTransactionBytes} bytes"; return false; }
        if (hex.Length % 2 != 0) { error = "hex has an odd number of digits"; return false; }
        try { raw = Convert.FromHexString(hex); return true; }
        catch (FormatException) { error = "transaction is not valid hex"; return false; }
    }

    private static bool TryAssemble(SubmitTxRequest r, out byte[] raw, out string error)
    {
        raw = [];
        var fieldsGiven = r.Kind is not null || r.ChainId is not null || r.SenderKey is not null || r.Signature is not null
            || r.Nonce is not null || r.Fee is not null || r.To is not null || r.Amount is not null || r.Payload is not null;
        if (r.Raw is not null)
        {
            if (fieldsGiven) { error = "send either 'raw' or the transaction fields, not both"; return false; }
            return TryHex(r.Raw, out raw, out error);
        }
        if (r.Kind is null || r.ChainId is null || r.SenderKey is null || r.Signature is null || r.Nonce is null || r.Fee is null || r.Amount is null)
        { error = "required: 'raw', or all of kind, chainId, senderKey, nonce, fee, amount, signature (and 'to' for transfers)"; return false; }
        if (!Enum.TryParse<TxKind>(r.Kind, true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(r.Kind, out _))
        { error = $"unknown kind '{Trim(r.Kind)}'"; return false; }
        var to = Address.Zero;
        if (r.To is not null && !Address.TryParse(r.To, out to, out var addrErr)) { error = "to: " + addrErr; return false; }
        if (!TryHex(r.SenderKey, out var key, out error)) { error = "senderKey: " + error; return false; }
        if (!TryHex(r.Signature, out var sig, out error)) { error = "signature: " + error; return false; }
        var payload = Array.Empty<byte>();
        if (!string.IsNullOrEmpty(r.Payload) && !TryHex(r.Payload, out payload, out error)) { error = "payload: " + error; return false; }
        try
        {
            raw = Transaction.Assemble(kind, r.ChainId, key, r.Nonce.Value, r.Fee.Value, to, r.Amount.Value, payload, sig).Raw;
            error = "";
            return true;
        }
        catch (DecodeException e) { error = e.Message; return false; }
    }

    private static string Trim(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
