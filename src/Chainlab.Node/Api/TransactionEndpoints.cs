using System.Text.Json;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>Transactions: status by hash, submission (one, raw or field by field, and batches), and the mempool.</summary>
internal static class TransactionEndpoints
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/transactions/{hash}", (string hash) => GetTransaction(node, hash)).Produces<TxStatusDto>().WithProblems(400, 404).WithName("GetTransaction")
            .WithSummary("A transaction: pending, included (block, receipt, Merkle proof) or rejected (reason).");

        api.MapPost("/transactions", async (HttpRequest req) =>
        {
            var (body, problem) = await RequestBody.ReadAsync<SubmitTxRequest>(req, ApiSetup.MaxSingleTxBody);
            if (problem is not null) return problem;
            var (assembled, raw, assembleProblem) = Assemble(body!);
            if (!assembled) return assembleProblem;
            var result = node.Pool.Admit([raw])[0];
            return result.Accepted
                ? Results.Accepted($"/api/v1/transactions/{result.Hash}", new SubmitResultDto(0, result.Hash.ToString(), "pending", null, null))
                : Problems.Rejected(result.Result);
        }).WithSubmitBody().Produces<SubmitResultDto>(202).WithProblems(400, 403, 409, 413, 415, 422, 429, 503)
          .WithName("SubmitTransaction").WithSummary("Submit one signed transaction: {\"raw\": hex} or all fields with the signature.");

        api.MapPost("/transactions/batch", async (HttpRequest req) =>
        {
            var (body, problem) = await RequestBody.ReadAsync<SubmitBatchRequest>(req, ApiSetup.MaxBatchBody);
            if (problem is not null) return problem;
            if (body!.Transactions is not { } list) return Problems.Malformed("'transactions' (an array of hex strings) is required");
            if (list.Count > ApiSetup.MaxBatchCount) return Problems.Of("too-large", 413, "Batch too large", $"a batch holds at most {ApiSetup.MaxBatchCount} transactions");
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
            var txs = node.Pool.List(Math.Max(0, offset ?? 0), Math.Clamp(limit ?? 50, 1, ApiSetup.MaxPage));
            return Results.Ok(new MempoolDto(node.Pool.Count, txs.Select(TxDto.Of).ToList()));
        }).Produces<MempoolDto>().WithName("ListMempool").WithSummary("Pending transactions in arrival order (?offset=, ?limit= up to 100).");

    }

    private static IResult GetTransaction(ApiContext node, string id)
    {
        if (!Hash.TryParse(id, out var hash)) return Problems.Malformed($"'{Problems.Clip(id)}' is not a 64-hex-digit transaction hash");
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
                Dtos.Receipt(loc.Receipt),
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

    /// <summary>The raw transaction a submission names (its hex, or its fields), or the problem that says what is wrong with it.</summary>
    private static (bool Ok, byte[] Raw, IResult Problem) Assemble(SubmitTxRequest r)
    {
        static (bool, byte[], IResult) Malformed(string why) => (false, [], Problems.Malformed(why));
        var fieldsGiven = r.Kind is not null || r.ChainId is not null || r.SenderKey is not null || r.Signature is not null
            || r.Nonce is not null || r.Fee is not null || r.To is not null || r.Amount is not null || r.Payload is not null;
        string error;
        if (r.Raw is not null)
        {
            if (fieldsGiven) return Malformed("send either 'raw' or the transaction fields, not both");
            var digits = r.Raw.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? r.Raw.Length - 2 : r.Raw.Length;
            if (digits > 2 * Limits.MaxTransactionBytes)
                return (false, [], Problems.Of("too-large", 413, "Too large", $"transaction exceeds {Limits.MaxTransactionBytes} bytes"));
            return TryHex(r.Raw, out var bytes, out error) ? (true, bytes, Results.Empty) : Malformed(error);
        }
        if (r.Kind is null || r.ChainId is null || r.SenderKey is null || r.Signature is null || r.Nonce is null || r.Fee is null || r.Amount is null)
            return Malformed("required: 'raw', or all of kind, chainId, senderKey, nonce, fee, amount, signature (and 'to' for transfers)");
        // One name only: Enum.TryParse would OR a comma-separated list of names together.
        if (r.Kind.Contains(',') || !Enum.TryParse<TxKind>(r.Kind, true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(r.Kind, out _))
            return Malformed($"unknown kind '{Problems.Clip(r.Kind)}'");
        var to = Address.Zero;
        if (r.To is not null && !Address.TryParse(r.To, out to, out var addrErr))
            return (false, [], Problems.Of("bad-address", 400, "Bad address", "to: " + addrErr));
        if (!TryHex(r.SenderKey, out var key, out error)) return Malformed("senderKey: " + error);
        if (!TryHex(r.Signature, out var sig, out error)) return Malformed("signature: " + error);
        var payload = Array.Empty<byte>();
        if (!string.IsNullOrEmpty(r.Payload) && !TryHex(r.Payload, out payload, out error)) return Malformed("payload: " + error);
        try
        {
            return (true, Transaction.Assemble(kind, r.ChainId, key, r.Nonce.Value, r.Fee.Value, to, r.Amount.Value, payload, sig).Raw, Results.Empty);
        }
        catch (DecodeException e) { return Malformed(e.Message); }
    }
}
