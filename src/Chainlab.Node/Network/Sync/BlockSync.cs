using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Sync;

/// <summary>
/// Catching up with peers that are ahead. Forward sync fetches windows of up to 128 blocks from several
/// peers in parallel (planned by <see cref="SyncPlanner{TPeer}"/>) and imports them strictly in height order
/// through the import pipeline. A window whose first block does not join our chain means the peer is on
/// another branch: a probe then walks back (8, 16, 32, ... blocks) from that peer until its blocks connect,
/// and fork choice in the import pipeline does the rest. With finality on, sync starts from the final
/// checkpoint: nothing at or below it is fetched from another branch, and a probe never walks back past it.
/// </summary>
internal sealed class BlockSync(IChainReader chain, IBlockImport import, IPeerLinks links, PeerOptions options,
    TimeProvider time, Random random, ILogger log)
{
    private readonly object _gate = new();
    private readonly SyncPlanner<Peer> _planner = new(random, WireLimits.MaxBlocksPerMessage, requestTimeoutMs: (ulong)options.RequestTimeout.TotalMilliseconds);
    private readonly long _startedAt = time.GetTimestamp();
    private int _importing;
    private CancellationToken _stop;

    public void Start(CancellationToken stop) => _stop = stop;

    private static int InFlight(Peer p) { lock (p.Requests) return p.Requests.Count; }

    /// <summary>Plans and sends block requests toward the best known height, then imports what is ready.</summary>
    public void Pump()
    {
        // Right after start, give the bootstrap peers a moment to link up, so the first (largest) sync is
        // spread over them rather than taken by whichever answered first.
        if (time.GetElapsedTime(_startedAt) < options.SyncGatherTime && links.Linked.Count < Math.Min(3, options.Bootstrap.Count + options.BootstrapHosts.Count)) return;
        SyncPlanner<Peer>.Plan plan;
        lock (_gate)
        {
            // Nothing requested and nobody ahead (a settled node's round): nothing to plan, time out or import.
            var height = chain.Head.Height;
            if (_planner.Empty && !links.Linked.Any(p => p.BestHeight > height)) return;
            var peers = links.Linked.Select(p => new SyncPlanner<Peer>.PeerView(p, p.BestHeight, InFlight(p),
                Preferred: p.Outbound || p.BlocksReceived > 0)).ToList();
            plan = _planner.Next(chain.Head.Height, peers, NowMs);
            foreach (var (peer, from, count) in plan.Requests) peer.AddRequest(new BlockRequest(from, count, Probe: false));
        }
        foreach (var (slow, from) in plan.TimedOut)
        {
            // A peer that does not serve a height it claims loses the claim from there on.
            slow.BestHeight = Math.Min(slow.BestHeight, from - 1);
            Penalise(slow, 5, "block request timed out");
        }
        foreach (var peer in plan.Requests.Select(r => r.Peer).Distinct()) links.FlushRequests(peer);
        TryImport();
    }

    /// <summary>Nothing planned, nobody ahead and no request waiting for an answer on any link: rounds have nothing to look after.</summary>
    public bool Idle
    {
        get
        {
            var height = chain.Head.Height;
            lock (_gate) if (!_planner.Empty) return false;
            foreach (var p in links.Linked) if (p.BestHeight > height || InFlight(p) > 0) return false;
            return true;
        }
    }

    private ulong NowMs => (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Penalise(Peer p, int points, string why)
    {
        try { p.Penalise(points, why); }
        catch (ProtocolViolation) { } // the peer's own read loop bans it when its score is checked
    }

    /// <summary>A peer announced a block: catch up if it is ahead, or probe its branch if it is a competing one.</summary>
    public void OnAnnounce(Peer peer, AnnounceBlock b)
    {
        peer.BestHeight = chain.CapClaim(b.Height);
        var head = chain.Head;
        if (b.Height > head.Height) Pump();
        else if (b.Height + Blockchain.MaxReorgDepth > head.Height && b.Height > (chain.FinalizedHeight ?? 0) && !chain.IsKnown(b.Hash, b.Height))
            SendProbe(peer, b.Height, 1); // a competing branch: fetch its tip, then walk back to where it forks
        // A block we do not know at or below the final checkpoint's height is on a branch that can never win: not fetched.
    }

    /// <summary>A peer left: its unanswered windows go to others.</summary>
    public void OnPeerGone(Peer peer, bool pump = true)
    {
        lock (_gate) _planner.Forget(peer);
        if (pump) Pump();
    }

    /// <summary>
    /// Blocks a peer sent that the node throws away (PeerNetwork.Deaf): they still answer the oldest request on
    /// the link, which goes, and its window returns to the plan; so a later answer is paired with its own request
    /// and no honest peer is punished for an answer that was dropped.
    /// </summary>
    public void Discard(Peer peer)
    {
        lock (peer.Requests) peer.Requests.TryDequeue(out _);
        lock (_gate) _planner.Forget(peer);
    }

    /// <summary>Blocks a peer sent: they answer the oldest request on that link.</summary>
    public async Task OnBlocks(Peer peer, Blocks b)
    {
        BlockRequest? request;
        lock (peer.Requests) peer.Requests.TryDequeue(out request);
        if (request is null) { peer.Penalise(20, "sent blocks nobody asked for"); return; }
        if (b.Raw.Count > request.Count) throw new ProtocolViolation($"sent {b.Raw.Count} blocks for a request of {request.Count}");
        var blocks = new List<Block>(b.Raw.Count);
        foreach (var raw in b.Raw)
        {
            Block block;
            try { block = options.DecodeBlock is { } decode ? decode(raw) : Block.Decode(raw); }
            catch (DecodeException e) { throw new ProtocolViolation("sent an undecodable block: " + e.Message); }
            if (block.Height != request.From + (ulong)blocks.Count) throw new ProtocolViolation($"sent block {block.Height} where {request.From + (ulong)blocks.Count} was asked for");
            blocks.Add(block);
        }
        peer.Delivered(blocks.Count);
        if (request.Probe) { await ImportProbe(peer, blocks); return; }
        lock (_gate)
        {
            // The peer does not have these (any more): plan with what it does have.
            if (_planner.Delivered(request.From, blocks) is { } missing && missing > 0) peer.BestHeight = Math.Min(peer.BestHeight, missing - 1);
        }
        Pump();
    }

    private void TryImport()
    {
        lock (_gate) if (!_planner.HasReady) return;
        if (Interlocked.CompareExchange(ref _importing, 1, 0) != 0) return;
        _ = links.Spawn(ImportReadyWindows);
    }

    private async Task ImportReadyWindows()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                SyncPlanner<Peer>.Window? w;
                lock (_gate) w = _planner.TakeReady();
                if (w is null) break;
                var status = await ImportRun(w.Peer, w.Blocks!);
                if (status is ImportStatus.Orphan or ImportStatus.Rejected)
                {
                    // The rest was planned on a chain that does not join ours (or came from a bad peer).
                    lock (_gate) _planner.Clear();
                    if (status == ImportStatus.Orphan && w.Peer is { } forked) StartProbe(forked, w.From);
                    break;
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException) { return; }
        finally { Volatile.Write(ref _importing, 0); }
        Pump();
    }

    /// <summary>Imports consecutive blocks from one peer; the status of the last one handled (Orphan only for the first).</summary>
    private async Task<ImportStatus> ImportRun(Peer? peer, IReadOnlyList<Block> blocks)
    {
        var status = ImportStatus.Known;
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            if (i + 1 < blocks.Count) import.VerifyAhead(blocks[i + 1]);
            var result = await import.ImportAsync(block);
            status = result.Status;
            if (status == ImportStatus.Orphan) return status;
            if (status == ImportStatus.Rejected)
            {
                // A forged block (bad seal, roots that do not match its body) bans at once: no honest node serves one.
                // Any other invalid block is half the way to a ban: an honest peer serves one only by a rare race (a
                // clock a little ahead, say), a lying one (sync poisoning) keeps doing it and is gone at the second.
                if (peer is not null) Penalise(peer, result.Forged ? 100 : 50, $"sent {(result.Forged ? "a forged" : "an invalid")} block {block.Height}: {result.Reason}");
                log.LogWarning("Block {Height} from {Id} rejected: {Reason}", block.Height, peer?.Id ?? "-", result.Reason);
                return status;
            }
        }
        return status;
    }

    private void SendProbe(Peer peer, ulong from, uint count)
    {
        lock (peer.Requests)
        {
            if (peer.Requests.Any(r => r.Probe)) return;
            peer.AddRequest(new BlockRequest(from, count, Probe: true));
        }
        links.FlushRequests(peer);
    }

    /// <summary>Asks a forked peer for blocks further back, doubling the distance each time.</summary>
    private void StartProbe(Peer peer, ulong orphanHeight)
    {
        peer.ProbeBack = peer.ProbeBack == 0 ? 8 : peer.ProbeBack * 2;
        var from = ProbeStart(orphanHeight, peer.ProbeBack, chain.FinalizedHeight);
        if (from is null)
        {
            if (peer.ProbeBack > 2 * Blockchain.MaxReorgDepth)
                log.LogWarning("Peer {Id} is on a branch that forks more than {Depth} blocks back; ignoring it", peer.Id, Blockchain.MaxReorgDepth);
            else if (chain.FinalizedHeight is { } final)
                log.LogWarning("Peer {Id} is on a branch that forks below the final checkpoint at {Final}; ignoring it", peer.Id, final);
            else
                log.LogWarning("Peer {Id} is on a branch that does not join ours even at height 1; ignoring it", peer.Id);
            peer.ProbeBack = 0;
            return;
        }
        SendProbe(peer, from.Value, (uint)WireLimits.MaxBlocksPerMessage);
    }

    /// <summary>
    /// Where a probe for a branch whose block at <paramref name="orphanHeight"/> did not join ours starts, walking
    /// <paramref name="probeBack"/> blocks back; null when there is nowhere left to look. Sync never looks at or below
    /// the final checkpoint: a block there that is not ours can never join the chain, so a branch whose block just
    /// above the final height does not join forks below it and is given up.
    /// </summary>
    internal static ulong? ProbeStart(ulong orphanHeight, ulong probeBack, ulong? finalHeight)
    {
        if (probeBack > 2 * (ulong)Blockchain.MaxReorgDepth) return null;
        var floor = (finalHeight ?? 0) + 1;
        if (orphanHeight <= floor) return null;
        return orphanHeight > probeBack ? Math.Max(floor, orphanHeight - probeBack) : floor;
    }

    private async Task ImportProbe(Peer peer, List<Block> blocks)
    {
        if (blocks.Count == 0) { peer.ProbeBack = 0; return; }
        var status = await ImportRun(peer, blocks);
        if (status == ImportStatus.Orphan) { StartProbe(peer, blocks[0].Height); return; }
        peer.ProbeBack = 0;
        if (status == ImportStatus.Rejected) return;
        // Joined: follow this peer's branch up to its tip; fork choice switches when it is heavier.
        var last = blocks[^1].Height;
        if (last < peer.BestHeight) SendProbe(peer, last + 1, (uint)Math.Min(WireLimits.MaxBlocksPerMessage, peer.BestHeight - last));
        else Pump();
    }
}
