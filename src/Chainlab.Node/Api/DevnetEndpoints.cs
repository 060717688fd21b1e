using Chainlab.Node.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>
/// The devnet control route: the supervisor of a devnet (`devnet fault`, `scenario run`) sets this node's
/// faults through it. Mapped only on nodes started with a devnet token, whose API listens on loopback; every
/// request carries the token as a bearer token.
/// </summary>
public static class DevnetEndpoints
{
    public static void Map(RouteGroupBuilder api, DevnetControl control)
    {
        var devnet = api.MapGroup("/devnet").AddEndpointFilter(async (ctx, next) =>
            DevnetControl.Authorised(ctx.HttpContext.Request.Headers.Authorization.ToString(), control.Token) ? await next(ctx)
                : Problems.Of("unauthorised", 401, "Unauthorised", "the devnet control route needs the devnet's token (keys/control-token) as a bearer token"));

        devnet.MapGet("/faults", () => Results.Ok(control.Current)).Produces<FaultSettings>().WithProblems(401)
            .WithName("GetDevnetFaults").WithSummary("Devnets only: the faults set on this node's links and clock.");

        devnet.MapPut("/faults", async (HttpRequest req) =>
        {
            var (settings, problem) = await RequestBody.ReadAsync<FaultSettings>(req, 64 * 1024);
            if (problem is not null) return problem;
            try { control.Apply(settings!); }
            catch (ArgumentException e) { return Problems.Malformed(e.Message); }
            return Results.Ok(control.Current);
        }).Accepts<FaultSettings>("application/json").Produces<FaultSettings>().WithProblems(400, 401, 413)
            .WithName("SetDevnetFaults").WithSummary("Devnets only: sets every fault of this node at once (cut links, latency, jitter, loss, clock skew); an empty object heals.");
    }
}
