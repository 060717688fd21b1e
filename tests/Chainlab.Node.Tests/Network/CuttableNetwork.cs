using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Tests.Network;

/// <summary>
/// Loopback TCP underneath, with a switch to split the nodes into groups: links between groups are cut
/// and new ones refused until <see cref="Heal"/>. Each node gets its own transport from <see cref="ForNode"/>.
/// </summary>
public sealed class CuttableNetwork
{
    private readonly ConcurrentDictionary<int, int> _groupOfPort = new();
    private readonly List<Transport> _transports = new();
    private volatile bool _split;

    public ITransport ForNode()
    {
        var t = new Transport(this);
        lock (_transports) _transports.Add(t);
        return t;
    }

    /// <summary>Puts the nodes listening on these P2P ports into numbered groups and cuts every link between groups.</summary>
    public void Split(params int[][] groups)
    {
        for (var g = 0; g < groups.Length; g++)
            foreach (var port in groups[g]) _groupOfPort[port] = g;
        _split = true;
        lock (_transports) foreach (var t in _transports) t.CutCrossing();
    }

    public void Heal() => _split = false;

    private bool Allowed(int fromPort, int toPort) =>
        !_split || !_groupOfPort.TryGetValue(fromPort, out var a) || !_groupOfPort.TryGetValue(toPort, out var b) || a == b;

    private sealed class Transport(CuttableNetwork net) : ITransport
    {
        private int _ownPort;
        private readonly ConcurrentDictionary<PeerLink, int> _outbound = new();

        public IPeerListener Listen(string address, int port)
        {
            var l = TcpTransport.Instance.Listen(address, port);
            _ownPort = l.Port;
            return l;
        }

        public async Task<PeerLink> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
        {
            if (!net.Allowed(_ownPort, endpoint.Port)) throw new SocketException((int)SocketError.ConnectionRefused);
            var link = await TcpTransport.Instance.ConnectAsync(endpoint, ct);
            _outbound[link] = endpoint.Port;
            return link;
        }

        public void CutCrossing()
        {
            foreach (var (link, port) in _outbound)
                if (!net.Allowed(_ownPort, port) && _outbound.TryRemove(link, out _))
                    link.Stream.Dispose();
        }
    }
}
