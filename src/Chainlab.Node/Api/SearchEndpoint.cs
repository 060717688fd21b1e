using Chainlab.Core.Crypto;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;


/// <summary>GET /api/v1/search?q=: one answer for any text, 200 even when it names nothing (kind "none").</summary>
public static class SearchEndpoint
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/search", (string? q) =>
        {
            var text = (q ?? "").Trim();
            if (text.Length > 200) return Problems.Malformed("a search text is at most 200 characters");
            return Results.Ok(Find(node, text));
        }).Produces<SearchDto>().WithProblems(400).WithName("Search")
          .WithSummary("What a text names on this node: kind block (a height up to the head, or a block hash), transaction (pending, included or rejected), account (an address), file (a CID) or none; id is what to ask for next.");
    }

    private static SearchDto Find(ApiContext node, string q)
    {
        if (ulong.TryParse(q, System.Globalization.NumberStyles.None, null, out var height))
            return height <= node.Chain.Head.Height ? new(q, "block", height.ToString()) : new(q, "none", null);
        if (Hash.TryParse(q, out var hash))
        {
            if (node.Chain.Blocks.BlockByHash(hash) is not null) return new(q, "block", hash.ToString());
            if (node.Pool.Get(hash) is not null || node.Chain.Blocks.Transaction(hash) is not null || node.Pool.RejectionReason(hash) is not null)
                return new(q, "transaction", hash.ToString());
            return new(q, "none", null);
        }
        if (Address.TryParse(q, out var address, out _)) return new(q, "account", address.ToString());
        if (Chainlab.Core.Files.Cid.TryParse(q, out var cid, out _)) return new(q, "file", cid!.ToString());
        return new(q, "none", null);
    }
}
