using System.Text.Json;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>GET /accounts/{address}: balance, nonce, stake and an optional state proof.</summary>
internal static class AccountEndpoints
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/accounts/{address}", async (string address, bool? proof) =>
        {
            if (!Address.TryParse(address, out var a, out var err)) return Problems.Of("bad-address", 400, "Bad address", err);
            if (proof != true)
            {
                var acc = node.Chain.Committed.State.Get(a);
                return Results.Ok(new AccountDto(a.ToString(), acc.Balance, acc.Nonce, acc.Stake, node.Pool.NextNonce(a), null, Convert.ToHexStringLower(acc.Data ?? [])));
            }
            // The trie is owned by the chain loop; prove there so the proof matches one head.
            var (account, p, head) = await node.Chain.ProveAccountAsync(a);
            var dto = new StateProofDto(head.StateRoot.ToString(), head.Height, StateTree.KeyOf(a).ToString(),
                p.Siblings.Select(s => s.ToString()).ToList(), p.LeafKey?.ToString(), p.LeafValue?.ToString());
            return Results.Ok(new AccountDto(a.ToString(), account.Balance, account.Nonce, account.Stake, node.Pool.NextNonce(a), dto, Convert.ToHexStringLower(account.Data ?? [])));
        }).Produces<AccountDto>().WithProblems(400).WithName("GetAccount").WithSummary("Balance, nonce, stake and data (hex); ?proof=true adds a state proof against the head's state root.");

    }
}
