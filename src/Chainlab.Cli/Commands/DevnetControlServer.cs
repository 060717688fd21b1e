using Chainlab.Cli.Devnets;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chainlab.Cli.Commands;

/// <summary>
/// The devnet's control route, served by `devnet up` on a free loopback port while the devnet runs: POST
/// /faults with a <see cref="FaultCommand"/> and the devnet's token (keys/control-token) as a bearer token.
/// Its address is in control.json in the devnet folder, which `devnet fault` reads.
/// </summary>
public sealed class DevnetControlServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _file;

    private readonly DevnetScenarios _scenarios;
    private readonly DevnetLab _lab;

    private DevnetControlServer(WebApplication app, string file, string url, DevnetScenarios scenarios, DevnetLab lab) { _app = app; _file = file; Url = url; _scenarios = scenarios; _lab = lab; }

    /// <summary>Where the route listens (http://127.0.0.1:PORT).</summary>
    public string Url { get; }

    public static string AddressFile(string root) => Path.Combine(root, "control.json");

    public static async Task<DevnetControlServer> StartAsync(string root, string token, DevnetFaults faults, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var scenarios = new DevnetScenarios(root);
        var lab = new DevnetLab(root);
        app.Use(async (ctx, next) =>
        {
            if (Chainlab.Node.Faults.DevnetControl.Authorised(ctx.Request.Headers.Authorization.ToString(), token)) await next(ctx);
            else await Results.Problem(statusCode: 401, title: "Unauthorised", detail: "the devnet control route needs the token in keys/control-token").ExecuteAsync(ctx);
        });
        // Scenario runs beside the devnet (the dashboard's adversary page): the library and the last run; one run at a time.
        app.MapGet("/scenarios", () => Results.Ok(scenarios.State()));
        app.MapPost("/scenarios", async (HttpRequest req, CancellationToken rct) =>
        {
            if (req.ContentLength is not (> 0 and <= 4096)) return Results.Problem(statusCode: 400, title: "Malformed", detail: "send {\"name\": \"SCENARIO\"} (at most 4 KiB, with its length)");
            JsonNode? body;
            try { body = await JsonNode.ParseAsync(req.Body, cancellationToken: rct); }
            catch (JsonException e) { return Results.Problem(statusCode: 400, title: "Malformed", detail: e.Message); }
            if (body?["name"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return Results.Problem(statusCode: 400, title: "Malformed", detail: "send {\"name\": \"SCENARIO\"}");
            try { return Results.Ok(new { applied = scenarios.Start(v.GetValue<string>()) }); }
            catch (CliException e) { return Results.Problem(statusCode: e.ExitCode == ExitCodes.NotFound ? 404 : 409, title: "Scenario not started", detail: e.Message); }
        });
        // Lessons and challenges beside the devnet (the dashboard's Learn page): the libraries and the last run.
        app.MapGet("/lab", () => Results.Ok(lab.State()));
        app.MapPost("/lab", async (HttpRequest req, CancellationToken rct) =>
        {
            const string how = "send {\"action\": \"run|play|stop|check|solution\", \"name\": \"NAME\"} (at most 4 KiB, with its length)";
            if (req.ContentLength is not (> 0 and <= 4096)) return Results.Problem(statusCode: 400, title: "Malformed", detail: how);
            JsonNode? body;
            try { body = await JsonNode.ParseAsync(req.Body, cancellationToken: rct); }
            catch (JsonException e) { return Results.Problem(statusCode: 400, title: "Malformed", detail: e.Message); }
            if (body is not JsonObject o || o["action"] is not JsonValue a || a.GetValueKind() != JsonValueKind.String
                || (o["name"] is { } n && (n is not JsonValue nv || nv.GetValueKind() != JsonValueKind.String)))
                return Results.Problem(statusCode: 400, title: "Malformed", detail: how);
            try { return Results.Ok(await lab.ActAsync(a.GetValue<string>(), o["name"]?.GetValue<string>() ?? "", rct)); }
            catch (CliException e) { return Results.Problem(statusCode: e.ExitCode == ExitCodes.NotFound ? 404 : e.ExitCode == ExitCodes.Unreachable ? 503 : 409, title: "Not done", detail: e.Message); }
        });
        app.MapPost("/faults", async (HttpRequest req, CancellationToken rct) =>
        {
            if (req.ContentLength is > 64 * 1024) return Results.Problem(statusCode: 413, title: "Too large", detail: "a fault command is at most 64 KiB");
            FaultCommand? command;
            try { command = await JsonSerializer.DeserializeAsync<FaultCommand>(req.Body, Json, rct); }
            catch (JsonException e) { return Results.Problem(statusCode: 400, title: "Malformed fault", detail: e.Message); }
            if (command is null) return Results.Problem(statusCode: 400, title: "Malformed fault", detail: "send a JSON object");
            try { return Results.Ok(new { applied = await faults.ApplyAsync(command, rct) }); }
            catch (CliException e) { return Results.Problem(statusCode: e.ExitCode == ExitCodes.BadInput ? 400 : 500, title: "Fault not applied", detail: e.Message); }
        });
        await app.StartAsync(ct);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var file = AddressFile(root);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { url }), ct);
        return new DevnetControlServer(app, file, url, scenarios, lab);
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 8,
    };

    /// <summary>Sends a fault to the devnet running in this folder; returns its one-line answer.</summary>
    public static async Task<string> SendAsync(string root, FaultCommand command, CancellationToken ct)
    {
        if (DevnetControl.RunningPid(root) is null || !File.Exists(AddressFile(root)))
            throw new CliException($"no devnet is running in {root}; start it with devnet up", ExitCodes.NotFound);
        var url = JsonDocument.Parse(File.ReadAllText(AddressFile(root))).RootElement.GetProperty("url").GetString()!;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(90) };
        using var req = new HttpRequestMessage(HttpMethod.Post, "/faults") { Content = new StringContent(JsonSerializer.Serialize(command, Json), Encoding.UTF8, "application/json") };
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DevnetSupervisor.EnsureToken(root));
        HttpResponseMessage res;
        try { res = await http.SendAsync(req, ct); }
        catch (HttpRequestException e) { throw new CliException($"the devnet's control route does not answer: {e.Message}", ExitCodes.Unreachable); }
        using (res)
        {
            var body = JsonDocument.Parse(await res.Content.ReadAsStringAsync(ct)).RootElement;
            if (res.IsSuccessStatusCode) return body.GetProperty("applied").GetString()!;
            throw new CliException(body.TryGetProperty("detail", out var d) ? d.GetString()! : res.ReasonPhrase ?? "refused", ExitCodes.BadInput);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _scenarios.Dispose();
        _lab.Dispose();
        File.Delete(_file);
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
