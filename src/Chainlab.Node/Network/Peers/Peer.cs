using System.Buffers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>One live, handshaken link to another node, with what we know of it.</summary>
public sealed class Peer : IAsyncDisposable
{
    private readonly PeerLink _link;
    private readonly SemaphoreSlim _write = new(1, 1);

    private readonly TimeSpan? _sendTimeout;
    private readonly TimeProvider _time;

    /// <param name="link">The byte stream.</param>
    /// <param name="outbound">Whether we dialed it.</param>
    /// <param name="sendTimeout">A message the peer does not take within this means it stopped reading: the link is closed.</param>
    /// <param name="time">The clock for the send time-out.</param>
    public Peer(PeerLink link, bool outbound, TimeSpan? sendTimeout = null, TimeProvider? time = null)
    {
        _link = link;
        _sendTimeout = sendTimeout;
        _time = time ?? TimeProvider.System;
        Outbound = outbound;
        Remote = link.Remote;
        Host = link.Remote.Address.ToString();
        Address = link.Remote.ToString();
    }

    /// <summary>The far end of the link (Address and Host are its text).</summary>
    public System.Net.IPEndPoint Remote { get; }

    public bool Outbound { get; }
    public string Address { get; }
    public byte[] NodeKey { get; set; } = [];
    public string Host { get; }
    public ushort ListenPort { get; set; }
    public ulong BestHeight { get; set; }
    public double LatencyMs { get; set; }
    /// <summary>New addresses this peer has added to our address book.</summary>
    public int AddressesGiven { get; set; }
    private long _blocksReceived, _lastUsed;
    /// <summary>Blocks this peer delivered for our sync requests.</summary>
    public long BlocksReceived => Interlocked.Read(ref _blocksReceived);
    /// <summary>Counts blocks this peer delivered for our sync requests.</summary>
    public void Delivered(int blocks) => Interlocked.Add(ref _blocksReceived, blocks);
    /// <summary>A short-lived link the DHT made to ask this node something; closed when it has been idle a while.</summary>
    public bool Ephemeral { get; set; }
    /// <summary>When the DHT last used this link (a timestamp of the node's clock).</summary>
    public long LastUsed { get => Interlocked.Read(ref _lastUsed); set => Interlocked.Exchange(ref _lastUsed, value); }
    public string Id => Convert.ToHexStringLower(NodeKey)[..16];

    /// <summary>Starts at 0; misbehaviour lowers it and at <see cref="BanScore"/> the peer is banned. Good behaviour slowly restores it.</summary>
    public int Score => Volatile.Read(ref _score);
    private int _score;
    public const int BanScore = -100;

    /// <summary>Lowers the score; throws ProtocolViolation (disconnect and ban) when it reaches the ban threshold.</summary>
    public void Penalise(int points, string why)
    {
        LastPenalty = why;
        if (Interlocked.Add(ref _score, -points) <= BanScore) throw new ProtocolViolation($"score fell to {Score}: {why}");
    }

    /// <summary>Why the score last went down (the ban's reason when it reached the limit elsewhere).</summary>
    public string? LastPenalty { get; private set; }

    /// <summary>Moves the score one step back toward 0.</summary>
    public void Forgive()
    {
        int s;
        while ((s = Volatile.Read(ref _score)) < 0 && Interlocked.CompareExchange(ref _score, s + 1, s) != s) { }
    }

    // Block requests in the order they go on the wire; replies come back in the same order on one link.
    // A request is queued first and written by FlushRequestsAsync, which takes the unsent ones in queue
    // order while holding the write lock: two threads queueing at once can never put them on the wire in
    // the other order (that used to pair a reply with the wrong request and ban an honest peer).
    internal readonly Queue<BlockRequest> Requests = new();
    private readonly Queue<BlockRequest> _unsent = new();

    /// <summary>Queues a request; call <see cref="FlushRequestsAsync"/> to send it.</summary>
    internal void AddRequest(BlockRequest r)
    {
        lock (Requests) { Requests.Enqueue(r); _unsent.Enqueue(r); }
    }

    internal Task FlushRequestsAsync(CancellationToken ct) => Bounded(async token =>
    {
        await _write.WaitAsync(token);
        try
        {
            while (true)
            {
                BlockRequest? r;
                lock (Requests) if (!_unsent.TryDequeue(out r)) return;
                await _link.Stream.WriteAsync(MessageCodec.Encode(new GetBlocks(r.From, r.Count)), token);
            }
        }
        finally { _write.Release(); }
    }, ct);

    /// <summary>
    /// Runs a write under the send time-out. A peer that stops reading fills its socket buffers until our writes
    /// wait forever, and holds its slot (and our read loop for it) with them: past the time-out the link closes.
    /// Most writes finish at once (room in the socket's buffer, or a simulator's link): those set no timer at all;
    /// the time-out starts when a write has to wait.
    /// </summary>
    private Task Bounded(Func<CancellationToken, Task> write, CancellationToken ct)
    {
        if (_sendTimeout is not { } limit) return write(ct);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task pending;
        try { pending = write(linked.Token); }
        catch { linked.Dispose(); throw; }
        if (pending.IsCompleted)
        {
            linked.Dispose();
            return pending;
        }
        return WaitBounded(pending, linked, limit, ct);
    }

    private async Task WaitBounded(Task pending, CancellationTokenSource linked, TimeSpan limit, CancellationToken ct)
    {
        var timedOut = 0;
        using (linked)
        using (_time.CreateTimer(_ =>
        {
            Volatile.Write(ref timedOut, 1);
            try { linked.Cancel(); } catch (ObjectDisposedException) { } // the write finished as the timer fired
        }, null, limit, Timeout.InfiniteTimeSpan))
        {
            try { await pending; }
            catch (OperationCanceledException) when (Volatile.Read(ref timedOut) == 1 && !ct.IsCancellationRequested)
            {
                await DisposeAsync();
                throw new IOException($"the peer took no message for {limit.TotalSeconds:0.#} s: it stopped reading");
            }
        }
    }
    internal ulong ProbeBack;

    // Messages received by type, for the reason given when a peer is banned for flooding.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<MessageType, long> _received = new();
    internal void Count(MessageType t) => _received.AddOrUpdate(t, 1, (_, n) => n + 1);
    internal string TopMessages() => string.Join(", ", _received.OrderByDescending(kv => kv.Value).Take(3).Select(kv => $"{kv.Value} {kv.Key}"));

    // Message budget (token bucket) against floods.
    private readonly TokenBucket _messages = new(), _dhtRequests = new();

    /// <summary>Takes one message from this peer's budget; false when it is spent (read loop only).</summary>
    internal bool TakeToken(long now, double perSecond, double burst, TimeProvider time) => _messages.Take(now, perSecond, burst, time);

    /// <summary>Takes one DHT routing request from this peer's own, smaller budget (read loop only).</summary>
    internal bool TakeDhtToken(long now, double perSecond, double burst, TimeProvider time) => _dhtRequests.Take(now, perSecond, burst, time);

    private sealed class TokenBucket
    {
        private double _tokens = -1;
        private long _lastRefill;

        public bool Take(long now, double perSecond, double burst, TimeProvider time)
        {
            if (_tokens < 0) { _tokens = burst; _lastRefill = now; }
            _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_lastRefill, now).TotalSeconds * perSecond);
            _lastRefill = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }

    /// <summary>Faults the adversary lab puts on this link (devnets only): delay, jitter, loss.</summary>
    internal ILinkFaults? Faults { get; init; }
    /// <summary>How a message becomes its frame (<see cref="PeerOptions.EncodeFrame"/>); a frame is never written to after.</summary>
    internal Func<Message, byte[]> Encode { get; init; } = MessageCodec.Encode;
    /// <summary>The array a received Blocks message keeps for each block (<see cref="PeerOptions.BlockBytes"/>); null: a copy.</summary>
    internal BlockBytes? BlockBytes { get; init; }

    public async Task SendAsync(Message m, CancellationToken ct)
    {
        if (Faults is { } faults && NodeKey.Length > 0)
        {
            if (faults.Delay(Id, m.Type) is not { } wait) return; // lost on the way
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct);
        }
        var frame = Encode(m);
        await Bounded(async token =>
        {
            await _write.WaitAsync(token);
            try { await _link.Stream.WriteAsync(frame, token); }
            finally { _write.Release(); }
        }, ct);
    }

    /// <summary>Reads one frame: the header's type and length are checked against the caps before the body is read.</summary>
    public async Task<Message> ReadAsync(CancellationToken ct) =>
        await ReadOrEndAsync(ct) ?? throw new EndOfStreamException("the link closed");

    /// <summary>
    /// Reads one frame as <see cref="ReadAsync"/> does, or returns null when the link closed between frames (the
    /// usual end of a link, which a session ends on without an exception; a link closed inside a frame still throws).
    /// A value task from a pool of state machines: a read waits on every link for its next message, and an idle link's
    /// wait lives long enough to be promoted by the collector; await it once.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Message?> ReadOrEndAsync(CancellationToken ct)
    {
        // The reads are awaited here, in loops of our own: one async layer less for every message, and not
        // Stream.ReadExactlyAsync, which resumes with ConfigureAwait(false) and so hops to the thread pool when the read
        // completes on another scheduler (a simulator's deterministic one would lose track of the link). One header
        // buffer per link: a link's frames are read one after another.
        var header = _header;
        for (var got = 0; got < header.Length;)
        {
            var n = await _link.Stream.ReadAsync(header.AsMemory(got), ct);
            if (n == 0 && got == 0) return null;
            if (n == 0) throw new EndOfStreamException("the link closed in the middle of a frame");
            got += n;
        }
        var (type, length) = MessageCodec.ReadHeader(header);
        // Before the handshake only handshake frames (a few hundred bytes at most) are accepted, so a stranger
        // cannot make us reserve a large body.
        if (NodeKey.Length == 0 && type is not (MessageType.Hello or MessageType.HelloAck or MessageType.Disconnect))
            throw new ProtocolViolation($"sent {type} before the handshake; only Hello, HelloAck and Disconnect are accepted then");
        if (length > SmallBody) return await ReadBody(type, length, ct);
        // A small body is read here into a pooled buffer (decoding copies out what the message keeps).
        var small = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            for (var got = 0; got < length;)
            {
                var n = await _link.Stream.ReadAsync(small.AsMemory(got, length - got), ct);
                if (n == 0) throw new EndOfStreamException("the link closed in the middle of a frame");
                got += n;
            }
            return MessageCodec.DecodeBody(type, small.AsSpan(0, length), BlockBytes);
        }
        finally { ArrayPool<byte>.Shared.Return(small); }
    }

    private readonly byte[] _header = new byte[WireLimits.FrameHeaderBytes];
    private const int SmallBody = 64 * 1024;

    // Bodies over 64 KiB grow with what has actually arrived, so a header that announces a huge frame costs memory
    // only as its bytes come in. The growing buffers are the shared pool's and go back to it once the body is decoded
    // (decoding copies out what the message keeps).
    private async Task<Message> ReadBody(MessageType type, int length, CancellationToken ct)
    {
        const int Step = SmallBody;
        var body = ArrayPool<byte>.Shared.Rent(Step);
        try
        {
            var read = 0;
            while (read < length)
            {
                if (read == body.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 2L * body.Length));
                    body.AsSpan(0, read).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(body);
                    body = larger;
                }
                var n = await _link.Stream.ReadAsync(body.AsMemory(read, Math.Min(body.Length, length) - read), ct);
                if (n == 0) throw new EndOfStreamException("the link closed in the middle of a frame");
                read += n;
            }
            return MessageCodec.DecodeBody(type, body.AsSpan(0, length), BlockBytes);
        }
        finally { ArrayPool<byte>.Shared.Return(body); }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _link.DisposeAsync(); } catch (IOException) { }
    }
}

/// <summary>A GetBlocks we sent: a window of the forward sync, or a probe walking back to find where a fork starts.</summary>
internal sealed record BlockRequest(ulong From, uint Count, bool Probe);

/// <summary>A peer broke the protocol; it is disconnected and banned.</summary>
public sealed class ProtocolViolation(string message) : Exception(message);
