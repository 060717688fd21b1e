using Chainlab.Node.Common;
namespace Chainlab.Node.Events;

/// <summary>
/// The node's internal events. Handlers run synchronously on the publisher's thread, in publication order,
/// and nothing is ever dropped: a part that needs to do slow work takes a <see cref="Queue"/> (unbounded)
/// and works through it on its own. Clients (the SSE stream) are one subscriber, with their own lossy queues.
/// </summary>
public sealed class NodeEvents
{
    private readonly object _gate = new();
    private Action<NodeEvent>[] _handlers = [];

    /// <summary>Calls every handler with the event; a handler that throws does not stop the others.</summary>
    public void Publish(NodeEvent e)
    {
        foreach (var h in Volatile.Read(ref _handlers))
        {
            try { h(e); }
            catch (Exception ex) { HandlerFailed?.Invoke(e, ex); }
        }
    }

    /// <summary>Raised when a handler throws (the node logs it).</summary>
    public event Action<NodeEvent, Exception>? HandlerFailed;

    public IDisposable Subscribe(Action<NodeEvent> handler)
    {
        lock (_gate) _handlers = [.. _handlers, handler];
        return new Unsubscriber(() => { lock (_gate) _handlers = _handlers.Where(x => x != handler).ToArray(); });
    }

    /// <summary>Typed subscription: only events of type T.</summary>
    public IDisposable Subscribe<T>(Action<T> handler) where T : NodeEvent => Subscribe(e => { if (e is T t) handler(t); });

    /// <summary>An unbounded queue of the events of type T, for a consumer that works asynchronously.</summary>
    public EventQueue<T> Queue<T>() where T : NodeEvent
    {
        var queue = new WorkQueue<T>();
        var sub = Subscribe<T>(e => queue.TryWrite(e));
        return new EventQueue<T>(queue, () => { sub.Dispose(); queue.Complete(); });
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) dispose(); }
    }
}

/// <summary>Events waiting for an asynchronous consumer; disposing unsubscribes (and ends the consumer's wait).</summary>
public sealed class EventQueue<T>(WorkQueue<T> queue, Action dispose) : IDisposable
{
    public WorkQueue<T> Reader { get; } = queue;
    public void Dispose() => dispose();
}
