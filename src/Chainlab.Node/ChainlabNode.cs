using System.Net;
using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Api;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Production;
using Chainlab.Node.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node;

/// <summary>A running node: store, state, mempool, chain loop, producer and HTTP API. The composition root.</summary>
public sealed class ChainlabNode : IAsyncDisposable
{
    public const string SpecFileName = "chainspec.json";
    public const string DatabaseFileName = "chain.db";
    public static readonly string Version = typeof(ChainlabNode).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly FileStream _lock;
    private readonly IChainStore _store;
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private Task _producer = Task.CompletedTask;
    public Network.PeerNetwork? Network { get; private set; }

    private ChainlabNode(NodeOptions options, FileStream lockFile, IChainStore store, Blockchain chain, ChainLoop loop,
        TransactionPool pool, EventHub events, WebApplication app)
    {
        Options = options; _lock = lockFile; _store = store; Chain = chain; Loop = loop; Pool = pool; Events = events; _app = app;
    }

    public NodeOptions Options { get; }
    public Blockchain Chain { get; }
    public ChainLoop Loop { get; }
    public TransactionPool Pool { get; }
    public EventHub Events { get; }
    public IChainStore Store => _store;
    public Uri ApiUrl { get; private set; } = null!;
    public Hash GenesisHash { get; private set; }

    public static async Task<ChainlabNode> StartAsync(NodeOptions options, CancellationToken ct = default)
    {
        try { Ed25519.PublicKeyFromSeed(new byte[32]); }
        catch (DllNotFoundException e) { throw new NodeStartException(e.Message, e); }

        try { Directory.CreateDirectory(options.DataDir); }
        catch (Exception e) { throw new NodeStartException($"cannot create data folder {options.DataDir}: {e.Message}", e); }
        var lockFile = AcquireLock(options.DataDir);
        IChainStore? store = null;
        try
        {
            var spec = LoadOrSaveSpec(options);
            var genesis = spec.GenesisBlock();
            store = ChainStores.Open(options.DataDir, options.Postgres);
            var world = new WorldState();
            if (store.GenesisHash is null) store.InitGenesis(genesis, spec.GenesisState());
            else if (store.GenesisHash != genesis.Hash)
                throw new NodeStartException($"the database in {options.DataDir} belongs to another chain (genesis {store.GenesisHash.Value.Short}, spec gives {genesis.Hash.Short}); a folder made by an older chainlab (before consensus state was part of genesis) cannot resume: start over (devnet reset, or a new --data folder)");
            foreach (var (addr, acc) in store.LoadAccounts()) world.Put(addr, acc);
            var head = store.Head();
            if (world.Root != head.StateRoot)
                throw new NodeStartException($"stored accounts do not match the state root of head block {head.Height}: the database is damaged");

            var pool = new TransactionPool(spec, world, options.Mempool);
            var events = new EventHub();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
            builder.Logging.SetMinimumLevel(options.LogLevel);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
                k.Listen(IPAddress.Parse(options.ListenAddress), options.ApiPort);
            });
            ApiSetup.AddServices(builder.Services);
            var app = builder.Build();
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chainlab.Chain");
            var engine = ConsensusEngines.For(spec);
            if (engine is Chainlab.Core.Consensus.Pow.PowEngine pow) pow.Threads = Math.Max(1, options.MineThreads);
            var chain = new Blockchain(spec, engine, store, world, head, pool, events, options.Time, log);
            if ((options.EvidenceKey ?? options.ProducerKey) is { } reporter)
                chain.Equivocation += (a, b) =>
                {
                    var tx = Transaction.Create(reporter, spec.ChainId, TxKind.Evidence, pool.NextNonce(reporter.Address), spec.MinFee,
                        Address.Zero, 0, Chainlab.Core.Consensus.Pos.PosEngine.EvidencePayload(a, b));
                    var r = pool.Admit([tx.Raw])[0];
                    if (r.Accepted) log.LogWarning("Submitted equivocation evidence {Hash} against {Producer}", tx.Hash.Short, Convert.ToHexStringLower(a.Producer)[..16]);
                    else log.LogWarning("Could not submit equivocation evidence: {Reason}", r.Result.Detail);
                };
            var loop = new ChainLoop();
            var node = new ChainlabNode(options, lockFile, store, chain, loop, pool, events, app) { GenesisHash = genesis.Hash };
            pool.Accepted += hashes => events.Publish(new ChainEvent("transactions", new
            {
                count = hashes.Count, hashes = hashes.Take(100).Select(h => h.ToString()),
            }));
            ApiSetup.Map(app, node);
            try { await app.StartAsync(ct); }
            catch (IOException e) { throw new NodeStartException($"cannot listen on {options.ListenAddress}:{options.ApiPort}: {e.Message}", e); }
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            node.ApiUrl = new Uri(address.Replace("[::]", "127.0.0.1"));
            if (options.Peers is { } peerOptions)
            {
                var identity = LoadOrCreateNodeKey(options.DataDir);
                node.Network = new Network.PeerNetwork(node, identity, peerOptions with { PeersFile = peerOptions.PeersFile ?? Path.Combine(options.DataDir, "peers.txt") }, options.Time,
                    app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chainlab.Network"));
                try { node.Network.Start(); }
                catch (System.Net.Sockets.SocketException e) { throw new NodeStartException($"cannot listen for peers on {peerOptions.ListenAddress}:{peerOptions.Port}: {e.Message}", e); }
            }
            if (options.ProducerKey is { } key && (spec.Consensus.Engine != "pow" || options.MineThreads > 0))
            {
                var producer = new BlockProducer(chain, loop, key, options.Time, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chainlab.Producer"));
                node._producer = Task.Run(() => producer.RunAsync(node._stop.Token));
            }
            log.LogInformation("Node up: chain {Chain}, head {Height} {Hash}, API {Url}", spec.ChainId, head.Height, head.Hash.Short, node.ApiUrl);
            return node;
        }
        catch (StoreException e)
        {
            store?.Dispose();
            lockFile.Dispose();
            throw new NodeStartException(e.Message, e);
        }
        catch
        {
            store?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    private static FileStream AcquireLock(string dataDir)
    {
        var path = Path.Combine(dataDir, "LOCK");
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (UnauthorizedAccessException) { throw new NodeStartException($"data folder {dataDir} is not writable"); }
        catch (IOException e) when (IsDiskFull(e)) { throw new NodeStartException($"disk full: cannot write in {dataDir}"); }
        catch (IOException e) when (IsReadOnly(e)) { throw new NodeStartException($"data folder {dataDir} is read-only"); }
        catch (IOException) { throw new NodeStartException($"data folder {dataDir} is in use by another node (LOCK is held)"); }
    }

    /// <summary>The node's identity key for peer links (not a funds key), kept in the data folder.</summary>
    private static KeyPair LoadOrCreateNodeKey(string dataDir)
    {
        var path = Path.Combine(dataDir, "node.key");
        if (File.Exists(path))
        {
            try { return new KeyPair(Convert.FromHexString(File.ReadAllText(path).Trim())); }
            catch (Exception e) when (e is FormatException or ArgumentException) { throw new NodeStartException($"{path} is not a 32-byte hex node key"); }
        }
        var key = KeyPair.Generate();
        File.WriteAllText(path, Convert.ToHexStringLower(key.Seed));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    private static bool IsDiskFull(IOException e) => e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
    private static bool IsReadOnly(IOException e) => e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase);

    private static ChainSpec LoadOrSaveSpec(NodeOptions options)
    {
        var path = Path.Combine(options.DataDir, SpecFileName);
        if (File.Exists(path))
        {
            ChainSpec saved;
            try { saved = ChainSpec.FromJson(File.ReadAllText(path)); }
            catch (FormatException e) { throw new NodeStartException($"{path}: {e.Message}"); }
            if (options.Spec is { } given && given.GenesisBlock().Hash != saved.GenesisBlock().Hash)
                throw new NodeStartException($"the chain spec given differs from the one in {path}; use a new data folder or reset it");
            return saved;
        }
        var spec = options.Spec ?? throw new NodeStartException($"no chain spec: {path} does not exist and none was given (--spec)");
        spec.Validate();
        try { File.WriteAllText(path, spec.ToJson()); }
        catch (UnauthorizedAccessException) { throw new NodeStartException($"data folder {options.DataDir} is not writable"); }
        catch (IOException e) when (IsDiskFull(e)) { throw new NodeStartException($"disk full: cannot write {path}"); }
        catch (IOException e) { throw new NodeStartException($"cannot write {path}: {e.Message}"); }
        return spec;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _producer;
        if (Network is not null) await Network.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Loop.DisposeAsync();
        _store.Dispose();
        _lock.Dispose();
    }
}
