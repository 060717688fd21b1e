using System.Text.Json;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Node.Mempool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>Blocks: one by height or hash, a page, raw bytes, and POST of a block to import.</summary>
internal static class BlockEndpoints
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/blocks/{id}", (string id, string? transactions) => GetBlock(node, id, transactions))
            .WithOneOfResponse(200, typeof(BlockDto), typeof(BlockFullDto)).WithProblems(400, 404).WithName("GetBlock").WithSummary("A block by height or hash; ?transactions=full includes every transaction.");

        api.MapGet("/blocks/{height}/raw", (string height) =>
        {
            if (!ulong.TryParse(height, System.Globalization.NumberStyles.None, null, out var h)) return Problems.Malformed($"'{Problems.Clip(height)}' is not a height");
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
            var n = Math.Clamp(limit ?? 20, 1, ApiSetup.MaxPage);
            ulong start = 0;
            if (from is not null && !ulong.TryParse(from, System.Globalization.NumberStyles.None, null, out start))
                return Problems.Malformed($"'from' must be a height (0 to {ulong.MaxValue}), not '{Problems.Clip(from)}'");
            // Heights beyond the head (up to 2^64 - 1) are simply not there: an empty page, never a wrap-around.
            var headers = start > node.Chain.Head.Height ? [] : node.Chain.Blocks.Headers(start, n);
            var next = headers.Count == n ? headers[^1].Height + 1 : (ulong?)null;
            return Results.Ok(new BlockPageDto(headers.Select(HeaderDto.From).ToList(), next));
        }).Produces<BlockPageDto>().WithProblems(400).WithName("ListBlocks").WithSummary("Headers from height 'from' onwards, at most 100 per page.");

    }

    private static IResult GetBlock(ApiContext node, string id, string? transactions)
    {
        Block? block;
        if (ulong.TryParse(id, System.Globalization.NumberStyles.None, null, out var height)) block = node.Chain.Blocks.BlockByHeight(height);
        else if (Hash.TryParse(id, out var hash)) block = node.Chain.Blocks.BlockByHash(hash);
        else return Problems.Malformed($"'{Problems.Clip(id)}' is neither a height nor a 64-hex-digit block hash");
        if (block is null) return Problems.NotFound($"no block {Problems.Clip(id)}");
        var header = HeaderDto.From(block.Header);
        var refs = block.FileRefs.Select(f => FileRefDto.Of(Core.Files.FileRef.Decode(f))).ToList();
        if (transactions == "full")
            return Results.Ok(new BlockFullDto(header, block.Transactions.Select(TxDto.Of).ToList(), refs));
        return Results.Ok(new BlockDto(header, block.Transactions.Select(t => t.Hash.ToString()).ToList(), refs));
    }
}
