using Chainlab.Node.Common;
using Chainlab.Node.Hosting;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chainlab.Node;
using Chainlab.Node.Network.Peers;

namespace Chainlab.TestSupport.Simulation;

/// <summary>
/// Links between nodes in one process, without sockets: each node gets a transport with an address
/// (127.0.0.1 and a made-up port). A link is a pair of in-memory byte queues whose readers resume on the
/// scheduler they waited on, so no thread pool is involved and a deterministic scheduler sees every step. The
/// network can be split into groups (links between groups are cut, new ones refused) and healed.
/// </summary>
public sealed class MemoryNetwork
{
    private readonly ConcurrentDictionary<int, Listener> _listeners = new();
    private readonly List<(int A, int B, MemoryStreamEnd EndA, MemoryStreamEnd EndB)> _links = new();
    private readonly Dictionary<int, int> _groupOf = new();
    private int _nextPort = 40_000;
    private bool _split;

    public ITransport ForNode() => new Transport(this);

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

    private sealed class Transport(MemoryNetwork net) : ITransport
    {
        private int _port;

        public IPeerListener Listen(string address, int port)
        {
            _port = port != 0 ? port : Interlocked.Increment(ref net._nextPort);
            var l = new Listener(_port, () => net._listeners.TryRemove(_port, out _));
            if (!net._listeners.TryAdd(_port, l)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            return l;
        }

        public Task<PeerLink> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
        {
            lock (net._links)
            {
                if (!net._listeners.TryGetValue(endpoint.Port, out var listener) || !net.Allowed(_port, endpoint.Port))
                    throw new SocketException((int)SocketError.ConnectionRefused);
                var (mine, theirs) = MemoryStreamEnd.Pair();
                net._links.Add((_port, endpoint.Port, mine, theirs));
                // The accepting side sees the dialer at its own listen port; ephemeral ports do not matter here.
                listener.Offer(new PeerLink(theirs, new IPEndPoint(IPAddress.Loopback, _port)));
                return Task.FromResult(new PeerLink(mine, new IPEndPoint(IPAddress.Loopback, endpoint.Port)));
            }
        }
    }

    private sealed class Listener(int port, Action remove) : IPeerListener
    {
        private readonly WorkQueue<PeerLink> _pending = new();
        public int Port => port;
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
    private byte[] _current = [];
    private int _offset;
    private bool _closed;

    public static (MemoryStreamEnd, MemoryStreamEnd) Pair()
    {
        var a = new MemoryStreamEnd();
        var b = new MemoryStreamEnd();
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
        if (_closed || _other is null || !_other._incoming.TryWrite(buffer.ToArray())) throw new IOException("link closed");
        return ValueTask.CompletedTask;
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
