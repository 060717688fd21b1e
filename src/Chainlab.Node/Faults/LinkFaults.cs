using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Faults;

/// <summary>How one link behaves: delay of every message, its random spread, and the share of gossip lost.</summary>
/// <param name="LatencyMs">Added to every message sent on the link.</param>
/// <param name="JitterMs">Each message's delay varies by up to this much either way.</param>
/// <param name="Loss">Share (0..1) of gossip messages (announcements and transactions) dropped. Requests and
/// their answers are never dropped: a lost answer would stall sync until its time-out, which a real TCP link
/// does not do either.</param>
public sealed record LinkShape(double LatencyMs = 0, double JitterMs = 0, double Loss = 0);

/// <summary>A node's faults as the devnet control route sets them (all at once; an empty object heals everything).</summary>
/// <param name="Cut">Peers (node ids, the 16 hex digits the peers route shows) this node may not link to.</param>
/// <param name="Links">Shapes of the links to some peers; the peer "*" stands for every other one.</param>
/// <param name="ClockSkewMs">Added to this node's wall clock (block times, future-block checks).</param>
public sealed record FaultSettings(IReadOnlyList<string>? Cut = null, IReadOnlyDictionary<string, LinkShape>? Links = null, long ClockSkewMs = 0)
{
    public static readonly FaultSettings None = new();
}

/// <summary>
/// Faults put into a node's own links by the adversary lab (devnets only): cut links (partitions) and
/// shaped ones (latency, jitter, loss). The peer network asks it before keeping a link and before each send.
/// </summary>
public sealed class LinkFaults(Random random) : ILinkFaults
{
    private volatile FaultSettings _settings = FaultSettings.None;
    private HashSet<string> _cut = [];

    public FaultSettings Settings => _settings;

    /// <summary>Raised after the settings change (the peer network drops links that are now cut).</summary>
    public event Action? Changed;

    public void Set(FaultSettings settings)
    {
        foreach (var (peer, shape) in settings.Links ?? new Dictionary<string, LinkShape>())
            if (shape.LatencyMs < 0 || shape.JitterMs < 0 || shape.Loss is < 0 or > 1 || double.IsNaN(shape.Loss))
                throw new ArgumentException($"link to {peer}: latency and jitter must be 0 or more, loss between 0 and 1");
        _cut = new HashSet<string>(settings.Cut ?? [], StringComparer.OrdinalIgnoreCase);
        _settings = settings;
        Changed?.Invoke();
    }

    /// <summary>May this node keep a link to the peer with this id?</summary>
    public bool IsCut(string peerId) => _cut.Contains(peerId);

    /// <summary>How long to hold a message for this peer, or null to drop it.</summary>
    public TimeSpan? Delay(string peerId, MessageType type)
    {
        var links = _settings.Links;
        if (links is null || links.Count == 0) return TimeSpan.Zero;
        if (!links.TryGetValue(peerId, out var shape) && !links.TryGetValue("*", out shape)) return TimeSpan.Zero;
        double r1, r2;
        lock (random) { r1 = random.NextDouble(); r2 = random.NextDouble(); }
        if (shape.Loss > 0 && IsGossip(type) && r1 < shape.Loss) return null;
        var ms = Math.Max(0, shape.LatencyMs + shape.JitterMs * (2 * r2 - 1));
        return TimeSpan.FromMilliseconds(ms);
    }

    private static bool IsGossip(MessageType t) => t is MessageType.AnnounceBlock or MessageType.AnnounceTxs or MessageType.Txs;
}
