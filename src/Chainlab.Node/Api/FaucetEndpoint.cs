using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>
/// POST /api/v1/faucet: a devnet's node pays a fixed amount from the devnet's faucet account to the address
/// asked for, rate-limited per address and per client. On every other node (no devnet, no faucet key, or a chain
/// that is not a devnet's) it answers a problem and pays nothing.
/// </summary>
public static class FaucetEndpoint
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapPost("/faucet", async (HttpRequest req) =>
        {
            if (node.Devnet?.Faucet is not { } faucet)
                return Problems.Of("not-a-devnet", 404, "No faucet", "only the nodes of a devnet (chainlab devnet up) have a faucet; on any other chain, coins come from someone who has them");
            var spec = node.Chain.Spec;
            if (spec.ChainId != Faults.Faucet.DevnetChainId)
                return Problems.Of("not-a-devnet", 403, "No faucet on this chain", $"chain '{Problems.Clip(spec.ChainId)}' is not a devnet's ({Faults.Faucet.DevnetChainId}): its faucet stays shut");
            var (body, problem) = await RequestBody.ReadAsync<FaucetRequest>(req, 4096);
            if (problem is not null) return problem;
            if (body!.Address is null) return Problems.Malformed("'address' (the account to pay) is required");
            if (!Address.TryParse(body.Address, out var to, out var error))
                return Problems.Of("bad-address", 400, "Bad address", "address: " + error);
            var client = req.HttpContext.Connection.RemoteIpAddress;
            var (ok, refusal, retryAfter) = faucet.TryTake(to, client);
            if (!ok)
            {
                req.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                return Problems.Of("faucet-refused", 429, "Faucet refused", refusal!);
            }
            var amount = faucet.Limits.Amount;
            var from = faucet.Key.Address;
            lock (faucet.SendGate)
            {
                var balance = node.Chain.Committed.State.Get(from).Balance;
                if (balance < amount + spec.MinFee)
                {
                    faucet.GiveBack(to, client);
                    return Problems.Of("faucet-empty", 503, "Faucet empty",
                        $"the faucet account {from} holds {balance}, less than a drip of {amount} and its fee of {spec.MinFee}");
                }
                var tx = Transaction.Create(faucet.Key, spec.ChainId, TxKind.Transfer, node.Pool.NextNonce(from), spec.MinFee, to, amount);
                var result = node.Pool.Admit([tx.Raw])[0];
                if (!result.Accepted)
                {
                    faucet.GiveBack(to, client);
                    return Problems.Rejected(result.Result);
                }
                return Results.Accepted($"/api/v1/transactions/{tx.Hash}", new FaucetDripDto(tx.Hash.ToString(), to.ToString(), amount, from.ToString()));
            }
        }).WithJsonBody<FaucetRequest>().Produces<FaucetDripDto>(202).WithProblems(400, 403, 404, 413, 415, 422, 429, 503)
          .WithName("DevnetFaucet")
          .WithSummary("Devnets only: {\"address\"}: pays a fixed amount from the devnet's faucet account to it (once a minute per address, ten times an hour per client); 404 on a node outside a devnet, 403 on a chain that is not a devnet's, 429 when refused, 503 when empty.");
    }
}
