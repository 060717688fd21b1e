using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Encoding;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network;

/// <summary>One live, handshaken link to another node.</summary>
public sealed class Peer : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _write = new(1, 1);

    public Peer(TcpClient client, bool outbound)
    {
        _client = client;
        _stream = client.GetStream();
        Outbound = outbound;
        // Dual-mode sockets report IPv4 peers as ::ffff:a.b.c.d; show and compare them as IPv4.
        if (client.Client.RemoteEndPoint is IPEndPoint ep)
        {
            var ip = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
            Host = ip.ToString();
            Address = new IPEndPoint(ip, ep.Port).ToString();
        }
        else Address = "?";
    }

    public bool Outbound { get; }
    public string Address { get; }
    public byte[] NodeKey { get; set; } = [];
    public string Host { get; set; } = "";
    public ushort ListenPort { get; set; }
    public ulong BestHeight { get; set; }
    public double LatencyMs { get; set; }
    public int Score { get; set; }
    public string Id => Convert.ToHexStringLower(NodeKey)[..16];

    public async Task SendAsync(Message m, CancellationToken ct)
    {
        var frame = MessageCodec.Encode(m);
        await _write.WaitAsync(ct);
        try { await _stream.WriteAsync(frame, ct); }
        finally { _write.Release(); }
    }

    /// <summary>Reads one frame: the header's type and length are checked against the caps before the body is read.</summary>
    public async Task<Message> ReadAsync(CancellationToken ct)
    {
        var header = new byte[WireLimits.FrameHeaderBytes];
        await _stream.ReadExactlyAsync(header, ct);
        var (type, length) = MessageCodec.ReadHeader(header);
        var body = new byte[length];
        await _stream.ReadExactlyAsync(body, ct);
        return MessageCodec.DecodeBody(type, body);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _stream.DisposeAsync(); } catch (IOException) { }
        _client.Dispose();
    }
}

/// <summary>A peer broke the protocol; it is disconnected and banned.</summary>
public sealed class ProtocolViolation(string message) : Exception(message);
