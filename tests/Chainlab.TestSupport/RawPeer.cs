using System.Net;
using System.Net.Sockets;
using Chainlab.Core.Crypto;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.TestSupport;

/// <summary>A hand-driven peer over TCP for protocol tests: it speaks the wire format, honestly or not.</summary>
public static class RawPeer
{
    /// <summary>Reads one frame the node sent.</summary>
    public static async Task<Message> ReadFrame(NetworkStream s)
    {
        var header = new byte[WireLimits.FrameHeaderBytes];
        await s.ReadExactlyAsync(header);
        var (type, len) = MessageCodec.ReadHeader(header);
        var body = new byte[len];
        await s.ReadExactlyAsync(body);
        return MessageCodec.DecodeBody(type, body);
    }

    /// <summary>Connects and completes the handshake with a fresh node key, claiming the given height (and a listen port, 0 for none).</summary>
    public static async Task<(TcpClient Client, KeyPair Key)> Handshaken(int port, string chainId, Hash genesis, ulong bestHeight = 0, ushort listenPort = 0)
    {
        var key = KeyPair.Generate();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var s = client.GetStream();
        var ours = Handshake.CreateHello(key, chainId, genesis, listenPort, bestHeight);
        await s.WriteAsync(MessageCodec.Encode(ours));
        var theirs = Assert.IsType<Hello>(await ReadFrame(s));
        await s.WriteAsync(MessageCodec.Encode(Handshake.Answer(key, theirs, genesis)));
        Assert.IsType<HelloAck>(await ReadFrame(s));
        return (client, key);
    }
}
