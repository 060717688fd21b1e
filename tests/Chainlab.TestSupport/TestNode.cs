using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node;
using Chainlab.Node.Chain;
using Chainlab.Node.Mempool;
using Microsoft.Extensions.Logging;

namespace Chainlab.TestSupport;

/// <summary>
/// An in-process node on a temporary folder and a free loopback port, with a manual clock.
/// Blocks are produced on demand by <see cref="ProduceAsync"/> (the same path the slot timer uses).
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public const ulong GenesisMs = 1_700_000_000_000;

    private TestNode(NodeHost node, ManualTime time, KeyPair authority, KeyPair[] keys, string dir, ChainSpec spec)
    {
        Node = node; Time = time; Authority = authority; Keys = keys; Dir = dir; Spec = spec;
        Http = new HttpClient { BaseAddress = node.ApiUrl };
    }

    public NodeHost Node { get; }
    public ManualTime Time { get; }
    public KeyPair Authority { get; }
    public KeyPair[] Keys { get; }
    public string Dir { get; }
    public ChainSpec Spec { get; }
    public HttpClient Http { get; }

    public static ChainSpec SpecFor(KeyPair authority, KeyPair[] keys, ulong balance = 1_000_000, ulong inclusionDelay = 0) => new()
    {
        ChainId = "test-chain",
        GenesisTimeMs = GenesisMs,
        BlockTimeMs = 1000,
        BlockReward = 50,
        MinFee = 1,
        InclusionDelay = inclusionDelay,
        Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(authority.PublicKey)], Admin = Convert.ToHexStringLower(authority.PublicKey) },
        Alloc = keys.ToDictionary(k => k.Address.ToString(), _ => balance),
    };

    public static async Task<TestNode> StartAsync(int accounts = 4, string? dir = null, MempoolOptions? mempool = null,
        bool timerProduction = false, ChainSpec? spec = null, ManualTime? time = null, string? postgres = null, KeyPair? evidenceKey = null,
        Func<Chainlab.Node.Storage.IChainStore>? store = null, TimeSpan? eventKeepAlive = null, int maxApiConnections = 1024, int maxEventStreams = 128,
        int batchTransactionsPerSecond = 50_000, Chainlab.Node.Files.FileStoreOptions? files = null, Chainlab.Node.Faults.DevnetControl? devnet = null,
        IReadOnlyList<Chainlab.Core.Execution.ITransactionRules>? contractKinds = null)
    {
        var all = Build.Keys(accounts + 1, seed: 99);
        var authority = all[0];
        var keys = all[1..];
        spec ??= SpecFor(authority, keys);
        dir ??= NewDir();
        time ??= new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds((long)GenesisMs + 500));
        var options = new NodeOptions
        {
            DataDir = dir, Spec = spec, ApiPort = 0, Time = time, LogLevel = LogLevel.Warning,
            ProducerKey = timerProduction ? authority : null,
            Mempool = mempool ?? new MempoolOptions(),
            Postgres = postgres,
            Store = store,
            EventKeepAlive = eventKeepAlive ?? TimeSpan.FromSeconds(15),
            MaxApiConnections = maxApiConnections,
            MaxEventStreams = maxEventStreams,
            BatchTransactionsPerSecond = batchTransactionsPerSecond,
            EvidenceKey = evidenceKey,
            Files = files ?? new(),
            ContractKinds = contractKinds,
        };
        var node = await NodeHost.StartAsync(devnet is null ? options : options.ControlledBy(devnet));
        return new TestNode(node, time, authority, keys, dir, spec);
    }

    public static string NewDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "chainlab-test-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Drives this node's chain by hand: produce as any key, import, move the clock.</summary>
    public ChainDriver Driver => new(Node.Chain, Time);

    /// <summary>Moves the clock to the next slot and lets the authority produce there, through the chain loop.</summary>
    public Task<(Block? Block, ImportResult Result)> ProduceAsync()
    {
        var chain = Node.Chain;
        var slot = Math.Max(chain.Clock.SlotAt((ulong)Time.GetUtcNow().ToUnixTimeMilliseconds()), chain.Clock.SlotAt(chain.Head.TimestampMs)) + 1;
        return Driver.TryAt(chain.Clock.StartOf(slot), Authority);
    }

    public async Task<JsonObject> GetJson(string path) => (await Http.GetFromJsonAsync<JsonObject>(path))!;

    public Task<HttpResponseMessage> PostRaw(string path, string body, string contentType = "application/json")
    {
        var content = new StringContent(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = new(contentType);
        return Http.PostAsync(path, content);
    }

    public Transaction Transfer(int from, int to, ulong amount, ulong nonce, ulong fee = 1) =>
        Build.Transfer(Keys[from], Keys[to].Address, amount, nonce, fee);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Node.DisposeAsync();
    }

    public async ValueTask DisposeAndDeleteAsync()
    {
        await DisposeAsync();
        TempDir.Delete(Dir);
    }
}
