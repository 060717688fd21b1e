using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Api;

/// <summary>
/// What guards every request before a route sees it: the Host check against DNS rebinding, problem types
/// of our own for the framework's errors, and one short log line (never a stack trace) for bodies that are
/// malformed or stop arriving.
/// </summary>
public static class ApiGuards
{
    /// <summary>Framework errors (bad query values, unknown routes, wrong methods) get urn:chainlab:problem types too.</summary>
    public static void AddProblemTypes(IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            if (c.ProblemDetails.Type?.StartsWith(Problems.TypePrefix, StringComparison.Ordinal) == true) return;
            var status = c.ProblemDetails.Status ?? c.HttpContext.Response.StatusCode;
            c.ProblemDetails.Type = Problems.TypePrefix + status switch
            {
                400 => "malformed",
                404 => "not-found",
                405 => "method-not-allowed",
                408 => "request-timeout",
                413 => "too-large",
                415 => "unsupported-media-type",
                421 => "bad-host",
                429 => "rate-limited",
                503 => "unavailable",
                _ => status >= 500 ? "internal" : "bad-request",
            };
            c.ProblemDetails.Detail ??= c.ProblemDetails.Title ?? "the request was refused";
        });

    /// <summary>
    /// Hosts a browser may address this node by. A node on a loopback address answers only to loopback
    /// names, so a web page that re-points its own name at 127.0.0.1 (DNS rebinding) is refused.
    /// </summary>
    public static IReadOnlyList<string>? AllowedHosts(string listenAddress) =>
        IPAddress.TryParse(listenAddress, out var ip) && IPAddress.IsLoopback(ip) ? ["localhost", "127.0.0.1", "[::1]", "::1"] : null;

    public static void Use(WebApplication app, IReadOnlyList<string>? allowedHosts, ILogger log)
    {
        app.Use(async (ctx, next) =>
        {
            if (allowedHosts is not null && !allowedHosts.Contains(ctx.Request.Host.Host, StringComparer.OrdinalIgnoreCase))
            {
                await Problems.Of("bad-host", 421, "Misdirected request",
                    $"this node answers to {string.Join(", ", allowedHosts.Take(2))}, not '{Trim(ctx.Request.Host.Host)}'").ExecuteAsync(ctx);
                return;
            }
            try { await next(ctx); }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                // A malformed chunked body, or one that stopped arriving: the client's fault, not an error of ours.
                log.LogInformation("Bad request body from {Remote}: {Message}", ctx.Connection.RemoteIpAddress, e.Message);
                await Problems.Of(e.StatusCode == 413 ? "too-large" : e.StatusCode == 408 ? "request-timeout" : "malformed-body",
                    e.StatusCode is 413 or 408 ? e.StatusCode : 400, "Bad request body", e.Message).ExecuteAsync(ctx);
            }
        });
    }

    private static string Trim(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
