using System.Net;
using Chainlab.Node.Network;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Tests.Network;

public sealed class RequestOrderTests
{
    [Fact]
    public async Task Block_requests_go_on_the_wire_in_the_order_they_were_queued_even_from_many_threads()
    {
        // Replies are paired with requests by order, so a request written before an earlier-queued one
        // would make an honest peer's reply look like a lie (and get it banned).
        var stream = new MemoryStream();
        await using var peer = new Peer(new PeerLink(stream, new IPEndPoint(IPAddress.Loopback, 1)), outbound: true);
        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            peer.AddRequest(new BlockRequest((ulong)i * 1000, 1, Probe: false));
            await Task.Yield();
            await peer.FlushRequestsAsync(ct);
        });
        var queued = peer.Requests.Select(r => r.From).ToList();
        Assert.Equal(400, queued.Count);

        stream.Position = 0;
        var sent = new List<ulong>();
        var header = new byte[WireLimits.FrameHeaderBytes];
        while (stream.Position < stream.Length)
        {
            stream.ReadExactly(header);
            var (type, length) = MessageCodec.ReadHeader(header);
            var body = new byte[length];
            stream.ReadExactly(body);
            sent.Add(Assert.IsType<GetBlocks>(MessageCodec.DecodeBody(type, body)).FromHeight);
        }
        Assert.Equal(queued, sent);
    }

    [Fact]
    public async Task A_link_that_closes_between_frames_ends_the_read_quietly_and_one_that_closes_inside_a_frame_throws()
    {
        // A linked peer (a node key) sends a ping and its link closes: the frame, then null (a session's usual end, no exception), and ReadAsync says why.
        var ping = MessageCodec.Encode(new Ping(7));
        await using var closed = new Peer(new PeerLink(new MemoryStream(ping), new IPEndPoint(IPAddress.Loopback, 1)), outbound: true) { NodeKey = new byte[32] };
        Assert.Equal(7UL, Assert.IsType<Ping>(await closed.ReadOrEndAsync(default)).Nonce);
        Assert.Null(await closed.ReadOrEndAsync(default));
        await Assert.ThrowsAsync<EndOfStreamException>(() => closed.ReadAsync(default));
        // Cut inside the header, and inside the body: an error either way.
        foreach (var cut in new[] { 2, ping.Length - 1 })
        {
            await using var broken = new Peer(new PeerLink(new MemoryStream(ping[..cut]), new IPEndPoint(IPAddress.Loopback, 1)), outbound: true) { NodeKey = new byte[32] };
            await Assert.ThrowsAnyAsync<EndOfStreamException>(() => broken.ReadOrEndAsync(default).AsTask());
        }
    }
}
