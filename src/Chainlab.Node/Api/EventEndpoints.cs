using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>The server-sent event stream.</summary>
public static class EventEndpoints
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        // Two parameters keep this a described endpoint (a lone HttpContext lambda is a raw RequestDelegate, left out of OpenAPI).
        api.MapGet("/events", (HttpContext ctx, CancellationToken ct) => EventEndpoints.Stream(node, ctx))
            .Produces(200, contentType: "text/event-stream").WithProblems(503).WithName("Events")
            .WithSummary("Server-sent events: 'head' for each new block, 'transactions' for each accepted batch.");
    }

    /// <summary>
    /// Streams client events. Keep-alive comments go out when nothing happened for a while; the read that
    /// was waiting stays the same across them (a new read per keep-alive used to leave the old one behind,
    /// and that abandoned read swallowed the next real event).
    /// </summary>
    public static async Task Stream(ApiContext node, HttpContext ctx)
    {
        using var sub = node.Events.TrySubscribe(node.Settings.MaxEventStreams);
        if (sub is null)
        {
            await Problems.Of("unavailable", 503, "Too many event streams",
                $"this node serves at most {node.Settings.MaxEventStreams} event streams at once; try again later").ExecuteAsync(ctx);
            return;
        }
        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var ct = ctx.RequestAborted;
        try
        {
            await ctx.Response.WriteAsync(": connected\n\n", ct);
            await ctx.Response.Body.FlushAsync(ct);
            Task<Events.ChainEvent>? pending = null;
            while (true)
            {
                pending ??= sub.Reader.ReadAsync(ct).AsTask();
                var done = await Task.WhenAny(pending, Task.Delay(node.Settings.KeepAlive, node.Settings.Time, ct));
                if (done != pending)
                {
                    ct.ThrowIfCancellationRequested();
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    continue;
                }
                var e = await pending;
                pending = null;
                await ctx.Response.WriteAsync($"event: {e.Type}\ndata: {JsonSerializer.Serialize(e.Data, RequestBody.Options)}\n\n", ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (System.Threading.Channels.ChannelClosedException) { }
        catch (IOException) { }
    }
}
