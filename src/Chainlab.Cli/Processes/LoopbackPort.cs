using System.Net;
using System.Net.Sockets;

namespace Chainlab.Cli.Processes;

/// <summary>
/// Free TCP ports on 127.0.0.1 for node processes started by tests, benchmarks and harnesses. They are taken
/// from 20000–31999, below Linux's ephemeral range (32768–60999), so that the port of some outgoing
/// connection never lands on a port a devnet meant for its next node.
/// </summary>
public static class LoopbackPort
{
    private const int Low = 20_000, High = 32_000;

    /// <summary>A port that was free a moment ago.</summary>
    public static int Free() => FreeRange(1);

    /// <summary>The first of count consecutive ports that were all free a moment ago (a devnet uses port + i for node i + 1).</summary>
    public static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var start = Random.Shared.Next(Low, High - count);
            if (Enumerable.Range(start, count).All(CanListen)) return start;
        }
        throw new InvalidOperationException($"no {count} consecutive free loopback ports between {Low} and {High}");
    }

    private static bool CanListen(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
