using Chainlab.Node.Common;
using Chainlab.Node.Hosting;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using System.Net.Sockets;
using Chainlab.Node;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Sim.Network;

/// <summary>
/// Links between nodes in one process, without sockets: each node gets a transport with an address
/// (127.0.0.1 and a made-up port). A link is a pair of in-memory byte queues whose readers resume on the
/// scheduler they waited on, so no thread pool is involved and a deterministic scheduler sees every step. The
/// network can be split into groups (links between groups are cut, new ones refused) and healed. With an
/// <see cref="InternetModel"/> and a clock, each write arrives when the model says (bandwidth, queueing, latency),
/// on a timer of that clock; without one, at once. With a checking cost (milliseconds per 1,000 bytes), each node
/// also works through what it receives one write at a time, in the order it arrived, before reading it: the time a
/// real node spends checking a block before it relays it.
/// </summary>
public sealed class MemoryNetwork(InternetModel? model = null, TimeProvider? clock = null, int seed = 0, double checkMsPerKilobyte = 0)
{
    private readonly ConcurrentDictionary<int, Processor> _processors = new();
    private readonly ConcurrentDictionary<int, Listener> _listeners = new();
    private readonly List<(int A, int B, MemoryStreamEnd EndA, MemoryStreamEnd EndB)> _links = new();
    private readonly Dictionary<int, int> _groupOf = new();
    private readonly ConcurrentDictionary<int, Traffic> _traffic = new();
    private readonly Random _random = new(seed);
    private int _nextPort = 40_000;
    private bool _split;

    /// <summary>A node's transport; its region (an index into the model's regions) sets its links' bandwidth and latency.</summary>
    public ITransport ForNode(int region = 0)
    {
        if (model is not null && (region < 0 || region >= model.Regions.Count)) throw new ArgumentOutOfRangeException(nameof(region));
        if (model is not null && clock is null) throw new InvalidOperationException("a modelled network needs the clock its deliveries wait on");
        return new Transport(this, region);
    }

    /// <summary>Writes and bytes the node listening on this port has sent so far.</summary>
    public (long Writes, long Bytes) SentBy(int port) => _traffic.TryGetValue(port, out var t) ? (t.Writes, t.Bytes) : (0, 0);

    /// <summary>Counts one node's sending.</summary>
    public sealed class Traffic
    {
        private long _writes, _bytes;
        public long Writes => Interlocked.Read(ref _writes);
        public long Bytes => Interlocked.Read(ref _bytes);
        public void Add(long bytes) { Interlocked.Increment(ref _writes); Interlocked.Add(ref _bytes, bytes); }
    }

    /// <summary>How one end's writes reach the other: the clock to wait on, the link direction's queue, and the receiver's processor (null: reading costs no time).</summary>
    public sealed record Delivery(TimeProvider Clock, LinkQueue Queue, Traffic Sender, Processor? Receiver = null);

    /// <summary>
    /// One node's checking of what it receives: one write at a time, first come first served, at a fixed cost per
    /// byte; returns when the write just arrived is checked.
    /// </summary>
    public sealed class Processor(double msPerKilobyte)
    {
        private DateTimeOffset _free;

        public DateTimeOffset Take(DateTimeOffset arrived, int bytes)
        {
            lock (this)
            {
                var start = arrived > _free ? arrived : _free;
                // At least a tick: two writes arriving at one instant are checked one after the other, in order.
                _free = start + TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(bytes * msPerKilobyte * TimeSpan.TicksPerMillisecond / 1000)));
                return _free;
            }
        }
    }

    /// <summary>Puts the nodes listening on these ports into numbered groups and cuts every link between groups.</summary>
    public void Split(params int[][] groups)
    {
        lock (_links)
        {
            _groupOf.Clear();
            for (var g = 0; g < groups.Length; g++) foreach (var p in groups[g]) _groupOf[p] = g;
            _split = true;
            foreach (var l in _links.Where(l => !Allowed(l.A, l.B)).ToList())
            {
                l.EndA.Cut();
                l.EndB.Cut();
                _links.Remove(l);
            }
        }
    }

    public void Heal() { lock (_links) _split = false; }

    private bool Allowed(int a, int b) => !_split || !_groupOf.TryGetValue(a, out var ga) || !_groupOf.TryGetValue(b, out var gb) || ga == gb;

    private sealed class Transport(MemoryNetwork net, int region) : ITransport
    {
        private int _port;

        public IPeerListener Listen(string address, int port)
        {
            _port = port != 0 ? port : Interlocked.Increment(ref net._nextPort);
            var l = new Listener(_port, region, () => net._listeners.TryRemove(_port, out _));
            if (!net._listeners.TryAdd(_port, l)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            return l;
        }

        public Task<PeerLink> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
        {
            lock (net._links)
            {
                if (!net._listeners.TryGetValue(endpoint.Port, out var listener) || !net.Allowed(_port, endpoint.Port))
                    throw new SocketException((int)SocketError.ConnectionRefused);
                var (mine, theirs) = MemoryStreamEnd.Pair(net.Deliveries(_port, region, endpoint.Port, listener.Region));
                net._links.Add((_port, endpoint.Port, mine, theirs));
                // The accepting side sees the dialer at its own listen port; ephemeral ports do not matter here.
                listener.Offer(new PeerLink(theirs, new IPEndPoint(IPAddress.Loopback, _port)));
                return Task.FromResult(new PeerLink(mine, new IPEndPoint(IPAddress.Loopback, endpoint.Port)));
            }
        }
    }

    /// <summary>The two directions of a new link (null for instant links).</summary>
    private (Delivery AtoB, Delivery BtoA)? Deliveries(int portA, int regionA, int portB, int regionB)
    {
        if (model is null) return null;
        lock (_random)
        {
            var a = _traffic.GetOrAdd(portA, _ => new Traffic());
            var b = _traffic.GetOrAdd(portB, _ => new Traffic());
            Processor? Of(int port) => checkMsPerKilobyte > 0 ? _processors.GetOrAdd(port, _ => new Processor(checkMsPerKilobyte)) : null;
            return (new Delivery(clock!, new LinkQueue(model, regionA, regionB, new Random(_random.Next())), a, Of(portB)),
                new Delivery(clock!, new LinkQueue(model, regionB, regionA, new Random(_random.Next())), b, Of(portA)));
        }
    }

    private sealed class Listener(int port, int region, Action remove) : IPeerListener
    {
        private readonly WorkQueue<PeerLink> _pending = new();
        public int Port => port;
        public int Region => region;
        public void Offer(PeerLink link) => _pending.TryWrite(link);

        public async Task<PeerLink> AcceptAsync(CancellationToken ct)
        {
            while (await _pending.WaitToReadAsync(ct))
                if (_pending.TryRead(out var link)) return link;
            throw new ObjectDisposedException("listener");
        }

        public void Dispose() { remove(); _pending.Complete(); }
    }
}

/// <summary>One end of an in-memory duplex byte stream.</summary>
public sealed class MemoryStreamEnd : Stream
{
    private readonly WorkQueue<byte[]> _incoming = new();
    private MemoryStreamEnd? _other;
    private MemoryNetwork.Delivery? _delivery;
    private byte[] _current = [];
    private int _offset;
    private bool _closed;

    /// <summary>Two connected ends; with deliveries, each end's writes arrive when its direction's queue says.</summary>
    public static (MemoryStreamEnd, MemoryStreamEnd) Pair((MemoryNetwork.Delivery AtoB, MemoryNetwork.Delivery BtoA)? deliveries = null)
    {
        var a = new MemoryStreamEnd { _delivery = deliveries?.AtoB };
        var b = new MemoryStreamEnd { _delivery = deliveries?.BtoA };
        a._other = b;
        b._other = a;
        return (a, b);
    }

    /// <summary>Ends the link both ways: readers see the end of the stream, writers get an error.</summary>
    public void Cut()
    {
        _closed = true;
        _incoming.Complete();
        if (_other is { } o) { o._closed = true; o._incoming.Complete(); }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_offset == _current.Length)
        {
            // Synchronous when data is waiting; otherwise resumed on the reader's scheduler.
            byte[]? next;
            while (!_incoming.TryRead(out next))
                if (!await _incoming.WaitToReadAsync(ct)) return 0;
            _current = next;
            _offset = 0;
        }
        var n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        if (_closed || _other is null) throw new IOException("link closed");
        // The node's Peer writes each frame from a fresh array of its own and never touches it again, so a write of
        // a whole array keeps that array rather than a copy (a block's frame is hundreds of kilobytes, written to a
        // thousand nodes); a part of an array is copied.
        var bytes = MemoryMarshal.TryGetArray(buffer, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length ? whole.Array : buffer.ToArray();
        if (_delivery is not { } d)
        {
            if (!_other._incoming.TryWrite(bytes)) throw new IOException("link closed");
            return ValueTask.CompletedTask;
        }
        d.Sender.Add(bytes.Length);
        var now = d.Clock.GetUtcNow();
        var wait = d.Queue.Send(now, bytes.Length) - now;
        var other = _other;
        // Arrived: handed to the reader at once, or after the receiver has checked it (it checks what arrives in the
        // order it arrives, so a direction's writes stay in order).
        Action arrive = d.Receiver is not { } cpu ? () => other._incoming.TryWrite(bytes) : () =>
        {
            var at = d.Clock.GetUtcNow();
            At(d.Clock, cpu.Take(at, bytes.Length) - at, () => other._incoming.TryWrite(bytes));
        };
        At(d.Clock, wait, arrive);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Runs the action after the wait (at once if none), on a one-shot timer of the simulation's clock; timers due at
    /// one instant fire in the order they were set, and a direction's deliveries never go backwards.
    /// </summary>
    private static void At(TimeProvider clock, TimeSpan wait, Action action)
    {
        if (wait <= TimeSpan.Zero) { action(); return; }
        ITimer? timer = null;
        timer = clock.CreateTimer(_ => { action(); timer?.Dispose(); }, null, wait, Timeout.InfiniteTimeSpan);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("in-memory links are asynchronous only");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("in-memory links are asynchronous only");
    public override void Flush() { }
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Cut();
        base.Dispose(disposing);
    }
}
