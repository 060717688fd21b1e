using Chainlab.Core.State;
using Chainlab.Core.Rules;
using Chainlab.Core.Consensus.Pos;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>GET /api/v1/supply: the coins at the committed head against what genesis and block rewards made.</summary>
public static class SupplyEndpoint
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/supply", () => Supply(node)).Produces<SupplyDto>().WithName("GetSupply")
            .WithSummary("Coins at the committed head (balances, stakes and stake being unbonded) beside what genesis made, block rewards added and slashing or the fee policy burnt; conserved is total = genesis + minted − burned. The adversary lab checks it on every honest node.");
    }

    private static IResult Supply(ApiContext node)
    {
        var c = node.Chain.Committed;
        UInt128 balances = 0, staked = 0, unbonding = 0, genesis = 0;
        var accounts = 0;
        foreach (var (address, a) in c.State.All)
        {
            if (address == SystemAccounts.Burned) continue;
            balances += a.Balance; staked += a.Stake; accounts++;
        }
        // Coins being unbonded have left their account's stake and reach its balance at release: they are in the stake record meanwhile.
        if (c.State.Get(SystemAccounts.Validators).Data is { Length: > 0 })
            foreach (var v in StakeRecord.Read(c.State).Validators)
                foreach (var (amount, _) in v.Unbonding) unbonding += amount;
        foreach (var (_, a) in node.Chain.Spec.GenesisState().All) genesis += a.Balance + (UInt128)a.Stake;
        var minted = (UInt128)node.Chain.Spec.BlockReward * c.Header.Height;
        var burned = (UInt128)c.State.Get(SystemAccounts.Burned).Balance;
        var total = balances + staked + unbonding;
        return Results.Ok(new SupplyDto(c.Header.Height, c.Header.Hash.ToString(), accounts, balances.ToString(), staked.ToString(), unbonding.ToString(),
            total.ToString(), genesis.ToString(), minted.ToString(), burned.ToString(), total == genesis + minted - burned));
    }
}
