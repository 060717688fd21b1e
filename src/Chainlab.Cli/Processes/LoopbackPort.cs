namespace Chainlab.Cli.Processes;

/// <summary>Free TCP ports on 127.0.0.1 for node processes started by tests, benchmarks and harnesses.</summary>
public static class LoopbackPort
{
    /// <summary>A port that was free a moment ago (the OS picks it; a race with another process is possible but rare).</summary>
    public static int Free()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
