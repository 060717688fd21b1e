using System.Collections.Concurrent;
using System.Net;
using Chainlab.Core.Crypto;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// eclipse: dials each node it knows with many made-up identities (a fresh key per link) and holds every link
/// open, answering pings and relaying nothing, to take all of the node's inbound slots and cut it off from
/// honest peers. Its defences: a cap on inbound links (and, off loopback, on links per address), and the
/// outbound links a node chooses itself, which strangers cannot take.
/// </summary>
public sealed class Eclipse : IMisbehaviour
{
    public string Name => "eclipse";
    public string What => "dials every node it knows with dozens of made-up identities to take all of their inbound slots";

    /// <summary>Made-up identities per target: more than any node's inbound limit.</summary>
    public const int IdentitiesPerTarget = 40;

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var held = new ConcurrentDictionary<Task, byte>();
        await Task.Delay(TimeSpan.FromSeconds(2), c.Time, ct);
        while (!ct.IsCancellationRequested)
        {
            var targets = c.Network.Peers.Where(p => p.ListenPort != 0 && IPAddress.TryParse(p.Host, out _))
                .Select(p => new IPEndPoint(IPAddress.Parse(p.Host), p.ListenPort)).DistinctBy(e => e.ToString()).ToList();
            foreach (var target in targets)
            {
                var open = 0;
                for (var i = 0; i < IdentitiesPerTarget && !ct.IsCancellationRequested; i++)
                {
                    var t = HoldAsync(c, target, ct);
                    held[t] = 0;
                    _ = t.ContinueWith(done => held.TryRemove(done, out _), TaskScheduler.Default);
                    open++;
                }
                c.Log.LogWarning("Misbehaving (eclipse): {Count} made-up identities dialing {Target}", open, target);
            }
            // Dial again now and then: links the targets refused or closed are tried with new identities.
            await Task.Delay(TimeSpan.FromSeconds(10), c.Time, ct);
        }
    }

    /// <summary>One made-up identity's link: the handshake, then pongs and nothing else until it closes.</summary>
    private static async Task HoldAsync(MisbehaviourContext c, IPEndPoint target, CancellationToken ct)
    {
        var options = c.Network.Options;
        try
        {
            using var dial = CancellationTokenSource.CreateLinkedTokenSource(ct);
            dial.CancelAfter(options.DialTimeout);
            var link = await options.Transport.ConnectAsync(target, dial.Token);
            await using var peer = new Peer(link, outbound: true, options.SendTimeout, c.Time);
            var sybil = KeyPair.FromRandom(c.Random);
            var handshake = new PeerHandshake(sybil, c.Chain, options, c.Time, c.Log);
            if (!await handshake.RunAsync(peer, 0, new BanList(TimeSpan.Zero, c.Time), ct)) return;
            while (!ct.IsCancellationRequested)
                if (await peer.ReadAsync(ct) is Ping ping) await peer.SendAsync(new Pong(ping.Nonce), ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ProtocolViolation or System.Net.Sockets.SocketException
            or ObjectDisposedException or Chainlab.Core.Encoding.DecodeException)
        { }
    }
}
