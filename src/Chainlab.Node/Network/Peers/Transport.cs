using System.Net;
using System.Net.Sockets;

namespace Chainlab.Node.Network.Peers;

/// <summary>A byte stream to another node and the address it came from or went to.</summary>
public sealed class PeerLink(Stream stream, IPEndPoint remote) : IAsyncDisposable
{
    public Stream Stream { get; } = stream;
    public IPEndPoint Remote { get; } = remote;
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>Accepts links from other nodes.</summary>
public interface IPeerListener : IDisposable
{
    int Port { get; }
    Task<PeerLink> AcceptAsync(CancellationToken ct);
}

/// <summary>
/// How links are made. The node uses TCP; tests and a simulator can put their own links underneath
/// (cut a network in two, add delay) without the peer logic knowing.
/// </summary>
public interface ITransport
{
    IPeerListener Listen(string address, int port);
    /// <summary>Opens a link or throws SocketException.</summary>
    Task<PeerLink> ConnectAsync(IPEndPoint endpoint, CancellationToken ct);
}

/// <summary>Plain TCP links.</summary>
public sealed class TcpTransport : ITransport
{
    public static readonly TcpTransport Instance = new();

    public IPeerListener Listen(string address, int port)
    {
        var l = new TcpListener(IPAddress.Parse(address), port);
        l.Start();
        return new Listener(l);
    }

    public async Task<PeerLink> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try { await socket.ConnectAsync(endpoint, ct); }
        catch
        {
            socket.Dispose();
            throw;
        }
        return Wrap(socket);
    }

    private static PeerLink Wrap(Socket s)
    {
        var ep = (IPEndPoint)s.RemoteEndPoint!;
        // Dual-mode sockets report IPv4 peers as ::ffff:a.b.c.d; show and compare them as IPv4.
        var ip = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        return new PeerLink(new NetworkStream(s, ownsSocket: true), new IPEndPoint(ip, ep.Port));
    }

    private sealed class Listener(TcpListener listener) : IPeerListener
    {
        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public async Task<PeerLink> AcceptAsync(CancellationToken ct)
        {
            var s = await listener.AcceptSocketAsync(ct);
            s.NoDelay = true;
            return Wrap(s);
        }

        public void Dispose() => listener.Stop();
    }
}
