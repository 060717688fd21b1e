using Chainlab.Node.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>The dashboard's page at `/` and its files at `/ui/…`, with its content security policy (docs/dashboard.md).</summary>
public static class DashboardEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapMethods("/", ["GET", "HEAD"], (HttpContext ctx) => Serve(ctx, "index.html")).ExcludeFromDescription();
        app.MapMethods("/ui/{*path}", ["GET", "HEAD"], (HttpContext ctx, string path) => Serve(ctx, path)).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext ctx, string path)
    {
        if (!DashboardFiles.TryGet(path, out var f)) return Problems.NotFound($"the dashboard has no file '{(path.Length > 64 ? path[..64] + "…" : path)}'");
        var h = ctx.Response.Headers;
        h.ContentSecurityPolicy = DashboardFiles.Policy;
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h.CacheControl = "no-cache";
        h.ETag = f.ETag;
        if (ctx.Request.Headers.IfNoneMatch.ToString() == f.ETag) return Results.StatusCode(304);
        return Results.Bytes(f.Bytes, f.Type);
    }
}
