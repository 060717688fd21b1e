using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Chainlab.Core.Files;
using Chainlab.Node.Api;
using Chainlab.Node.Files;
using Chainlab.Core.State;

namespace Chainlab.Node.Tests.Files;

/// <summary>Files through the node's API: uploads, the gateway's three answers, CAR import, limits, bad input, expiry and anchors.</summary>
public sealed class FileApiTests : IAsyncLifetime
{
    private TestNode _n = null!;
    private static readonly FileStoreOptions Limits = new() { MaxFileBytes = 2 << 20, QuotaBytes = 5 << 20, UnanchoredTtl = TimeSpan.FromHours(1), MaxLinks = 2_000 };

    public async Task InitializeAsync() => _n = await TestNode.StartAsync(files: Limits);
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    private FileService Files => _n.Node.Core.Files;

    private static byte[] Bytes(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    private async Task<HttpResponseMessage> Upload(byte[] body, string query = "", string type = "application/octet-stream") =>
        await _n.Http.PostAsync("/api/v1/files" + query, new ByteArrayContent(body) { Headers = { ContentType = new(type) } });

    private static async Task<Cid> ExpectedCid(byte[] content, ImportOptions o) =>
        (await UnixFsImporter.AddFileAsync(new MemoryStream(content), new MemoryBlocks(), o)).Cid;


    /// <summary>The head of an upload sent by hand over TCP, for clients that stop, stall or trickle.</summary>
    private static byte[] UploadHead(string contentType, long length, string extraHeaders = "") =>
        Encoding.ASCII.GetBytes($"POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\n{extraHeaders}\r\n");

    private static async Task<string> ProblemType(HttpResponseMessage r) =>
        (await r.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>().Replace("urn:chainlab:problem:", "");

    [Fact]
    public async Task An_upload_gets_kubos_CID_and_the_gateway_serves_its_bytes_its_block_and_its_CAR()
    {
        var hello = await Upload("hello world\n"u8.ToArray(), "?name=hello.txt");
        Assert.Equal(HttpStatusCode.Created, hello.StatusCode);
        Assert.Equal("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", (await hello.Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>());
        var v1 = await (await Upload("hello world\n"u8.ToArray(), "?cidVersion=1")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.StartsWith("bafkrei", v1!["cid"]!.GetValue<string>());

        var content = Bytes(3 * 262144 + 77, 1);
        var created = await (await Upload(content, "?name=data.bin")).Content.ReadFromJsonAsync<JsonObject>();
        var cid = Cid.Parse(created!["cid"]!.GetValue<string>());
        Assert.Equal(await ExpectedCid(content, ImportOptions.V0), cid);
        Assert.Equal((ulong)content.Length, created["size"]!.GetValue<ulong>());

        var bytes = await _n.Http.GetAsync($"/ipfs/{cid}");
        Assert.Equal(content, await bytes.Content.ReadAsByteArrayAsync());
        Assert.Equal("sandbox", bytes.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal($"/ipfs/{cid}", bytes.Headers.GetValues("X-Ipfs-Path").Single());
        Assert.Contains("immutable", bytes.Headers.CacheControl!.ToString());

        var raw = await _n.Http.GetAsync($"/ipfs/{cid}?format=raw");
        Assert.Equal(FileEndpoints.RawType, raw.Content.Headers.ContentType!.MediaType);
        Assert.True(cid.Matches(await raw.Content.ReadAsByteArrayAsync()));

        var req = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{cid}");
        req.Headers.Accept.ParseAdd(FileEndpoints.CarType);
        var car = await _n.Http.SendAsync(req);
        Assert.Equal("application/vnd.ipld.car; version=1; order=dfs; dups=n", car.Content.Headers.ContentType!.ToString());
        var stream = await car.Content.ReadAsStreamAsync();
        Assert.Equal([cid], await Car.ReadHeaderAsync(stream, default));
        var blocks = new MemoryBlocks();
        var order = new List<Cid>();
        while (await Car.ReadBlockAsync(stream, default) is { } b) { blocks.Blocks[b.Cid] = b.Block; order.Add(b.Cid); }
        Assert.Equal(5, order.Count);         // the root first (depth first), then its four leaves
        Assert.Equal(cid, order[0]);
        var back = new MemoryStream();
        await UnixFsReader.WriteFileAsync(cid, blocks, back, default);
        Assert.Equal(content, back.ToArray());

        var one = await _n.Http.GetByteArrayAsync($"/ipfs/{cid}?format=car&dag-scope=block");
        var s1 = new MemoryStream(one);
        await Car.ReadHeaderAsync(s1, default);
        Assert.Equal(cid, (await Car.ReadBlockAsync(s1, default))!.Value.Cid);
        Assert.Null(await Car.ReadBlockAsync(s1, default));

        Assert.Equal(HttpStatusCode.BadRequest, (await _n.Http.GetAsync($"/ipfs/{cid}?format=car&dag-scope=some")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _n.Http.GetAsync($"/ipfs/{cid}?format=tar")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _n.Http.GetAsync("/ipfs/QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")).StatusCode);
        var cbor = await _n.Http.GetAsync("/api/v1/files/bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
        Assert.Equal(HttpStatusCode.BadRequest, cbor.StatusCode);
        Assert.Contains("unsupported codec 0x71", await cbor.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_directory_from_a_CAR_resolves_paths_and_serves_its_index_page_and_media_types()
    {
        var sink = new MemoryBlocks();
        async Task<ImportedNode> File(byte[] b) => await UnixFsImporter.AddFileAsync(new MemoryStream(b), sink, ImportOptions.V0);
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0 };
        var sub = await UnixFsImporter.AddDirectoryAsync([("index.html", await File("<p>hi</p>"u8.ToArray())), ("picture", await File(png))], sink, ImportOptions.V0);
        var root = await UnixFsImporter.AddDirectoryAsync([("site", sub), ("notes.txt", await File("notes"u8.ToArray()))], sink, ImportOptions.V0);
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [root.Cid], default);
        foreach (var (c, b) in sink.Blocks) await Car.WriteBlockAsync(car, c, b, default);

        var imported = await Upload(car.ToArray(), "?name=site", FileEndpoints.CarType);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal(root.Cid.ToString(), (await imported.Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>());

        var page = await _n.Http.GetAsync($"/ipfs/{root.Cid}/site");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal("<p>hi</p>", await page.Content.ReadAsStringAsync());
        Assert.Equal("image/png", (await _n.Http.GetAsync($"/ipfs/{root.Cid}/site/picture")).Content.Headers.ContentType!.MediaType);
        Assert.Equal("text/plain", (await _n.Http.GetAsync($"/ipfs/{root.Cid}/notes.txt")).Content.Headers.ContentType!.MediaType);
        var listing = await _n.Http.GetStringAsync($"/ipfs/{root.Cid}");
        Assert.Contains("notes.txt", listing);
        Assert.Equal(HttpStatusCode.NotFound, (await _n.Http.GetAsync($"/ipfs/{root.Cid}/site/none")).StatusCode);

        var stat = await _n.GetJson($"/api/v1/files/{root.Cid}");
        Assert.Equal("directory", stat["kind"]!.GetValue<string>());
        Assert.Equal(["notes.txt", "site"], stat["entries"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));

        // dag-scope=entity of a directory is its own block; all is every block under it.
        async Task<int> Count(string scope)
        {
            var s = new MemoryStream(await _n.Http.GetByteArrayAsync($"/ipfs/{root.Cid}?format=car&dag-scope={scope}"));
            await Car.ReadHeaderAsync(s, default);
            var n = 0;
            while (await Car.ReadBlockAsync(s, default) is not null) n++;
            return n;
        }
        Assert.Equal(1, await Count("entity"));
        Assert.Equal(sink.Blocks.Count, await Count("all"));
    }

    [Fact]
    public async Task Oversized_and_over_quota_uploads_get_413_and_leave_nothing()
    {
        var big = await Upload(Bytes((2 << 20) + 1, 2));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Equal("too-large", await ProblemType(big));
        Assert.Equal(0, Files.Store.FileBlockBytes());

        Assert.Equal(HttpStatusCode.Created, (await Upload(Bytes(2 << 20, 3))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Upload(Bytes(2 << 20, 4))).StatusCode);
        var kept = Files.Store.FileBlockBytes();
        var over = await Upload(Bytes(2 << 20, 5));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Equal("quota-exceeded", await ProblemType(over));
        Assert.Equal(kept, Files.Store.FileBlockBytes());
        Assert.Equal(2, Files.Store.StoredFiles(10, 0).Count);
    }

    [Fact]
    public async Task A_client_that_stops_half_way_through_an_upload_leaves_nothing_and_the_node_serves_on()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _n.Http.BaseAddress!.Port);
            var s = tcp.GetStream();
            await s.WriteAsync(UploadHead("application/octet-stream", 2 << 20));
            await s.WriteAsync(Bytes(700_000, 6)); // two chunks' worth of blocks reach the store before the client goes
            await s.FlushAsync();
            await Eventually.True(() => Files.Quota.Used > 0, "blocks of the unfinished upload are on their way into the store before the client goes");
        }
        await Eventually.True(() => Files.Store.FileBlockBytes() == 0 && Files.Store.StoredFiles(10, 0).Count == 0, "the unfinished upload's blocks are gone");
        Assert.Equal(HttpStatusCode.Created, (await Upload("after"u8.ToArray())).StatusCode);
    }

    [Fact]
    public async Task Bad_CARs_are_refused_with_their_reason_and_nothing_is_stored()
    {
        var sink = new MemoryBlocks();
        var file = await UnixFsImporter.AddFileAsync(new MemoryStream(Bytes(600_000, 7)), sink, ImportOptions.V0);
        byte[] CarOf(IEnumerable<(Cid, byte[])> blocks, Cid? root = null)
        {
            var m = new MemoryStream();
            m.Write(Car.Header([root ?? file.Cid]));
            foreach (var (c, b) in blocks) Car.WriteBlockAsync(m, c, b, default).Wait();
            return m.ToArray();
        }
        var all = sink.Blocks.Select(kv => (kv.Key, kv.Value)).ToList();
        var good = CarOf(all);
        var tampered = (byte[])good.Clone();
        tampered[^10] ^= 0xff;
        var cases = new (string What, byte[] Body, int Status, string Type)[]
        {
            ("truncated", good[..(good.Length / 2)], 400, "bad-car"),
            ("a block that does not match its CID", tampered, 400, "bad-car"),
            ("not a CAR", "hello"u8.ToArray(), 400, "bad-car"),
            ("a leaf missing", CarOf(all.Where(b => b.Key != file.Cid).Skip(1).Prepend(all.Single(b => b.Key == file.Cid))), 422, "incomplete-dag"),
            ("the root missing", CarOf(all.Where(b => b.Key != file.Cid)), 422, "incomplete-dag"),
        };
        foreach (var (what, body, status, type) in cases)
        {
            var r = await Upload(body, "", FileEndpoints.CarType);
            Assert.True(status == (int)r.StatusCode, $"{what}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            Assert.Equal(type, await ProblemType(r));
            Assert.Equal(0, Files.Store.FileBlockBytes());
        }
        Assert.Equal(HttpStatusCode.Created, (await Upload(good, "", FileEndpoints.CarType)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _n.Http.GetAsync("/api/v1/status")).StatusCode);
    }

    [Fact]
    public async Task An_unanchored_file_expires_and_an_anchored_one_stays_with_its_anchor_listed()
    {
        var a = Cid.Parse((await (await Upload("keep me"u8.ToArray(), "?name=keep.txt")).Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>());
        var b = Cid.Parse((await (await Upload("let me go"u8.ToArray())).Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>());
        var anchor = FileTx.Anchor(_n.Keys[0], 0, 1, refs: new FileRef(a, 7, "keep.txt", "text/plain"));
        Assert.True(_n.Node.Pool.Admit([anchor.Raw])[0].Accepted);
        var (block, _) = await _n.ProduceAsync();
        Assert.Single(block!.FileRefs);

        _n.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.NotNull(Files.Store.StoredFile(b));
        _n.Time.Advance(TimeSpan.FromMinutes(31)); // past the hour: the collector's timer removes the unanchored file
        await Eventually.True(() => Files.Store.StoredFile(b) is null, "the collector ran");
        Assert.Equal((0, 0), Files.Collect());
        Assert.Equal(HttpStatusCode.OK, (await _n.Http.GetAsync($"/ipfs/{a}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _n.Http.GetAsync($"/ipfs/{b}")).StatusCode);

        var listed = await _n.GetJson($"/api/v1/files?anchoredBy={_n.Keys[0].Address}");
        var entry = listed["anchors"]!.AsArray().Single()!;
        Assert.Equal((a.ToString(), "keep.txt", block.Height), (entry["file"]!["cid"]!.GetValue<string>(), entry["file"]!["name"]!.GetValue<string>(), entry["height"]!.GetValue<ulong>()));
        var shown = await _n.GetJson($"/api/v1/blocks/{block.Height}");
        Assert.Equal(a.ToString(), shown["files"]![0]!["cid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Uploads_running_at_once_never_take_the_store_past_its_quota_together()
    {
        // Six uploads of 1.5 MiB against a 5 MiB quota, held until all six have started (each read the
        // stored figure, zero, before any wrote a block).
        const int n = 6;
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var contents = Enumerable.Range(0, n).Select(i => Bytes(3 << 19, 40 + i)).ToArray();
        var uploads = contents.Select(c => Task.Run(async () =>
        {
            var gated = new GatedStream(new MemoryStream(c), async () =>
            {
                if (Interlocked.Increment(ref started) == n) allStarted.SetResult();
                await allStarted.Task;
            });
            try { return (Ok: true, Cid: (await Files.AddAsync(gated, new FileAddRequest(null, null, 1), default)).Cid, Type: ""); }
            catch (FileRefusedException e) { return (Ok: false, Cid: (Cid?)null, Type: e.Type); }
        })).ToArray();
        var results = await Task.WhenAll(uploads);

        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal("quota-exceeded", r.Type));
        Assert.InRange(results.Count(r => r.Ok), 1, 3);
        Assert.InRange(Files.Store.FileBlockBytes(), 1, Limits.QuotaBytes);
        for (var i = 0; i < n; i++)
            if (results[i].Ok) Assert.Equal(contents[i], await (await _n.Http.GetAsync($"/ipfs/{results[i].Cid}")).Content.ReadAsByteArrayAsync());
        Assert.Equal(Files.Store.FileBlockBytes(), Files.Quota.Used); // nothing left reserved
    }

    [Fact]
    public async Task Adding_the_same_file_again_while_another_upload_is_open_does_not_use_up_the_quota()
    {
        // One upload stays open (its stream waits), so the quota's figure is not read afresh between the others.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = Task.Run(() => Files.AddAsync(new GatedStream(new MemoryStream(Bytes(1000, 60)), () => release.Task), new FileAddRequest(null, null, 1), default));
        var same = Bytes(3 << 19, 61); // 1.5 MiB: four times over a 5 MiB quota
        for (var i = 0; i < 4; i++) await Files.AddAsync(new MemoryStream(same), new FileAddRequest(null, null, 1), default);
        release.SetResult();
        await open;
        Assert.InRange(Files.Store.FileBlockBytes(), 3 << 19, Limits.QuotaBytes);
        Assert.Equal(Files.Store.FileBlockBytes(), Files.Quota.Used);
    }

    /// <summary>A stream whose first read waits for a signal.</summary>
    private sealed class GatedStream(Stream inner, Func<Task> gate) : Stream
    {
        private bool _opened;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (!_opened) { _opened = true; await gate(); }
            return await inner.ReadAsync(buffer, ct);
        }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Anchored_files_read_back_in_full_after_the_collector_takes_the_file_that_brought_their_blocks_first()
    {
        // A file uploaded and left unanchored: it will expire, and its blocks were stored for it.
        var content = Bytes(700_000, 21);
        var first = await Files.AddAsync(new MemoryStream(content), new FileAddRequest("first.bin", null, 0), default);

        // A directory naming that file, imported as a CAR that carries the directory's block only: the file's
        // blocks are found on the node, not brought again.
        var blocks = new MemoryBlocks();
        var file = await UnixFsImporter.AddFileAsync(new MemoryStream(content), blocks, ImportOptions.V0);
        Assert.Equal(first.Cid, file.Cid);
        var dir = await UnixFsImporter.AddDirectoryAsync([("x.bin", file)], blocks, ImportOptions.V0);
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [dir.Cid], default);
        await Car.WriteBlockAsync(car, dir.Cid, blocks.Blocks[dir.Cid], default);
        car.Position = 0;
        Assert.Equal(dir.Cid, (await Files.ImportCarAsync(car, "dir", default)).Cid);

        // A second upload whose first 512 KiB are the first file's: two of its leaves are the same blocks.
        var longer = content.Take(2 * 262144).Concat(Bytes(100_000, 22)).ToArray();
        var second = await Files.AddAsync(new MemoryStream(longer), new FileAddRequest("second.bin", null, 0), default);

        var anchor = FileTx.Anchor(_n.Keys[0], 0, 2, refs: [new FileRef(dir.Cid, 700_100, "dir", "inode/directory"), new FileRef(second.Cid, (ulong)longer.Length, "second.bin", "application/octet-stream")]);
        Assert.True(_n.Node.Pool.Admit([anchor.Raw])[0].Accepted);
        var (block, _) = await _n.ProduceAsync();
        Assert.Equal(2, block!.FileRefs.Count);

        _n.Time.Advance(TimeSpan.FromMinutes(61) + Limits.OrphanGrace);
        await Eventually.True(() => Files.Store.StoredFile(first.Cid) is null, "the collector took the first file's record");
        Files.Collect();
        Assert.Equal(content, await (await _n.Http.GetAsync($"/ipfs/{dir.Cid}/x.bin")).Content.ReadAsByteArrayAsync());
        Assert.Equal(longer, await (await _n.Http.GetAsync($"/ipfs/{second.Cid}")).Content.ReadAsByteArrayAsync());
        Assert.Equal(content, await (await _n.Http.GetAsync($"/ipfs/{first.Cid}")).Content.ReadAsByteArrayAsync()); // its blocks stay, through the directory
    }

    private async Task<Cid> ImportCar(Cid root, params (Cid Cid, byte[] Block)[] blocks)
    {
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [root], default);
        foreach (var (c, b) in blocks) await Car.WriteBlockAsync(car, c, b, default);
        var r = await Upload(car.ToArray(), "", FileEndpoints.CarType);
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        return root;
    }

    private static (Cid, byte[]) Block(PbNode n) { var b = n.Encode(); return (Cid.Of(1, Cid.DagPb, b), b); }

    /// <summary>A file node over the given parts, each holding the given bytes.</summary>
    private static (Cid, byte[]) FileNode(IEnumerable<(Cid Part, ulong Holds)> parts)
    {
        var list = parts.ToList();
        return Block(new PbNode(list.Select(p => new PbLink(p.Part, "", p.Holds)).ToList(),
            new UnixFsData(UnixFsType.File, null, list.Aggregate(0UL, (s, p) => s + p.Holds), list.Select(p => p.Holds).ToList()).Encode()));
    }

    [Fact]
    public async Task A_file_whose_parts_are_named_past_the_links_limit_is_not_read_to_its_end()
    {
        // Three blocks, 200 links (this node takes 2,000), nothing stored but a root, a middle and an empty leaf:
        // reading it would visit 1 + 100 + 100 x 100 blocks. The red team's version had 2.25 million.
        var empty = Cid.Of(1, Cid.Raw, []);
        var (mid, midBlock) = FileNode(Enumerable.Repeat((empty, 0UL), 100));
        var (root, rootBlock) = FileNode(Enumerable.Repeat((mid, 0UL), 100));
        await ImportCar(root, (root, rootBlock), (mid, midBlock), (empty, Array.Empty<byte>()));

        var before = Files.Stats.BlocksRead;
        var r = await _n.Http.GetAsync($"/ipfs/{root}");
        var read = Files.Stats.BlocksRead - before;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Contains($"more than {Files.ReadLimits.MaxBlocks} blocks", await r.Content.ReadAsStringAsync());
        Assert.Equal("no-store", r.Headers.CacheControl!.ToString());
        Assert.True(read <= Files.ReadLimits.MaxBlocks + 70, $"{read} blocks read for one request (limit {Files.ReadLimits.MaxBlocks}, sniffing 64)");

        // HEAD reads only what the media type needs: at most 64 blocks of it.
        before = Files.Stats.BlocksRead;
        Assert.Equal(HttpStatusCode.OK, (await _n.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/ipfs/{root}"))).StatusCode);
        Assert.InRange(Files.Stats.BlocksRead - before, 1, 70);
        // Its CAR holds each of its three blocks once.
        var car = new MemoryStream(await (await _n.Http.GetAsync($"/ipfs/{root}?format=car")).Content.ReadAsByteArrayAsync());
        Assert.Equal([root], await Car.ReadHeaderAsync(car, default));
        var sections = 0;
        while (await Car.ReadBlockAsync(car, default) is not null) sections++;
        Assert.Equal(3, sections);
        Assert.Equal(HttpStatusCode.OK, (await _n.Http.GetAsync("/api/v1/status")).StatusCode);
    }

    [Fact]
    public async Task Sniffing_a_media_type_reads_at_most_64_blocks_and_bytes_that_come_later_are_served_as_bytes()
    {
        var empty = Cid.Of(1, Cid.Raw, []);
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0 };
        var pngCid = Cid.Of(1, Cid.Raw, png);
        var (late, lateBlock) = FileNode(Enumerable.Repeat((empty, 0UL), 70).Append((pngCid, 10UL)));
        var (early, earlyBlock) = FileNode([(pngCid, 10UL)]);
        await ImportCar(late, (late, lateBlock), (empty, Array.Empty<byte>()), (pngCid, png));
        await ImportCar(early, (early, earlyBlock), (pngCid, png));

        var r = await _n.Http.GetAsync($"/ipfs/{late}");
        Assert.Equal("application/octet-stream", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal(png, await r.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", (await _n.Http.GetAsync($"/ipfs/{early}")).Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Only_four_CAR_imports_run_at_once_and_the_fifth_is_told_to_come_back()
    {
        var (root, block) = FileNode([(Cid.Of(1, Cid.Raw, "x"u8.ToArray()), 1)]);
        // Four clients send a CAR's header and the start of a large block, then trickle it at 512 bytes a second
        // (above the server's own floor for request bodies, 240): each import has begun and waits for its block.
        var header = Car.Header([root]);
        var clients = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var trickles = new List<Task>();
        for (var i = 0; i < FileService.ImportsAtOnce; i++)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, _n.Http.BaseAddress!.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(UploadHead(FileEndpoints.CarType, 2_000_000));
            var section = new MemoryStream();
            await Car.WriteBlockAsync(section, root, new byte[1 << 20], default); // only its start is sent
            await stream.WriteAsync(header.Concat(section.ToArray()[..64]).ToArray());
            trickles.Add(Task.Run(async () =>
            {
                try { while (true) { await Task.Delay(1000, stop.Token); await stream.WriteAsync(new byte[512], stop.Token); } }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
            }));
            clients.Add(tcp);
        }
        await Eventually.True(() => Files.ImportsRunning == FileService.ImportsAtOnce, "four imports running");

        var fifth = new MemoryStream();
        await Car.WriteHeaderAsync(fifth, [root], default);
        await Car.WriteBlockAsync(fifth, root, block, default);
        var r = await Upload(fifth.ToArray(), "", FileEndpoints.CarType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal("unavailable", await ProblemType(r));

        await stop.CancelAsync();
        await Task.WhenAll(trickles);
        foreach (var c in clients) c.Dispose(); // the clients go: each import ends and frees its slot
        await Eventually.True(() => Files.ImportsRunning == 0, "the four imports ended");
        Assert.Equal(0, Files.Store.FileBlockBytes());
        Assert.Equal(0, Files.ImportsRunning);
    }

    [Fact]
    public async Task A_CAR_import_slower_than_the_fetch_floor_is_refused_after_the_grace_time()
    {
        var (root, _) = FileNode([(Cid.Of(1, Cid.Raw, "x"u8.ToArray()), 1)]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _n.Http.BaseAddress!.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(UploadHead(FileEndpoints.CarType, 100_000, "Connection: close\r\n"));
        await stream.WriteAsync(Car.Header([root]));
        await Eventually.True(() => Files.ImportsRunning == 1, "the import running");
        // Eleven seconds (on the node's clock) and a few more bytes later: under 64 KiB a second after the 10 s grace.
        _n.Time.Advance(TimeSpan.FromSeconds(11));
        await stream.WriteAsync(new byte[100]);
        var answer = new byte[4096];
        var text = "";
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!text.Contains("too-slow") && await stream.ReadAsync(answer, deadline.Token) is > 0 and var n)
                text += Encoding.ASCII.GetString(answer, 0, n);
        Assert.StartsWith("HTTP/1.1 408", text);
        Assert.Contains("too-slow", text);
        await Eventually.True(() => Files.ImportsRunning == 0, "the slot given back");
    }

    [Fact]
    public async Task A_reader_whose_client_left_stops_at_its_next_block()
    {
        // 1 MiB in 1 KiB parts: 1,024 leaves under a few nodes.
        var content = Bytes(1 << 20, 61);
        var blocks = new MemoryBlocks();
        var file = await UnixFsImporter.AddFileAsync(new MemoryStream(content), blocks, ImportOptions.V0 with { ChunkSize = 1024 });
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [file.Cid], default);
        foreach (var (c, b) in blocks.Blocks) await Car.WriteBlockAsync(car, c, b, default);
        Assert.Equal(HttpStatusCode.Created, (await Upload(car.ToArray(), "", FileEndpoints.CarType)).StatusCode);

        using var cts = new CancellationTokenSource();
        var output = new CancelAfterWrites(10, cts);
        var before = Files.Stats.BlocksRead;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => UnixFsReader.WriteFileAsync(file.Cid, Files, output, cts.Token, Files.ReadLimits));
        var read = Files.Stats.BlocksRead - before;
        Assert.InRange(read, 10, 20); // the parts written and the few nodes above them, not 1,030 blocks
    }

    /// <summary>Takes writes and cancels a token after the n-th, as a client that goes away does.</summary>
    private sealed class CancelAfterWrites(int n, CancellationTokenSource cts) : WriteOnlyStream
    {
        private int _writes;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            if (++_writes == n) cts.Cancel();
            Passed += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task An_anchors_name_does_not_set_the_type_a_file_is_served_with()
    {
        var page = "<script>alert(1)</script>"u8.ToArray();
        var leaf = Cid.Of(1, Cid.Raw, page);
        var (root, rootBlock) = FileNode([(leaf, (ulong)page.Length)]);
        await ImportCar(root, (root, rootBlock), (leaf, page)); // no name: as a file fetched from another node
        Assert.True(_n.Node.Pool.Admit([FileTx.Anchor(_n.Keys[0], 0, 1, refs: new FileRef(root, (ulong)page.Length, "page.html", "text/html")).Raw])[0].Accepted);
        await _n.ProduceAsync();
        Assert.Single(Files.Store.AnchorsOf(root));
        var r = await _n.Http.GetAsync($"/ipfs/{root}");
        Assert.Equal(page, await r.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/plain", r.Content.Headers.ContentType!.MediaType);
        // The file's record gives no name or type (nobody said one here); the anchor's words stay the anchor's.
        var stat = await _n.GetJson($"/api/v1/files/{root}");
        Assert.Null(stat["name"]);
        Assert.Null(stat["mediaType"]);
        Assert.Equal("page.html", stat["anchors"]![0]!["file"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_single_byte_range_is_served_as_206_and_one_past_the_end_as_416()
    {
        var content = Bytes(700_000, 50);
        var cid = (await (await Upload(content)).Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>();
        async Task<HttpResponseMessage> Get(string range)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{cid}");
            req.Headers.TryAddWithoutValidation("Range", range);
            return await _n.Http.SendAsync(req);
        }
        var mid = await Get("bytes=300000-300999");
        Assert.Equal(HttpStatusCode.PartialContent, mid.StatusCode);
        Assert.Equal("bytes 300000-300999/700000", mid.Content.Headers.ContentRange!.ToString());
        Assert.Equal(content[300_000..301_000], await mid.Content.ReadAsByteArrayAsync());
        Assert.Equal(content[^100..], await (await Get("bytes=-100")).Content.ReadAsByteArrayAsync());
        Assert.Equal(content[699_990..], await (await Get("bytes=699990-")).Content.ReadAsByteArrayAsync());
        Assert.Equal(content[699_990..], await (await Get("bytes=699990-800000")).Content.ReadAsByteArrayAsync());
        var past = await Get("bytes=700000-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal("bytes */700000", past.Content.Headers.ContentRange!.ToString());
        var two = await Get("bytes=0-1,5-6");
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.Equal(content, await two.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_root_that_claims_a_false_size_is_refused_on_import()
    {
        var leaf = Bytes(10, 51);
        var leafCid = Cid.Of(1, Cid.Raw, leaf);
        foreach (var (claim, parts) in new[] { (5UL, 10UL), (ulong.MaxValue, 10UL), (10UL, 9UL) })
        {
            var (root, block) = Block(new PbNode([new PbLink(leafCid, "", 10)], new UnixFsData(UnixFsType.File, null, claim, [parts]).Encode()));
            var car = new MemoryStream();
            await Car.WriteHeaderAsync(car, [root], default);
            await Car.WriteBlockAsync(car, root, block, default);
            await Car.WriteBlockAsync(car, leafCid, leaf, default);
            var r = await Upload(car.ToArray(), "", FileEndpoints.CarType);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("bad-car", await ProblemType(r));
            Assert.Null(Files.Store.StoredFile(root));
            Assert.Equal(HttpStatusCode.NotFound, (await _n.Http.GetAsync($"/ipfs/{root}")).StatusCode);
        }
        // The honest root over the same leaf is kept and served with its length.
        var (honest, honestBlock) = Block(new PbNode([new PbLink(leafCid, "", 10)], new UnixFsData(UnixFsType.File, null, 10, [10]).Encode()));
        await ImportCar(honest, (honest, honestBlock), (leafCid, leaf));
        Assert.Equal(leaf, await (await _n.Http.GetAsync($"/ipfs/{honest}")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_DAG_whose_shared_parts_make_a_file_larger_than_the_limit_or_with_too_many_links_is_refused()
    {
        // A 1 KiB leaf, a node naming it 64 times (64 KiB), a root naming that node 64 times: a 4 MiB file from 3 blocks.
        var leaf = Bytes(1024, 52);
        var leafCid = Cid.Of(1, Cid.Raw, leaf);
        var (mid, midBlock) = Block(new PbNode(Enumerable.Repeat(new PbLink(leafCid, "", 1024), 64).ToList(), new UnixFsData(UnixFsType.File, null, 65536, Enumerable.Repeat(1024UL, 64).ToList()).Encode()));
        var (bomb, bombBlock) = Block(new PbNode(Enumerable.Repeat(new PbLink(mid, "", 65536), 64).ToList(), new UnixFsData(UnixFsType.File, null, 64UL * 65536, Enumerable.Repeat(65536UL, 64).ToList()).Encode()));
        async Task<HttpResponseMessage> Import(Cid root, params (Cid Cid, byte[] Block)[] blocks)
        {
            var car = new MemoryStream();
            await Car.WriteHeaderAsync(car, [root], default);
            foreach (var (c, b) in blocks) await Car.WriteBlockAsync(car, c, b, default);
            return await Upload(car.ToArray(), "", FileEndpoints.CarType);
        }
        var r = await Import(bomb, (bomb, bombBlock), (mid, midBlock), (leafCid, leaf));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("is a file of 4194304 bytes", (await r.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Null(Files.Store.StoredFile(bomb));

        // 2,500 links (to one 10-byte leaf) against this node's 2,000.
        var small = Bytes(10, 53);
        var smallCid = Cid.Of(1, Cid.Raw, small);
        var (wide, wideBlock) = Block(new PbNode(Enumerable.Repeat(new PbLink(smallCid, "", 10), 2500).ToList(), new UnixFsData(UnixFsType.File, null, 25_000, Enumerable.Repeat(10UL, 2500).ToList()).Encode()));
        r = await Import(wide, (wide, wideBlock), (smallCid, small));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("more than 2000 links", (await r.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(0, Files.Store.FileBlockBytes());
    }

    [Fact]
    public async Task Path_segments_are_decoded_once_and_entry_names_no_path_can_reach_are_refused()
    {
        var leaf = "hi"u8.ToArray();
        var leafCid = Cid.Of(1, Cid.Raw, leaf);
        // An entry named "%2e%2e" is reached by /%252e%252e (decoded once); decoding twice would look for "..".
        var (dir, block) = Block(new PbNode([new PbLink(leafCid, "%2e%2e", 2)], new UnixFsData(UnixFsType.Directory).Encode()));
        await ImportCar(dir, (dir, block), (leafCid, leaf));
        var named = await _n.Http.GetAsync($"/ipfs/{dir}/%252e%252e");
        Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        Assert.Equal($"/ipfs/{dir}/%252e%252e", named.Headers.GetValues("X-Ipfs-Path").Single());
        Assert.Equal(HttpStatusCode.NotFound, (await _n.Http.GetAsync($"/ipfs/{dir}/a%0D%0Ab")).StatusCode);

        foreach (var bad in new[] { "..", ".", "", "a/b", "a\r\nb" })
        {
            var (d, db) = Block(new PbNode([new PbLink(leafCid, bad, 2)], new UnixFsData(UnixFsType.Directory).Encode()));
            var car = new MemoryStream();
            await Car.WriteHeaderAsync(car, [d], default);
            await Car.WriteBlockAsync(car, d, db, default);
            await Car.WriteBlockAsync(car, leafCid, leaf, default);
            var r = await Upload(car.ToArray(), "", FileEndpoints.CarType);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)r.StatusCode}");
            Assert.Contains("which no path can name", (await r.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_CAR_with_blocks_that_are_not_under_its_root_is_refused_and_leaves_nothing()
    {
        var leaf = Bytes(10, 80);
        var leafCid = Cid.Of(1, Cid.Raw, leaf);
        var stray = Bytes(100_000, 81);
        var (root, block) = Block(new PbNode([new PbLink(leafCid, "", 10)], new UnixFsData(UnixFsType.File, null, 10, [10]).Encode()));
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [root], default);
        foreach (var (c, b) in new[] { (root, block), (leafCid, leaf), (Cid.Of(1, Cid.Raw, stray), stray) }) await Car.WriteBlockAsync(car, c, b, default);
        var r = await Upload(car.ToArray(), "", FileEndpoints.CarType);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("1 blocks that are not under its root", (await r.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(0, Files.Store.FileBlockBytes());
    }

    [Fact]
    public async Task A_CAR_that_carries_no_blocks_is_refused_even_when_its_root_is_here()
    {
        var cid = Cid.Parse((await (await Upload("here"u8.ToArray())).Content.ReadFromJsonAsync<JsonObject>())!["cid"]!.GetValue<string>());
        var before = Files.Store.StoredFile(cid)!;
        _n.Time.Advance(TimeSpan.FromMinutes(10));
        var r = await Upload(Car.Header([cid]), "", FileEndpoints.CarType);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("bad-car", await ProblemType(r));
        Assert.Equal(before.ExpiresMs, Files.Store.StoredFile(cid)!.ExpiresMs); // not renewed
    }

    [Fact]
    public async Task Files_recorded_with_only_the_blocks_they_brought_are_given_the_rest_once_and_then_survive_collection()
    {
        var content = Bytes(600_000, 70);
        var first = await Files.AddAsync(new MemoryStream(content), new FileAddRequest("first.bin", null, 0), default);
        // A kept directory recorded the way older versions did: referencing its own block only, not the file under it.
        var blocks = new MemoryBlocks();
        var file = await UnixFsImporter.AddFileAsync(new MemoryStream(content), blocks, ImportOptions.V0);
        var dir = await UnixFsImporter.AddDirectoryAsync([("x.bin", file)], blocks, ImportOptions.V0);
        using (var w = Files.Store.WriteFile(0))
        {
            w.Put(dir.Cid, blocks.Blocks[dir.Cid]);
            w.Complete(new Chainlab.Node.Storage.StoredFile(dir.Cid, 600_100, "dir", null, 0, null));
        }
        Assert.Equal(2, await Files.ReferenceAllAsync(default));
        Assert.Null(Files.Store.StoredFile(dir.Cid)!.ExpiresMs); // the record is as it was

        _n.Time.Advance(TimeSpan.FromMinutes(61) + Limits.OrphanGrace);
        await Eventually.True(() => Files.Store.StoredFile(first.Cid) is null, "the collector took the first file");
        Files.Collect();
        Assert.Equal(content, await (await _n.Http.GetAsync($"/ipfs/{dir.Cid}/x.bin")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Anchors_pin_files_oldest_first_only_while_they_fit_the_anchored_share_of_the_quota()
    {
        // A 5 MiB quota, half of it for anchored files: the first two 1 MiB files anchored fit, the third does not.
        var contents = Enumerable.Range(0, 3).Select(i => Bytes(1 << 20, 90 + i)).ToArray();
        var cids = new List<Cid>();
        foreach (var c in contents) cids.Add((await Files.AddAsync(new MemoryStream(c), new FileAddRequest(null, null, 1), default)).Cid);
        var anchor = FileTx.Anchor(_n.Keys[0], 0, 3, refs: cids.Select((c, i) => new FileRef(c, 1 << 20, $"f{i}.bin", "application/octet-stream")).ToArray());
        Assert.True(_n.Node.Pool.Admit([anchor.Raw])[0].Accepted);
        await _n.ProduceAsync();
        Assert.Equal(cids.Take(2).ToHashSet(), Files.Pinned());

        _n.Time.Advance(TimeSpan.FromMinutes(61) + Limits.OrphanGrace);
        await Eventually.True(() => Files.Store.StoredFile(cids[2]) is null, "the file anchored past the share expired");
        Assert.NotNull(Files.Store.StoredFile(cids[0]));
        Assert.Equal(contents[1], await (await _n.Http.GetAsync($"/ipfs/{cids[1]}")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_file_anchor_pays_per_file_and_must_be_well_formed()
    {
        var cid = Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
        var refs = Enumerable.Range(0, 3).Select(i => new FileRef(Cid.Of(0, Cid.DagPb, [(byte)i]), 1, $"f{i}", "text/plain")).ToArray();
        var pool = _n.Node.Pool;
        Assert.Equal("fee-too-low", pool.Admit([FileTx.Anchor(_n.Keys[0], 0, 2, refs: refs).Raw])[0].Result.Error.Slug());
        Assert.True(pool.Admit([FileTx.Anchor(_n.Keys[0], 0, 3, refs: refs).Raw])[0].Accepted);
        Assert.Equal("malformed", pool.Admit([FileTx.Anchor(_n.Keys[1], 0, 5, refs: [new FileRef(cid, 1, "a", "text/plain"), new FileRef(cid, 1, "b", "text/plain")]).Raw])[0].Result.Error.Slug());
        Assert.Equal("malformed", pool.Admit([Core.Model.Transaction.Create(_n.Keys[1], "test-chain", Core.Model.TxKind.FileAnchor, 0, 5, Core.Crypto.Address.Zero, 0, [0, 0, 0, 0]).Raw])[0].Result.Error.Slug());
        Assert.Equal("malformed", pool.Admit([FileTx.Anchor(_n.Keys[1], 0, 5, refs: new FileRef(cid, 1, "a/b", "text/plain")).Raw])[0].Result.Error.Slug());
        // A size past 2^53 - 1 (the red team anchored 2^64 - 1) is refused; the largest one allowed is taken.
        var huge = pool.Admit([FileTx.Anchor(_n.Keys[1], 0, 5, refs: new FileRef(cid, ulong.MaxValue, "a", "text/plain")).Raw])[0].Result;
        Assert.Equal("malformed", huge.Error.Slug());
        Assert.Contains("at most 9007199254740991", huge.Detail);
        Assert.Equal("malformed", pool.Admit([FileTx.Anchor(_n.Keys[1], 0, 5, refs: new FileRef(cid, FileRef.MaxAnchoredSize + 1, "a", "text/plain")).Raw])[0].Result.Error.Slug());
        Assert.True(pool.Admit([FileTx.Anchor(_n.Keys[1], 0, 5, refs: new FileRef(cid, FileRef.MaxAnchoredSize, "a", "text/plain")).Raw])[0].Accepted);
        var (block, _) = await _n.ProduceAsync();
        Assert.Equal(4, block!.FileRefs.Count);
        Assert.Equal(Core.Model.Block.ComputeFilesRoot(block.FileRefs), block.Header.FilesRoot);
    }
}
