using Chainlab.Node.Faults;
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
    private static readonly HttpClient Supervisor = new() { Timeout = TimeSpan.FromSeconds(90) };

    /// <summary>
    /// Lets the devnet's own dashboards read each other's API: a GET from the origin of another node of the same
    /// devnet gets Access-Control-Allow-Origin for that origin, nothing else does (no preflights, no writes).
    /// </summary>
    public static void UseSiblingReads(WebApplication app, DevnetControl control)
    {
        var origins = control.Origins.ToHashSet(StringComparer.OrdinalIgnoreCase);
        app.Use(async (ctx, next) =>
        {
            var origin = ctx.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && (HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method)) && origins.Contains(origin))
            {
                ctx.Response.Headers.AccessControlAllowOrigin = origin;
                ctx.Response.Headers.Vary = "Origin";
            }
            await next(ctx);
        });
    }

    public static void Map(RouteGroupBuilder api, DevnetControl control, int? ownPort)
    {
        // Public (no token): what the dashboard needs to draw the devnet and offer the adversary lab.
        api.MapGet("/devnet", () => Results.Ok(new DevnetInfoDto(
            control.Members.FirstOrDefault(m => ownPort is { } p && new Uri(m.Api).Port == p)?.Name,
            control.Members, control.ControlUrl is not null,
            Adversary.Misbehaviours.Names.Select(n => Adversary.Misbehaviours.Parse([n])[0]).Select(m => new MisbehaviourDto(m.Name, m.What, m.Engines)).ToList())))
            .Produces<DevnetInfoDto>().WithName("GetDevnet")
            .WithSummary("Devnets only: every node of the devnet (name, API address), whether its supervisor takes faults through this node, and the misbehaviours a node can be given.");

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

        // The dashboard's adversary page is served by a node, so the supervisor's control route (another port,
        // another process) is reached through the node: the same token, the command passed on unchanged.
        devnet.MapPost("/control", (HttpRequest req, CancellationToken ct) => Forward(control, HttpMethod.Post, "/faults", req, ct))
          .Accepts<object>("application/json").WithProblems(400, 401, 404, 413, 415, 503)
          .WithName("DevnetControl").WithSummary("Devnets only: passes one fault command (kill, restart, pause, resume, partition, heal, latency, skew, misbehave) to the devnet's supervisor.");

        devnet.MapGet("/scenarios", (HttpRequest req, CancellationToken ct) => Forward(control, HttpMethod.Get, "/scenarios", req, ct))
          .WithProblems(401, 404, 503).WithName("DevnetScenarios").WithSummary("Devnets only: the scenario library beside the devnet and its last run (output lines, report).");
        devnet.MapPost("/scenarios", (HttpRequest req, CancellationToken ct) => Forward(control, HttpMethod.Post, "/scenarios", req, ct))
          .Accepts<object>("application/json").WithProblems(400, 401, 404, 409, 413, 415, 503)
          .WithName("RunDevnetScenario").WithSummary("Devnets only: {\"name\"}: runs one scenario of the library on its own devnet beside this one, one at a time.");
        devnet.MapGet("/lab", (HttpRequest req, CancellationToken ct) => Forward(control, HttpMethod.Get, "/lab", req, ct))
          .WithProblems(401, 404, 503).WithName("DevnetLab").WithSummary("Devnets only: the lessons and challenges beside the devnet (steps, checks, goals, hints; never a solution) and the last run (output lines).");
        devnet.MapPost("/lab", (HttpRequest req, CancellationToken ct) => Forward(control, HttpMethod.Post, "/lab", req, ct))
          .Accepts<object>("application/json").WithProblems(400, 401, 404, 409, 413, 415, 503)
          .WithName("DevnetLabAction").WithSummary("Devnets only: {\"action\": \"run|play|stop|check|solution\", \"name\"}: runs a lesson or plays a challenge on its own devnet beside this one (one at a time), stops it, checks the challenge's goal, or shows its solution.");
    }

    /// <summary>Passes a request on to the supervisor's control route with the devnet's token; its answer comes back as it is.</summary>
    private static async Task<IResult> Forward(DevnetControl control, HttpMethod method, string path, HttpRequest req, CancellationToken ct)
    {
        if (control.ControlUrl is not { } url) return Problems.NotFound("this node was not told its devnet supervisor's control address");
        using var forward = new HttpRequestMessage(method, url.TrimEnd('/') + path);
        if (method == HttpMethod.Post)
        {
            if (req.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
                return Problems.Of("unsupported-media-type", 415, "Unsupported media type", "send the command as application/json");
            var (body, tooLarge) = await RequestBody.ReadBytes(req, 64 * 1024);
            if (tooLarge) return Problems.Of("too-large", 413, "Too large", "a devnet command is at most 64 KiB");
            forward.Content = new ByteArrayContent(body);
            forward.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        forward.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", control.Token);
        try
        {
            using var res = await Supervisor.SendAsync(forward, ct);
            var text = await res.Content.ReadAsStringAsync(ct);
            return Results.Content(text, res.IsSuccessStatusCode ? "application/json" : "application/problem+json", statusCode: (int)res.StatusCode);
        }
        catch (HttpRequestException e) { return Problems.Of("unavailable", 503, "Supervisor unreachable", $"the devnet's control route does not answer: {e.Message}"); }
    }
}
