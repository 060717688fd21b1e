using System.Threading.Channels;

namespace Chainlab.Node.Events;

/// <summary>
/// The event stream for clients (SSE, the CLI, the dashboard): one subscriber of <see cref="NodeEvents"/>
/// that turns node events into client events and fans them out. Each client has a bounded queue that drops
/// its oldest events when it falls behind, so a slow client never slows the node; the node's own parts
/// never listen here.
/// </summary>
public sealed class EventHub : IDisposable
{
    private readonly object _lock = new();
    private readonly List<Channel<ChainEvent>> _subscribers = new();
    private readonly IDisposable _source;

    public EventHub(NodeEvents events) => _source = events.Subscribe(e => { if (ToClient(e) is { } c) Publish(c); });

    /// <summary>The client form of a node event, or null for events clients do not get.</summary>
    public static ChainEvent? ToClient(NodeEvent e) => e switch
    {
        HeadChanged { Head: var h } => new ChainEvent("head", new HeadEvent(h.Height, h.Hash.ToString(), h.TxCount, h.TimestampMs, h.StateRoot.ToString())),
        TransactionsAdmitted t => new ChainEvent("transactions", new { count = t.Hashes.Count, hashes = t.Hashes.Take(100).Select(h => h.ToString()) }),
        Finalised f => new ChainEvent("finalized", new { height = f.Checkpoint.Height, hash = f.Checkpoint.Hash.ToString() }),
        Reorganised r => new ChainEvent("reorg", new { depth = r.Depth, from = r.From.Hash.ToString(), to = r.To.Hash.ToString(), height = r.To.Height, orphaned = r.Orphaned }),
        EquivocationSeen q => new ChainEvent("equivocation", new
        {
            producer = Convert.ToHexStringLower(q.First.Producer), timestampMs = q.First.TimestampMs,
            first = q.First.Hash.ToString(), second = q.Second.Hash.ToString(),
        }),
        BlockConnected b when b.Receipts.Any(r => r.Contract is { Events.Count: > 0 }) => new ChainEvent("contract-events", new
        {
            height = b.Block.Height,
            events = b.Receipts.Where(r => r.Contract is { Events.Count: > 0 }).SelectMany(r => r.Contract!.Events.Select((e, i) => new
            {
                tx = r.TxHash.ToString(), index = i, contract = e.Contract.ToString(), name = e.Name,
                value = Chainlab.Contracts.ContractValue.Decode(e.Value).ToJson(),
            })),
        }),
        _ => null,
    };

    private void Publish(ChainEvent e)
    {
        lock (_lock)
            foreach (var s in _subscribers) s.Writer.TryWrite(e);
    }

    /// <summary>A new client queue, or null when <paramref name="limit"/> streams are already open.</summary>
    public Subscription? TrySubscribe(int limit, int capacity = 1024)
    {
        var ch = Channel.CreateBounded<ChainEvent>(new BoundedChannelOptions(capacity)
        { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            if (_subscribers.Count >= limit) return null;
            _subscribers.Add(ch);
        }
        return new Subscription(ch.Reader, () => { lock (_lock) _subscribers.Remove(ch); ch.Writer.TryComplete(); });
    }

    public Subscription Subscribe(int capacity = 1024) => TrySubscribe(int.MaxValue, capacity)!;

    public void Dispose() => _source.Dispose();

    public sealed class Subscription(ChannelReader<ChainEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<ChainEvent> Reader { get; } = reader;
        public void Dispose() => unsubscribe();
    }
}
