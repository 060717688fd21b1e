using Chainlab.Core.Files;
using Chainlab.Node.Network.Dht;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>
/// Fetches a file this node lacks: its providers from the DHT, then its blocks from several of them at once,
/// each checked against its CID before it is stored. A provider that sends a block not matching its CID is
/// banned like any peer that breaks the protocol, and the block is asked of another. Nothing is recorded
/// until every block is here.
/// </summary>
public sealed class FileFetcher(Dht dht, IDhtLinks links, IChainStore store, FileStoreOptions options, FileQuota quota, TimeProvider time, ILogger log)
{
    public const int InFlight = 8;

    public async Task<StoredFile> FetchAsync(Cid root, CancellationToken ct)
    {
        var lookup = await dht.FindProvidersAsync(root, ct);
        var live = new List<Peer>();
        foreach (var p in lookup.Providers)
            if (await links.LinkAsync(p, ct) is { } peer) live.Add(peer);
        if (live.Count == 0)
            throw new FileRefusedException("not-found", 404, lookup.Providers.Count == 0
                ? $"{root} is not on this node, and no node provides it ({lookup.Queried} asked in {lookup.Hops} rounds)"
                : $"{root} is not on this node, and none of its {lookup.Providers.Count} providers could be reached");
        log.LogInformation("Fetching {Cid} from {Providers} providers (found in {Hops} rounds)", root, live.Count, lookup.Hops);

        // Requests still out when the fetch ends (refused, or done with spare answers coming) are called off:
        // they would otherwise hold everything the fetch had gathered until their answers or timeouts came.
        using var asks = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try { return await Blocks(root, live, asks.Token); }
        finally { asks.Cancel(); }
    }

    /// <summary>Fetches every block under root from the live providers, then records the file.</summary>
    private async Task<StoredFile> Blocks(Cid root, List<Peer> live, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var sink = new BackgroundBlockWriter(store, now, quota);
        var pending = new Queue<Cid>([root]);
        var seen = new HashSet<Cid> { root };
        var claimed = new Dictionary<Cid, ulong>(); // what a parent said of a part not examined yet
        var holds = new Dictionary<Cid, ulong>(); // what each file part examined holds by its own account
        var demoted = new List<Peer>(); // slow providers, asked again only when no other is left
        long linkCount = 0;
        var inflight = new List<Task<(Cid Cid, Peer Peer, byte[]? Data, bool Matches, TimeSpan Took, bool Answered)>>();
        var started = time.GetTimestamp();
        byte[]? rootBlock = null;
        long total = 0, blocks = 0;
        var load = new Dictionary<Peer, int>(); // requests in flight per provider: the least loaded is asked next, so faster ones get more
        while (pending.Count > 0 || inflight.Count > 0)
        {
            if (live.Count == 0 && demoted.Count > 0) { live.AddRange(demoted); demoted.Clear(); }
            while (pending.Count > 0 && inflight.Count < InFlight && live.Count > 0)
            {
                var cid = pending.Dequeue();
                // A block this node has (another file's, or one a fetch running beside this one has just stored)
                // is not asked for: it is referenced by this file too, and its parts are looked at like any other.
                if (store.FileBlock(cid) is { } stored)
                {
                    sink.Reuse(cid);
                    Examine(cid, stored);
                    continue;
                }
                var peer = live.MinBy(p => load.GetValueOrDefault(p))!;
                load[peer] = load.GetValueOrDefault(peer) + 1;
                inflight.Add(Ask(cid, peer));
            }
            if (inflight.Count == 0) break;
            var done = await Task.WhenAny(inflight);
            inflight.Remove(done);
            var (got, from, data, matches, took, answered) = await done;
            load[from]--;
            // A provider that says it has a file and then does not answer for one of its blocks costs score.
            if (!answered && !ct.IsCancellationRequested)
            {
                try { from.Penalise(10, $"did not answer a request for block {got}"); }
                catch (ProtocolViolation e) { links.Ban(from, e.Message); }
            }
            // Slow providers are left for faster ones; providers that are all slow end the fetch, which would
            // otherwise hold one of the node's few fetch slots for as long as they like.
            if (took > options.SlowBlockAnswer && live.Count > 1 && live.Remove(from))
            {
                demoted.Add(from);
                log.LogInformation("Fetching {Cid}: provider {Peer} took {Seconds:0.0} s for a block; asking the others", root, from.Id, took.TotalSeconds);
            }
            var elapsed = time.GetElapsedTime(started);
            if (elapsed > options.FetchGrace && (total + (data?.Length ?? 0)) < options.FetchMinBytesPerSecond * elapsed.TotalSeconds)
                throw new FileRefusedException("unavailable", 504,
                    $"the providers of {root} sent {total} bytes in {elapsed.TotalSeconds:0.0} s, slower than this node's minimum of {options.FetchMinBytesPerSecond} bytes a second");
            if (data is null)
            {
                live.Remove(from); // it lacks the block or did not answer: ask another
                pending.Enqueue(got);
                continue;
            }
            if (!matches)
            {
                links.Ban(from, $"sent a block that does not match its CID {got}");
                live.Remove(from);
                pending.Enqueue(got);
                continue;
            }
            total += data.Length;
            if (++blocks > options.MaxBlocks) throw new FileRefusedException("too-large", 413, $"{root} has more than {options.MaxBlocks} blocks");
            if (total > options.MaxFileBytes + (options.MaxFileBytes >> 4)) throw new FileRefusedException("too-large", 413, $"{root} is larger than this node's {options.MaxFileBytes}-byte limit");
            await sink.PutAsync(got, data, ct); // over the quota: a 413 from here
            Examine(got, data);
        }
        if (pending.Count > 0 || rootBlock is null)
            throw new FileRefusedException("unavailable", 502, $"the providers of {root} could not give every block ({pending.Count} missing)");
        var size = root.Codec == Cid.Raw ? (ulong)rootBlock.Length : (await UnixFsReader.StatAsync(root, new OneBlock(root, rootBlock), ct)).Size;
        var file = options.NewFile(root, size, null, null, now);
        await sink.CompleteAsync(file);
        log.LogInformation("Fetched {Cid}: {Blocks} blocks, {Bytes} bytes", root, blocks, total);
        return store.StoredFile(root) ?? file;

        // A block now here (fetched, or found on this node): its sizes against every claim made of it, and its parts queued.
        void Examine(Cid cid, byte[] data)
        {
            if (cid == root) rootBlock = data;
            try
            {
                if (UnixFsClaims.ContentSize(cid, data) is { } n)
                {
                    holds[cid] = n;
                    if (claimed.Remove(cid, out var said)) UnixFsClaims.CheckPart(cid, n, said);
                }
                foreach (var (part, size) in UnixFsClaims.Check(cid, data))
                    if (holds.TryGetValue(part, out var h) ? h != size : claimed.TryGetValue(part, out var other) ? other != size : !claimed.TryAdd(part, size))
                        throw new FormatException($"{cid} says {part} holds {size} bytes; it, or another part of the file, says otherwise");
            }
            catch (FormatException e) { throw new FileRefusedException("unsupported", 422, $"{root} holds a block this node will not keep: {e.Message}"); }
            FileService.CheckApparentSize(cid, data, options);
            if (cid.Codec != Cid.DagPb) return;
            PbNode node;
            try { node = PbNode.Decode(data); }
            catch (FormatException e) { throw new FileRefusedException("unsupported", 422, $"{root} holds a block this node cannot read: {e.Message}"); }
            FileService.CheckLinks(linkCount += node.Links.Count, root, options);
            foreach (var l in node.Links)
                if (seen.Add(l.Hash)) pending.Enqueue(l.Hash);
        }

        // The check against the CID runs here, on the request's own task, so several run at once.
        async Task<(Cid, Peer, byte[]?, bool, TimeSpan, bool)> Ask(Cid cid, Peer peer)
        {
            var asked = time.GetTimestamp();
            var answer = await dht.RequestAsync<FileBlock>(peer, n => new GetFileBlock(n, cid.ToBytes()), ct);
            var data = answer is { Answer: { Found: true } b } && b.Cid.AsSpan().SequenceEqual(cid.Bytes) ? b.Data : null;
            return (cid, peer, data, data is not null && cid.Matches(data), time.GetElapsedTime(asked), answer is not null);
        }
    }

    private sealed class OneBlock(Cid cid, byte[] block) : IBlockSource
    {
        public ValueTask<byte[]?> GetAsync(Cid c, CancellationToken ct) => ValueTask.FromResult(c == cid ? block : null);
    }
}
