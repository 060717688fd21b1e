using System.Text.Json.Nodes;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.State;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>Contract routes: show a contract, read storage (with proofs), view calls and events.</summary>
public static class ContractEndpoints
{
    public const int MaxStorageListed = 200;
    public const int MaxCallBody = 256 * 1024;
    // View calls run on request threads; at most this many at once, the rest get a 503 at once.
    private static readonly SemaphoreSlim ViewSlots = new(Math.Max(2, Environment.ProcessorCount));

    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/contracts/{address}", (string address) =>
        {
            if (!TryContract(node, address, out var a, out var snapshot, out var problem)) return problem!;
            var hash = ContractState.CodeHashOf(snapshot, a)!.Value;
            var code = ContractState.Code(snapshot, hash) ?? [];
            var storage = snapshot.All
                .Select(kv => ContractState.AsSlot(kv.Value.Data))
                .Where(s => s is { } x && x.Contract == a)
                .Select(s => s!.Value)
                .OrderBy(s => s.Key, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
                .Take(MaxStorageListed)
                .Select(s => new ContractStorageDto(ContractState.KeyText(s.Key), ValueJson(s.Value)))
                .ToList();
            return Results.Ok(new ContractDto(a.ToString(), hash.ToString(), System.Text.Encoding.UTF8.GetString(code),
                snapshot.Get(a).Balance, storage));
        }).Produces<ContractDto>().ProducesProblem(404).ProducesProblem(400)
          .WithName("GetContract").WithSummary("A contract's code, balance and storage (first 200 keys in byte order).");

        api.MapGet("/contracts/{address}/storage/{key}", async (string address, string key, bool? proof) =>
        {
            if (!TryContract(node, address, out var a, out var snapshot, out var problem)) return problem!;
            var k = System.Text.Encoding.UTF8.GetBytes(key);
            if (k.Length is 0 or > 128) return Problems.Malformed("a storage key is 1 to 128 bytes");
            var slot = ContractState.SlotAddress(a, k);
            if (proof != true)
                return Results.Ok(new StorageValueDto(a.ToString(), key, slot.ToString(), ContractState.Get(snapshot, a, k) is { } v ? ValueJson(v) : null, null));
            var (entry, p, head) = await node.Chain.ProveAccountAsync(slot);
            var dto = new StateProofDto(head.StateRoot.ToString(), head.Height, StateTree.KeyOf(slot).ToString(),
                p.Siblings.Select(s => s.ToString()).ToList(), p.LeafKey?.ToString(), p.LeafValue?.ToString());
            var value = ContractState.AsSlot(entry.Data) is { } s ? ValueJson(s.Value) : null;
            return Results.Ok(new StorageValueDto(a.ToString(), key, slot.ToString(), value, dto, entry.Data is null ? null : Convert.ToHexStringLower(entry.Encode())));
        }).Produces<StorageValueDto>().ProducesProblem(404).ProducesProblem(400)
          .WithName("GetContractStorage").WithSummary("One storage value; ?proof=true adds a state proof of the slot entry against the head's state root.");

        api.MapPost("/contracts/{address}/call", async (string address, HttpRequest req) =>
        {
            if (!TryContract(node, address, out var a, out _, out var problem)) return problem!;
            var (body, bad) = await RequestBody.ReadAsync<ViewCallRequest>(req, MaxCallBody);
            if (bad is not null) return bad;
            if (string.IsNullOrEmpty(body!.Function)) return Problems.Malformed("'function' is required");
            IReadOnlyList<ContractValue> args;
            try { args = body.Args is null ? [] : body.Args.Select(x => ContractValue.FromJson(x)).ToList(); }
            catch (FormatException e) { return Problems.Of("bad-argument", 400, "Bad contract argument", e.Message); }
            if (!ViewSlots.Wait(0)) return Problems.Of("unavailable", 503, "Busy", "too many view calls are running; try again");
            try
            {
                var committed = node.Chain.Committed;
                var (result, gas) = ContractKinds.View(node.Chain.Spec, committed.State, a, body.Function, args,
                    committed.Header.Height, committed.Header.TimestampMs, body.Gas, cancel: req.HttpContext.RequestAborted);
                if (!result.Ok) return Problems.Of("contract-failed", 422, "The contract failed", result.Error ?? "failed");
                return Results.Ok(new ViewCallResponse(result.Value.ToJson(), gas, committed.Header.Height));
            }
            finally { ViewSlots.Release(); }
        }).WithJsonBody<ViewCallRequest>().Produces<ViewCallResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503)
          .WithName("CallContract").WithSummary("A read-only call against the head state: no transaction, no fee, gas capped by the chain spec.");

        api.MapGet("/contracts/{address}/events", (string address, ulong? from, int? limit, int? offset) =>
        {
            if (!Address.TryParse(address, out var a, out var err)) return Problems.Of("bad-address", 400, "Bad address", err);
            var list = node.Chain.Blocks.ContractEvents(a, from ?? 0, Math.Clamp(limit ?? 100, 1, 1000), Math.Max(0, offset ?? 0));
            return Results.Ok(list.Select(e => new ContractEventDto(e.Height, e.TxHash.ToString(), e.Index, e.Contract.ToString(), e.Name,
                ValueJson(e.Value))).ToList());
        }).Produces<List<ContractEventDto>>().ProducesProblem(400)
          .WithName("ListContractEvents").WithSummary("Events a contract emitted in canonical blocks, oldest first, from a height (?from=, ?offset= events to skip, ?limit= up to 1000).");
    }

    public static JsonNode? ValueJson(byte[] encoded)
    {
        try { return ContractValue.Decode(encoded).ToJson(); }
        catch (Chainlab.Core.Encoding.DecodeException) { return new JsonObject { ["undecodable"] = Convert.ToHexStringLower(encoded) }; }
    }

    private static bool TryContract(ApiContext node, string text, out Address a, out StateSnapshot snapshot, out IResult? problem)
    {
        snapshot = node.Chain.Committed.State;
        problem = null;
        if (!Address.TryParse(text, out a, out var err)) { problem = Problems.Of("bad-address", 400, "Bad address", err); return false; }
        if (ContractState.CodeHashOf(snapshot, a) is null) { problem = Problems.NotFound($"there is no contract at {a}"); return false; }
        return true;
    }
}
