using System.Threading.Channels;

namespace Chainlab.Node.Events;

/// <summary>
/// Fans events out to subscribers. Each subscriber has a bounded queue that drops its oldest
/// events when it falls behind, so a slow client never slows the chain.
/// </summary>
public sealed class EventHub
{
    private readonly object _lock = new();
    private readonly List<Channel<ChainEvent>> _subscribers = new();

    public void Publish(ChainEvent e)
    {
        lock (_lock)
            foreach (var s in _subscribers) s.Writer.TryWrite(e);
    }

    public Subscription Subscribe(int capacity = 1024)
    {
        var ch = Channel.CreateBounded<ChainEvent>(new BoundedChannelOptions(capacity)
        { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock) _subscribers.Add(ch);
        return new Subscription(ch.Reader, () => { lock (_lock) _subscribers.Remove(ch); ch.Writer.TryComplete(); });
    }

    public sealed class Subscription(ChannelReader<ChainEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<ChainEvent> Reader { get; } = reader;
        public void Dispose() => unsubscribe();
    }
}
