using Chainlab.Core.Model;

namespace Chainlab.Node.Network.Sync;

/// <summary>
/// The pure part of forward sync: splits the heights between our head and the best peer's into windows,
/// gives each window to a peer that has those blocks (a preferred one if any has room, then the least busy,
/// ties broken by the injected random source), takes a window back from a peer that did not answer in time, and hands out the windows whose
/// blocks arrived strictly in height order. No sockets, no clock, no threads: the caller passes the time
/// and does the sending and importing. Not thread-safe: the caller holds one lock around it.
/// </summary>
/// <typeparam name="TPeer">Whatever identifies a peer to the caller.</typeparam>
public sealed class SyncPlanner<TPeer>(Random random, int windowSize = 128, int maxWindows = 16, int maxRequestsPerPeer = 2,
    ulong requestTimeoutMs = 10_000) where TPeer : class
{
    /// <summary>
    /// A peer as the planner sees it: what it claims to have, how many of our requests it is serving, and
    /// whether it is trusted more (one we dialed ourselves, or one that has delivered blocks): such peers get
    /// windows first, so a crowd of strangers that claim much and serve nothing cannot hold sync up.
    /// </summary>
    public readonly record struct PeerView(TPeer Peer, ulong BestHeight, int InFlight, bool Preferred = false);

    /// <summary>A range of heights to fetch, who was asked for it and what came back.</summary>
    public sealed class Window
    {
        public ulong From { get; internal set; }
        public uint Count { get; internal set; }
        public TPeer? Peer { get; internal set; }
        public ulong SentAtMs { get; internal set; }
        public IReadOnlyList<Block>? Blocks { get; internal set; }
        public ulong Last => From + Count - 1;
    }

    /// <summary>What the caller should do now: send these requests; penalise these slow peers (with the window they did not serve).</summary>
    public sealed record Plan(IReadOnlyList<(TPeer Peer, ulong From, uint Count)> Requests, IReadOnlyList<(TPeer Peer, ulong From)> TimedOut);

    private readonly SortedDictionary<ulong, Window> _windows = new();

    public IReadOnlyCollection<Window> Windows => _windows.Values;

    /// <summary>No window planned, in flight or waiting to be imported.</summary>
    public bool Empty => _windows.Count == 0;

    /// <summary>
    /// Drops windows our head has passed, takes windows back from peers that timed out, adds windows up to the
    /// best peer's height, and assigns the unassigned ones. <paramref name="inFlight"/> counts requests the
    /// caller has outstanding with each peer (windows and probes).
    /// </summary>
    public Plan Next(ulong head, IReadOnlyList<PeerView> peers, ulong nowMs)
    {
        foreach (var passed in _windows.Values.Where(w => w.Last <= head && w.Blocks is null).Select(w => w.From).ToList())
            _windows.Remove(passed);
        var timedOut = new List<(TPeer, ulong)>();
        foreach (var w in _windows.Values)
            if (w.Blocks is null && w.Peer is { } slow && nowMs - Math.Min(nowMs, w.SentAtMs) > requestTimeoutMs)
            {
                timedOut.Add((slow, w.From));
                w.Peer = null;
            }

        var target = peers.Count == 0 ? 0 : peers.Max(p => p.BestHeight);
        var next = head + 1;
        if (_windows.Count > 0) next = Math.Max(next, _windows.Values.Last().Last + 1);
        while (next <= target && _windows.Count < maxWindows)
        {
            var count = (uint)Math.Min((ulong)windowSize, target - next + 1);
            _windows[next] = new Window { From = next, Count = count };
            next += count;
        }

        var load = peers.ToDictionary(p => p.Peer, p => p.InFlight);
        var requests = new List<(TPeer, ulong, uint)>();
        foreach (var w in _windows.Values.Where(w => w.Peer is null && w.Blocks is null))
        {
            var candidates = peers.Where(p => p.BestHeight >= w.From && load[p.Peer] < maxRequestsPerPeer).ToList();
            if (candidates.Count == 0) continue;
            if (candidates.Any(p => p.Preferred)) candidates = candidates.Where(p => p.Preferred).ToList();
            var least = candidates.Min(p => load[p.Peer]);
            var tied = candidates.Where(p => load[p.Peer] == least).ToList();
            var chosen = tied[random.Next(tied.Count)].Peer;
            w.Peer = chosen;
            w.SentAtMs = nowMs;
            load[chosen]++;
            requests.Add((chosen, w.From, w.Count));
        }
        // Windows still waiting on a stranger are asked again of a preferred peer with room, lowest first: the
        // strangers may have linked (and taken every window) before the peer we dialed did. Whichever answer
        // comes first fills the window; a later one is ignored.
        var preferred = peers.Where(p => p.Preferred).Select(p => p.Peer).ToHashSet();
        if (preferred.Count > 0)
            foreach (var w in _windows.Values.Where(w => w.Blocks is null && w.Peer is { } held && !preferred.Contains(held)).ToList())
            {
                var takers = peers.Where(p => p.Preferred && p.BestHeight >= w.From && load[p.Peer] < maxRequestsPerPeer).ToList();
                if (takers.Count == 0) break;
                var taker = takers.MinBy(p => load[p.Peer]).Peer;
                w.Peer = taker;
                w.SentAtMs = nowMs;
                load[taker]++;
                requests.Add((taker, w.From, w.Count));
            }
        return new Plan(requests, timedOut);
    }

    /// <summary>
    /// The blocks a peer sent for the window starting at from. None means it does not have them (the window is
    /// given to someone else); fewer than asked splits off the rest as a new window. Returns the height the peer
    /// evidently does not reach, when it sent nothing, so the caller can lower its view of that peer.
    /// </summary>
    public ulong? Delivered(ulong from, IReadOnlyList<Block> blocks)
    {
        if (!_windows.TryGetValue(from, out var w) || w.Blocks is not null) return null;
        if (blocks.Count == 0)
        {
            w.Peer = null;
            return from;
        }
        w.Blocks = blocks;
        if (blocks.Count < w.Count)
        {
            var rest = new Window { From = w.From + (ulong)blocks.Count, Count = w.Count - (uint)blocks.Count };
            _windows[rest.From] = rest;
            w.Count = (uint)blocks.Count;
        }
        return null;
    }

    /// <summary>Is the lowest window complete (so importing can start)?</summary>
    public bool HasReady => _windows.Count > 0 && _windows.Values.First().Blocks is not null;

    /// <summary>Removes and returns the lowest window when its blocks are all here; null otherwise.</summary>
    public Window? TakeReady()
    {
        if (!HasReady) return null;
        var w = _windows.Values.First();
        _windows.Remove(w.From);
        return w;
    }

    /// <summary>A peer left: its unanswered windows go back to the pool.</summary>
    public void Forget(TPeer peer)
    {
        foreach (var w in _windows.Values) if (w.Peer == peer && w.Blocks is null) w.Peer = null;
    }

    /// <summary>Forgets every window (the chain they were planned on does not join ours).</summary>
    public void Clear() => _windows.Clear();
}
