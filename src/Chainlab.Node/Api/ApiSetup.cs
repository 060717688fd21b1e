using Chainlab.Node.Hosting;
using System.Text.Json;
using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Mempool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>REST API v1: routes, OpenAPI and the event stream.</summary>
public static class ApiSetup
{
    public const int MaxSingleTxBody = 256 * 1024;
    public const int MaxBatchBody = 32 * 1024 * 1024;
    public const int MaxBatchCount = 20_000;
    public const int MaxPage = 100;

    public static void AddServices(IServiceCollection services)
    {
        ApiGuards.AddProblemTypes(services);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, ctx, ct) =>
        {
            // Contract values are any JSON; the generator writes a nullable one as oneOf [null, {}], which null matches twice.
            foreach (var schema in doc.Components?.Schemas?.Values ?? [])
                if (schema.Properties is { } props)
                    foreach (var key in props.Keys.ToList())
                        if (props[key].OneOf is { } one && one.Any(s => s is Microsoft.OpenApi.OpenApiSchemaReference r && r.Reference.Id == "JsonNode"))
                            props[key] = new Microsoft.OpenApi.OpenApiSchema { Description = "any JSON value: a contract value (docs/contracts.md), or null" };
            doc.Info.Title = "Chainlab node API";
            doc.Info.Description = "REST API of a Chainlab node. Errors are RFC 9457 problem details whose type names the cause (docs/api.md).";
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            // As RequestBody reads them: u64 fields may come as decimal strings (JavaScript loses precision above 2^53).
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString;
        });
    }

    public static void Map(WebApplication app, ApiContext node)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        ApiGuards.Use(app, node.Settings.AllowedHosts, app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Chainlab.Api"));
        if (node.Devnet is { } siblings) DevnetEndpoints.UseSiblingReads(app, siblings);
        DashboardEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        // A browsable reference of the same document; Scalar's script is served from the package, not a CDN.
        Scalar.AspNetCore.ScalarEndpointRouteBuilderExtensions.MapScalarApiReference(app, "/api/docs", o =>
        {
            o.Title = "Chainlab node API";
            o.OpenApiRoutePattern = "/openapi/{documentName}.json";
        });
        var api = app.MapGroup("/api/v1");
        if (node.Devnet is { } devnet) DevnetEndpoints.Map(api, devnet, node.Settings.ApiPort);

        SupplyEndpoint.Map(api, node);
        FinalityEndpoint.Map(api, node);
        FaucetEndpoint.Map(api, node);
        SearchEndpoint.Map(api, node);
        StatusEndpoints.Map(api, node);
        BlockEndpoints.Map(api, node);
        TransactionEndpoints.Map(api, node);
        AccountEndpoints.Map(api, node);
        EventEndpoints.Map(api, node);

        ContractEndpoints.Map(api, node);
        FileEndpoints.Map(api, node);
        Gateway.Map(app, node);

        api.MapFallback(() => Problems.NotFound("no such API route"));
    }
}
