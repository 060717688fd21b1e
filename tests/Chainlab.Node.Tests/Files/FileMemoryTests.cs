using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Node.Api;
using Chainlab.Node.Files;
using Chainlab.Node.Storage;
using Xunit.Abstractions;

namespace Chainlab.Node.Tests.Files;

/// <summary>
/// Tests that measure the process's managed memory run alone: no other test allocates while they look.
/// xUnit runs this collection after all the others, one test at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneInProcess
{
    public const string Name = "alone in the process";
}

/// <summary>
/// A hostile DAG of link-only blocks, brought by a CAR and by a provider, takes memory in proportion to the
/// node's links limit, not to the DAG, and gives it all back. The red team's 1.13 GB CAR of such blocks took a
/// node from 1 GiB to 7.8 GiB; a provider serving them took another to 2.4 GiB on one GET.
/// </summary>
[Collection(AloneInProcess.Name)]
public sealed class FileMemoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    // A million links in a thousand blocks of a thousand, against a node that takes 20,000: without the limit,
    // holding them costs a few hundred bytes each (~200 MB); with it, a few MB.
    private const int Blocks = 1000, LinksPerBlock = 1000, NodeLinks = 20_000;
    private const long PeakAllowance = 64L << 20, AfterAllowance = 4L << 20, FirstAllowance = 32L << 20;
    private static readonly FileStoreOptions Options = new() { MaxFileBytes = 128L << 20, QuotaBytes = 1L << 30, MaxLinks = NodeLinks };

    private readonly LoopbackNodes _net = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _net.DisposeAsync();

    /// <summary>A root naming 1,000 middle blocks, each naming 1,000 leaves nobody has (each said to hold nothing).</summary>
    private static (Cid Root, List<(Cid Cid, byte[] Block)> Blocks) LinkOnlyDag()
    {
        var random = new Random(29);
        var digest = new byte[36];
        var list = new List<(Cid, byte[])>();
        (Cid, byte[]) Node(IReadOnlyList<Cid> parts)
        {
            var b = new PbNode(parts.Select(p => new PbLink(p, "", 0)).ToList(),
                new UnixFsData(UnixFsType.File, null, 0, Enumerable.Repeat(0UL, parts.Count).ToList()).Encode()).Encode();
            return (Cid.Of(1, Cid.DagPb, b), b);
        }
        var mids = new List<Cid>();
        for (var i = 0; i < Blocks; i++)
        {
            var leaves = new Cid[LinksPerBlock];
            for (var j = 0; j < LinksPerBlock; j++)
            {
                digest[0] = 0x01; digest[1] = 0x55; digest[2] = 0x12; digest[3] = 0x20;
                random.NextBytes(digest.AsSpan(4));
                leaves[j] = Cid.FromBytes(digest);
            }
            var mid = Node(leaves);
            list.Add(mid);
            mids.Add(mid.Item1);
        }
        var root = Node(mids);
        list.Insert(0, root);
        return (root.Item1, list);
    }

    /// <summary>The process's managed heap after full, compacting collections.</summary>
    private static long Settled()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetGCMemoryInfo().HeapSizeBytes;
    }

    /// <summary>
    /// Runs the work twice while sampling the managed heap: the first run fills the pools every request uses
    /// (buffers, connections); the second is measured. The highest the heap rose above where it settled before,
    /// and where it settled after, for each run.
    /// </summary>
    private async Task<(long Peak, long After, long FirstAfter)> Measure(string what, Func<Task> work)
    {
        var start = Settled();
        await Sampled(work);
        var baseline = Settled();
        var rose = await Sampled(work);
        var after = Settled();
        output.WriteLine($"{what}: first run kept +{(baseline - start) >> 10} KiB; second rose +{rose >> 10} KiB and kept +{(after - baseline) >> 10} KiB (heap {baseline >> 10} KiB)");
        return (rose, after - baseline, baseline - start);

        // How far the heap rose above where it was when the work began: what it holds, garbage not yet collected included.
        static async Task<long> Sampled(Func<Task> work)
        {
            var from = GC.GetTotalMemory(false);
            long peak = from;
            var done = false;
            var sampler = new Thread(() =>
            {
                while (!Volatile.Read(ref done))
                {
                    var now = GC.GetTotalMemory(false);
                    if (now > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, now);
                    Thread.Sleep(1);
                }
            })
            { IsBackground = true };
            sampler.Start();
            try
            {
                await work();
                // The work may end on a thread whose stack still holds the frames it finished in (its continuations
                // ran inline, this one too): leave that thread, so that only what is really kept is measured.
                await Task.Yield();
            }
            finally { Volatile.Write(ref done, true); sampler.Join(); }
            return peak - from;
        }
    }

    [Fact]
    public async Task A_CAR_of_a_million_links_is_refused_at_the_links_limit_and_its_memory_comes_back()
    {
        var (root, blocks) = LinkOnlyDag();
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [root], default);
        foreach (var (c, b) in blocks) await Car.WriteBlockAsync(car, c, b, default);
        var body = car.ToArray();
        blocks.Clear();
        Assert.True(body.Length > 40_000_000, $"a CAR of {body.Length} bytes");

        var node = await _net.StartAsync(LoopbackNodes.SpecNow(Build.Keys(1, seed: 5)[0], [], 500), null, [], files: Options);
        using var http = new HttpClient { BaseAddress = node.ApiUrl };
        // A first upload loads what every upload uses, so that the measurement sees only this one.
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/files", new ByteArrayContent("warm"u8.ToArray()))).StatusCode);

        var warm = node.Core.Store.FileBlockBytes();
        HttpResponseMessage? answer = null;
        var (peak, after, first) = await Measure("CAR import", async () =>
            answer = await http.PostAsync("/api/v1/files", new ByteArrayContent(body) { Headers = { ContentType = new(FileEndpoints.CarType) } }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer!.StatusCode);
        Assert.Contains($"more than {NodeLinks} links", (await answer.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.True(peak < PeakAllowance, $"the heap rose {peak >> 20} MiB while the CAR was read");
        Assert.True(after < AfterAllowance, $"the heap kept {after >> 20} MiB after the import was refused");
        Assert.True(first < FirstAllowance, $"the heap kept {first >> 20} MiB after the first import");
        Assert.Equal(warm, node.Core.Store.FileBlockBytes());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/status")).StatusCode);
    }

    [Fact]
    public async Task A_provider_serving_a_million_links_is_refused_at_the_links_limit_and_the_fetchers_memory_comes_back()
    {
        var (root, blocks) = LinkOnlyDag();
        var spec = LoopbackNodes.SpecNow(Build.Keys(1, seed: 6)[0], [], 500);
        // The provider takes any DAG; the fetcher takes 20,000 links.
        var provider = await _net.StartAsync(spec, null, [], files: Options with { MaxLinks = 10_000_000 });
        // A node's first start references the blocks of files older versions kept (once per data folder); it is
        // let finish first, or it would walk the DAG below while the fetcher is measured.
        await Eventually.True(() => File.Exists(Path.Combine(provider.Core.Options.DataDir, "files-referenced")), "the provider's one-time referencing done");
        using (var w = provider.Core.Store.WriteFile(0))
        {
            foreach (var (c, b) in blocks) w.Put(c, b);
            w.Complete(new StoredFile(root, 0, null, null, 0, null));
        }
        blocks.Clear();
        var fetcher = await _net.StartAsync(spec, null, [provider.Network!.Port], files: Options);
        await Eventually.True(() => fetcher.Network!.Peers.Count == 1 && provider.Network.Peers.Count == 1, "the two nodes linked");
        await Eventually.True(() => File.Exists(Path.Combine(fetcher.Core.Options.DataDir, "files-referenced")), "the fetcher's one-time referencing done");
        await Eventually.True(async () => await provider.Network.Dht.ProvideAsync(root, default) > 0, "the provider's record reached the fetcher");
        Assert.Equal(HttpStatusCode.OK, (await new HttpClient { BaseAddress = fetcher.ApiUrl }.GetAsync("/api/v1/status")).StatusCode);

        FileRefusedException? refused = null;
        var (peak, after, first) = await Measure("fetch", async () =>
            refused = await Assert.ThrowsAsync<FileRefusedException>(() => fetcher.Core.Files.EnsureAsync(root, default)));
        Assert.Equal(413, refused!.Status);
        Assert.Contains($"more than {NodeLinks} links", refused.Message);
        Assert.True(peak < PeakAllowance, $"the heap rose {peak >> 20} MiB during the fetch");
        Assert.True(after < AfterAllowance, $"the heap kept {after >> 20} MiB after the fetch was refused");
        Assert.True(first < FirstAllowance, $"the heap kept {first >> 20} MiB after the first fetch");
        Assert.Null(fetcher.Core.Store.StoredFile(root));
    }
}
