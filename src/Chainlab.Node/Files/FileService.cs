using Chainlab.Core.Files;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>A file refused for a reason the client can act on: too large, over the quota, malformed.</summary>
public sealed class FileRefusedException(string type, int status, string message) : Exception(message)
{
    public string Type { get; } = type;
    public int Status { get; } = status;
}

/// <summary>What a client says about a file it adds.</summary>
public sealed record FileAddRequest(string? Name, string? MediaType, int CidVersion);

/// <summary>
/// The node's files: adding a stream as kubo would (streamed into the store, never whole in memory),
/// importing CAR files (every block checked against its CID, the DAG checked complete), reading blocks,
/// and the periodic collection of expired files. An add that fails half-way stores nothing.
/// </summary>
public sealed class FileService : IBlockSource, IAsyncDisposable
{
    private readonly IChainStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ITimer _collector;

    public FileStoreOptions Options { get; }

    public FileService(IChainStore store, FileStoreOptions options, TimeProvider time, ILogger log)
    {
        _store = store; Options = options; _time = time; _log = log;
        Quota = new FileQuota(store, options.QuotaBytes);
        ReadLimits = new DagLimits { MaxBlocks = options.MaxBlocks };
        _collector = time.CreateTimer(_ => Collect(), null, options.CollectInterval, options.CollectInterval);
    }

    public IFileStore Store => _store;

    /// <summary>The quota every writer of this node reserves its blocks in (uploads, imports, fetches).</summary>
    public FileQuota Quota { get; }

    private long _added, _fetched, _collected, _blocksRead;

    /// <summary>What the file service has counted since start.</summary>
    public FileStats Stats => new(Interlocked.Read(ref _added), Interlocked.Read(ref _fetched), Interlocked.Read(ref _collected), Interlocked.Read(ref _blocksRead));

    /// <summary>
    /// What one read of a file (bytes, CAR, sniffing) may visit: as many blocks as a file may have links, plus
    /// its root. A DAG whose parts are named over and over (2 million empty leaves from three blocks) ends at
    /// this many visits however little it stores: a 1 GiB file in 8 KiB parts still reads in full.
    /// </summary>
    public DagLimits ReadLimits { get; }

    /// <summary>Fetches files this node lacks from the network (null when the node runs alone).</summary>
    public FileFetcher? Fetcher { get; set; }

    /// <summary>Called with each file this node now keeps (the network announces it as a provider).</summary>
    public event Action<Cid>? Kept;

    /// <summary>Makes sure the file's root is here: fetched from the network when it is not (and a network is there).</summary>
    /// <remarks>
    /// Requests for a CID being fetched wait for that one fetch; at most four fetches run at once, so requests for
    /// many unknown CIDs cannot turn the node into a flood of lookups. A fetch runs to its end even when the
    /// request that started it goes away: the file is kept for the next one.
    /// </remarks>
    public async Task EnsureAsync(Cid root, CancellationToken ct)
    {
        if (_store.HasFileBlock(root) || Fetcher is not { } fetcher) return;
        var fetch = _fetching.GetOrAdd(root, r => new Lazy<Task>(() => FetchOnce(fetcher, r)));
        // Once it ends, the next request (after a failure, say) starts a fetch of its own.
        _ = fetch.Value.ContinueWith(_ => _fetching.TryRemove(new KeyValuePair<Cid, Lazy<Task>>(root, fetch)), TaskScheduler.Default);
        await fetch.Value.WaitAsync(ct);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Cid, Lazy<Task>> _fetching = new();
    private readonly SemaphoreSlim _fetchSlots = new(4, 4);
    private readonly CancellationTokenSource _stop = new();

    private async Task FetchOnce(FileFetcher fetcher, Cid root)
    {
        if (!await _fetchSlots.WaitAsync(TimeSpan.FromSeconds(30), _stop.Token))
            throw new FileRefusedException("unavailable", 503, "this node is fetching as many files as it will at once; try again");
        try
        {
            StoredFile file;
            try { file = await fetcher.FetchAsync(root, _stop.Token); }
            catch (StoreException e) { throw new FileRefusedException("unavailable", 503, $"{root} could not be stored: {e.Message}"); }
            catch (NotSupportedException e) { throw new FileRefusedException("unsupported", 422, $"{root} is not a file this node can keep: {e.Message}"); }
            Interlocked.Increment(ref _fetched);
            Kept?.Invoke(file.Cid);
        }
        finally { _fetchSlots.Release(); }
    }

    public ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested(); // a reader whose client left stops at its next block
        Interlocked.Increment(ref _blocksRead);
        return ValueTask.FromResult(_store.FileBlock(cid));
    }

    /// <summary>
    /// Gives every kept file a reference to every block under its root. Files recorded by older versions
    /// referenced only the blocks they brought, so a block they found already stored could go with the file that
    /// brought it. Run once per data folder (in the background at start); returns the files brought up to date.
    /// </summary>
    public async Task<int> ReferenceAllAsync(CancellationToken ct)
    {
        var done = 0;
        for (var offset = 0; !ct.IsCancellationRequested; offset += 100)
        {
            var page = _store.StoredFiles(100, offset);
            foreach (var f in page)
            {
                try
                {
                    var under = await DagWalk.ReachableAsync([f.Cid], this, ct); // files kept before the links limit may have more blocks
                    using var w = _store.WriteFile(f.AddedMs);
                    foreach (var c in under) w.Reference(c);
                    w.Complete(f); // the same record: its expiry, name and time stay as they are
                    done++;
                }
                catch (Exception e) when (e is FormatException or StoreException or InvalidOperationException)
                {
                    _log.LogWarning("Could not reference the blocks of {Cid}: {Message}", f.Cid, e.Message);
                }
            }
            if (page.Count < 100) break;
        }
        return done;
    }

    /// <summary>Refuses a file block that claims more bytes than a file on this node may hold (a DAG whose parts are shared many times over).</summary>
    internal static void CheckApparentSize(Cid cid, ReadOnlySpan<byte> block, FileStoreOptions options)
    {
        if (UnixFsClaims.ContentSize(cid, block) is { } n && n > (ulong)options.MaxFileBytes)
            throw new FileRefusedException("too-large", 413, $"{cid} is a file of {n} bytes (its parts shared over and over); a file is at most {options.MaxFileBytes} bytes on this node");
    }

    /// <summary>Refuses an import or fetch that has brought more links than <see cref="FileStoreOptions.MaxLinks"/>.</summary>
    internal static void CheckLinks(long links, Cid root, FileStoreOptions options)
    {
        if (links > options.MaxLinks)
            throw new FileRefusedException("too-large", 413, $"the DAG under {root} has more than {options.MaxLinks} links; this node takes at most that many in one file");
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// The anchored files this node keeps for good: in anchor order (oldest first), each kept file while the
    /// stored bytes of those taken so far fit the anchored share of the quota.
    /// </summary>
    public HashSet<Cid> Pinned()
    {
        var share = (long)(Options.QuotaBytes * Math.Clamp(Options.AnchoredShare, 0, 1));
        var pinned = new HashSet<Cid>();
        var seen = new HashSet<Cid>();
        long used = 0;
        for (var offset = 0; ; offset += 500)
        {
            var page = _store.FileAnchors(null, 500, offset);
            foreach (var a in page)
            {
                if (!seen.Add(a.Ref.Cid) || _store.StoredFile(a.Ref.Cid) is null) continue;
                var bytes = _store.FileBytes(a.Ref.Cid);
                if (used + bytes > share) continue; // past the share: this one expires like any other
                used += bytes;
                pinned.Add(a.Ref.Cid);
            }
            if (page.Count < 500) return pinned;
        }
    }

    /// <summary>Removes expired files that are not pinned, and orphan blocks; returns what went.</summary>
    public (int Files, int Blocks) Collect()
    {
        try
        {
            var now = Now;
            var done = _store.CollectFiles(now, now - (long)Options.OrphanGrace.TotalMilliseconds, Pinned());
            Interlocked.Add(ref _collected, done.Files);
            if (done.Files + done.Blocks > 0) _log.LogInformation("Collected {Files} expired files and {Blocks} unused blocks", done.Files, done.Blocks);
            return done;
        }
        catch (Exception e) when (e is StoreException or System.Data.Common.DbException or ObjectDisposedException)
        {
            _log.LogWarning("File collection failed: {Message}", e.Message);
            return (0, 0);
        }
    }

    public async Task<StoredFile> AddAsync(Stream content, FileAddRequest request, CancellationToken ct, Action<long>? progress = null)
    {
        if (request.CidVersion is not (0 or 1)) throw new FileRefusedException("bad-request", 400, $"cid version {request.CidVersion}: 0 or 1");
        await using var sink = new BackgroundBlockWriter(_store, Now, Quota);
        var node = await UnixFsImporter.AddFileAsync(new LimitedStream(content, Options.MaxFileBytes), sink,
            request.CidVersion == 1 ? ImportOptions.V1 : ImportOptions.V0, ct, progress);
        return await Record(sink, Options.NewFile(node.Cid, node.FileSize, request.Name, request.MediaType, Now));
    }

    /// <summary>Imports a CARv1 with one root: every block checked against its CID, the DAG under the root complete (here or in the CAR).</summary>
    public async Task<StoredFile> ImportCarAsync(Stream car, string? name, CancellationToken ct)
    {
        // An import holds what its blocks link to until the DAG is checked (+116 MB measured at the links limit),
        // so only a few run at once; the next one is told to come back rather than queued.
        if (!_importSlots.Wait(0)) throw new FileRefusedException("unavailable", 503, $"this node is importing {ImportsAtOnce} CAR files already; try again");
        try { return await ImportCar(car, name, ct); }
        finally { _importSlots.Release(); }
    }

    public const int ImportsAtOnce = 4;
    public int ImportsRunning => ImportsAtOnce - _importSlots.CurrentCount;
    private readonly SemaphoreSlim _importSlots = new(ImportsAtOnce, ImportsAtOnce);

    private async Task<StoredFile> ImportCar(Stream car, string? name, CancellationToken ct)
    {
        // A client that sends slower than a fetch may take would hold one of the few import slots for hours.
        var limited = new BufferedStream(new LimitedStream(car, Options.MaxFileBytes + (Options.MaxFileBytes >> 4) + 4096,
            (_time, Options.FetchGrace, Options.FetchMinBytesPerSecond)), 64 * 1024);
        IReadOnlyList<Cid> roots;
        try { roots = await Car.ReadHeaderAsync(limited, ct); }
        catch (FormatException e) { throw new FileRefusedException("bad-car", 400, e.Message); }
        if (roots.Count != 1) throw new FileRefusedException("bad-car", 400, $"the CAR names {roots.Count} roots; import takes one");
        var root = roots[0];
        await using var sink = new BackgroundBlockWriter(_store, Now, Quota);
        var have = new HashSet<Cid>();
        var linked = new List<Cid>();
        var children = new Dictionary<Cid, Cid[]>(); // per dag-pb block of the CAR, for checking that every block is under the root
        var sizes = new Dictionary<Cid, ulong>();
        var claims = new List<(Cid Part, ulong Size)>(); // what file nodes say of their parts, checked at the end
        var holds = new Dictionary<Cid, ulong>(); // what each file block in the CAR holds by its own account
        try
        {
            while (await Car.ReadBlockAsync(limited, ct) is { } section)
            {
                if (have.Count >= ReadLimits.MaxBlocks) throw new FileRefusedException("too-large", 413, $"the CAR holds more than {ReadLimits.MaxBlocks} blocks; this node takes at most that many in one file");
                if (!have.Add(section.Cid)) continue;
                claims.AddRange(UnixFsClaims.Check(section.Cid, section.Block));
                if (UnixFsClaims.ContentSize(section.Cid, section.Block) is { } n) holds[section.Cid] = n;
                CheckApparentSize(section.Cid, section.Block, Options);
                if (section.Cid.Codec == Cid.DagPb)
                {
                    var (node, fs) = UnixFsReader.Decode(section.Cid, section.Block);
                    linked.AddRange(node.Links.Select(l => l.Hash));
                    children[section.Cid] = node.Links.Select(l => l.Hash).ToArray();
                    CheckLinks(linked.Count, root, Options);
                    sizes[section.Cid] = fs.Type == UnixFsType.Directory
                        ? (ulong)section.Block.Length + node.Links.Aggregate(0UL, (s, l) => s + (l.Tsize ?? 0))
                        : fs.FileSize ?? (ulong)(fs.Data?.Length ?? 0);
                }
                else sizes[section.Cid] = (ulong)section.Block.Length;
                await sink.PutAsync(section.Cid, section.Block, ct);
            }
        }
        catch (FormatException e) { throw new FileRefusedException("bad-car", 400, e.Message); }
        // A CAR must bring something: a bare header naming a block already here would only make or renew a record.
        if (have.Count == 0) throw new FileRefusedException("bad-car", 400, "the CAR carries no blocks");
        if (!have.Contains(root))
        {
            if (!_store.HasFileBlock(root)) throw new FileRefusedException("incomplete-dag", 422, $"the CAR lacks its root block {root}");
            sink.Reuse(root);
        }
        foreach (var cid in linked)
        {
            if (have.Contains(cid)) continue;
            if (!_store.HasFileBlock(cid)) throw new FileRefusedException("incomplete-dag", 422, $"the DAG under {root} lacks block {cid}, which is neither in the CAR nor on this node");
            sink.Reuse(cid); // already here (perhaps another file's): this file references it and all under it
        }
        // And nothing else: every block in it must be under its root (others would be stored and counted for nothing).
        var under = new HashSet<Cid>();
        var walk = new Stack<Cid>([root]);
        if (!have.Contains(root) && root.Codec == Cid.DagPb && _store.FileBlock(root) is { } storedRoot) // a root already here: what the CAR brings is under it
            foreach (var l in PbNode.Decode(storedRoot).Links) walk.Push(l.Hash);
        while (walk.TryPop(out var c))
            if (have.Contains(c) && under.Add(c) && children.TryGetValue(c, out var kids))
                foreach (var k in kids) walk.Push(k);
        if (under.Count < have.Count)
            throw new FileRefusedException("bad-car", 400, $"the CAR holds {have.Count - under.Count} blocks that are not under its root {root}, such as {have.First(x => !under.Contains(x))}");
        try
        {
            foreach (var (part, claimed) in claims)
            {
                if (holds.TryGetValue(part, out var n)) UnixFsClaims.CheckPart(part, n, claimed);
                else if (!have.Contains(part) && _store.FileBlock(part) is { } stored) UnixFsClaims.CheckPart(part, stored, claimed);
            }
        }
        catch (FormatException e) { throw new FileRefusedException("bad-car", 400, e.Message); }
        var size = sizes.TryGetValue(root, out var s) ? s : (await UnixFsReader.StatAsync(root, this, ct)).Size;
        return await Record(sink, Options.NewFile(root, size, name, null, Now));
    }

    /// <summary>Records an added file once its blocks are written, and announces it.</summary>
    private async Task<StoredFile> Record(BackgroundBlockWriter sink, StoredFile file)
    {
        await sink.CompleteAsync(file);
        Interlocked.Increment(ref _added);
        Kept?.Invoke(file.Cid);
        return _store.StoredFile(file.Cid) ?? file;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _collector.DisposeAsync();
    }
}

/// <summary>
/// Passes a stream through until a byte limit, then refuses the file; with a rate floor, also refuses a stream
/// that after the grace time has brought less than the minimum bytes a second on average.
/// </summary>
internal sealed class LimitedStream(Stream inner, long limit, (TimeProvider Time, TimeSpan Grace, long MinBytesPerSecond)? floor = null) : Stream
{
    private long _read;
    private readonly long _started = floor?.Time.GetTimestamp() ?? 0;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct);
        Count(n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        Count(n);
        return n;
    }

    private void Count(int n)
    {
        _read += n;
        if (_read > limit) throw new FileRefusedException("too-large", 413, $"a file is at most {limit} bytes on this node");
        if (floor is { } f && f.Time.GetElapsedTime(_started) is var took && took > f.Grace && _read < f.MinBytesPerSecond * took.TotalSeconds)
            throw new FileRefusedException("too-slow", 408, $"the upload brought {_read} bytes in {took.TotalSeconds:0.0} s, slower than this node's minimum of {f.MinBytesPerSecond} bytes a second");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// What a node's file service has counted since start: files added (uploads and CAR imports), fetched from the
/// network and removed by the collector, and blocks read from the store for readers (the gateway, exports).
/// </summary>
public sealed record FileStats(long Added, long Fetched, long Collected, long BlocksRead);
