using Prometheus;
using System.Net;
using Chainlab.Node.Api;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network;
using Chainlab.Node.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Hosting;

/// <summary>
/// A node process's host: a <see cref="NodeCore"/> plus Kestrel serving the REST API, the event stream
/// and the OpenAPI document. The API gets narrow views of the core (chain reader, block import, admission,
/// peer directory, client events), never the core itself.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly SubmissionBudget _budget;

    private readonly NodeMetrics _metrics;

    private NodeHost(NodeCore core, WebApplication app, EventHub clientEvents, Uri apiUrl, SubmissionBudget budget, NodeMetrics metrics)
    {
        Core = core; _app = app; ClientEvents = clientEvents; ApiUrl = apiUrl; _budget = budget; _metrics = metrics;
    }

    public NodeCore Core { get; }
    public Uri ApiUrl { get; }
    /// <summary>Events for clients (SSE): a lossy fan-out fed by the core's events.</summary>
    public EventHub ClientEvents { get; }

    public NodeOptions Options => Core.Options;
    public Blockchain Chain => Core.Chain;
    public ChainLoop Loop => Core.Loop;
    public TransactionPool Pool => Core.Pool;
    public IChainStore Store => Core.Store;
    public PeerNetwork? Network => Core.Network;

    /// <summary>Starts the core, then the API (the last start-up step).</summary>
    public static async Task<NodeHost> StartAsync(NodeOptions options, CancellationToken ct = default)
    {
        if (options.Devnet is not null && !IPAddress.IsLoopback(IPAddress.Parse(options.ListenAddress)))
            throw new NodeStartException($"the devnet control route listens on loopback only, and the API is asked to listen on {options.ListenAddress}");
        var logging = NodeCore.CreateLogging(options.LogLevel, options.JsonLogs, options.ColorLogs);
        var core = NodeCore.Start(options, logging);
        var log = logging.CreateLogger("Chainlab.Node");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        EventHub? clientEvents = null;
        SubmissionBudget? budget = null;
        WebApplication? app = null;
        NodeMetrics? metrics = null;
        try
        {
            clientEvents = new EventHub(core.Events);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(logging);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
                // Bounded: 20,000 idle keep-alive connections once exhausted the process.
                k.Limits.MaxConcurrentConnections = options.MaxApiConnections;
                k.Limits.MaxConcurrentUpgradedConnections = options.MaxApiConnections;
                k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
                k.Listen(IPAddress.Parse(options.ListenAddress), options.ApiPort);
            });
            ApiSetup.AddServices(builder.Services);
            app = builder.Build();
            budget = new SubmissionBudget(options.BatchTransactionsPerSecond);
            ApiSetup.Map(app, new ApiContext(core.Chain, core.Chain, core.Pool, core.Network, clientEvents,
                options.ProducerKey?.Address.ToString(),
                new ApiSettings(options.EventKeepAlive, ApiGuards.AllowedHosts(options.ListenAddress), TimeProvider.System, options.MaxEventStreams,
                    budget, options.ApiPort), core.Files, core.Misbehaviours.Select(m => m.Name).ToList(), options.Devnet, core.FinalityArchive));
            metrics = new NodeMetrics(core);
            app.MapMetrics("/metrics", metrics.Registry);
            try { await app.StartAsync(ct); }
            catch (IOException e) { throw new NodeStartException($"cannot listen on {options.ListenAddress}:{options.ApiPort}: {e.Message}", e); }
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var url = new Uri(address.Replace("[::]", "127.0.0.1"));
            log.LogInformation("Start-up: API in {Ms:0.0} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var head = core.Chain.Head;
            log.LogInformation("Node up: chain {Chain}, head {Height} {Hash}, API {Url}", core.Chain.Spec.ChainId, head.Height, head.Hash.Short, url);
            return new NodeHost(core, app, clientEvents, url, budget, metrics);
        }
        catch (Exception e)
        {
            log.LogError("Start-up step 'API' failed: {Message}", e.Message);
            if (app is not null) await app.DisposeAsync();
            clientEvents?.Dispose();
            budget?.Dispose();
            metrics?.Dispose();
            await core.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        ClientEvents.Dispose();
        _budget.Dispose();
        _metrics.Dispose();
        await Core.DisposeAsync();
    }
}
