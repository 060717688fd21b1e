using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>GET /api/v1/supply: the coins at the committed head against what genesis and block rewards made.</summary>
public static class SupplyEndpoint
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/supply", () => Supply(node)).Produces<SupplyDto>().WithName("GetSupply")
            .WithSummary("Coins at the committed head (balances and stakes of every account) beside what genesis made and block rewards added: the adversary lab checks that nothing appears from nowhere.");
    }

    private static IResult Supply(ApiContext node)
    {
        var c = node.Chain.Committed;
        UInt128 balances = 0, staked = 0, genesis = 0;
        var accounts = 0;
        foreach (var (_, a) in c.State.All) { balances += a.Balance; staked += a.Stake; accounts++; }
        foreach (var (_, a) in node.Chain.Spec.GenesisState().All) genesis += a.Balance + (UInt128)a.Stake;
        var minted = (UInt128)node.Chain.Spec.BlockReward * c.Header.Height;
        return Results.Ok(new SupplyDto(c.Header.Height, c.Header.Hash.ToString(), accounts, balances.ToString(), staked.ToString(),
            (balances + staked).ToString(), genesis.ToString(), minted.ToString()));
    }
}
