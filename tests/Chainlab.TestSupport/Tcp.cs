using System.Net.Sockets;

namespace Chainlab.TestSupport;

public static class Tcp
{
    /// <summary>Whether something accepts TCP connections on 127.0.0.1:port (a node a test stopped must not).</summary>
    public static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException) { return false; }
    }
}
