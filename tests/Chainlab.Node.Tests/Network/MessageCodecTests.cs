using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Tests.Network;

/// <summary>p2p_invalid_messages in miniature: the wire format is strict and bounded.</summary>
public sealed class MessageCodecTests
{
    private static byte[] Bytes(Random r, int n) { var b = new byte[n]; r.NextBytes(b); return b; }
    private static Hash H(Random r) => new(Bytes(r, 32));

    private static IEnumerable<Message> Samples(int seed)
    {
        var r = new Random(seed);
        var k = Build.Keys(2, seed);
        yield return new Hello(1, "chain-" + r.Next(100), H(r), k[0].PublicKey, Bytes(r, 32), (ushort)r.Next(1, 65535), (ulong)r.NextInt64());
        yield return new HelloAck(Bytes(r, 64));
        yield return new Ping((ulong)r.NextInt64());
        yield return new Pong((ulong)r.NextInt64());
        yield return new GetPeers();
        yield return new Peers(Enumerable.Range(0, r.Next(0, 64)).Select(i => new PeerInfo(i % 2 == 0 ? "127.0.0.1" : "::1", (ushort)r.Next(1, 65535), Bytes(r, 32))).ToList());
        yield return new AnnounceTxs(Enumerable.Range(0, r.Next(0, 300)).Select(_ => H(r)).ToList());
        yield return new GetTxs(Enumerable.Range(0, r.Next(1, 300)).Select(_ => H(r)).ToList());
        yield return new Txs(Enumerable.Range(0, r.Next(0, 20)).Select(i => Build.Transfer(k[0], k[1].Address, 1, (ulong)i).Raw).ToList());
        yield return new AnnounceBlock(H(r), (ulong)r.NextInt64());
        yield return new GetBlocks((ulong)r.NextInt64(), (uint)r.Next(1, 129));
        yield return new Blocks(Enumerable.Range(0, r.Next(0, 5)).Select(_ => Bytes(r, r.Next(0, 2000))).ToList());
        yield return new Disconnect(DisconnectReason.ProtocolViolation, "bad frame " + r.Next());
        PeerInfo Contact(int i) => new(i % 2 == 0 ? "127.0.0.1" : "::1", (ushort)r.Next(1, 65535), Bytes(r, 32));
        yield return new FindNode((ulong)r.NextInt64(), H(r));
        yield return new Nodes((ulong)r.NextInt64(), Enumerable.Range(0, r.Next(0, 21)).Select(Contact).ToList());
        yield return new GetProviders((ulong)r.NextInt64(), H(r));
        yield return new Providers((ulong)r.NextInt64(), Enumerable.Range(0, r.Next(0, 21)).Select(Contact).ToList(), Enumerable.Range(0, r.Next(0, 21)).Select(Contact).ToList());
        yield return new AddProvider(H(r));
        var cid = Chainlab.Core.Files.Cid.Of(r.Next(2), Chainlab.Core.Files.Cid.DagPb, Bytes(r, 10)).ToBytes();
        yield return new GetFileBlock((ulong)r.NextInt64(), cid);
        yield return new FileBlock((ulong)r.NextInt64(), cid, true, Bytes(r, r.Next(0, 3000)));
        yield return new FileBlock((ulong)r.NextInt64(), cid, false, []);
        yield return new Votes(Enumerable.Range(0, r.Next(1, 20)).Select(i => Chainlab.Core.Finality.Vote.Create(k[i % 2], "chain-" + r.Next(100),
            new Chainlab.Core.Finality.Checkpoint((ulong)i, H(r)), new Chainlab.Core.Finality.Checkpoint((ulong)i + 8, H(r))).Raw).ToList());
    }

    [Fact]
    public void DHT_messages_refuse_more_contacts_than_k_and_data_for_a_block_they_say_is_missing()
    {
        var r = new Random(5);
        var many = new Nodes(1, Enumerable.Range(0, 21).Select(_ => new PeerInfo("127.0.0.1", 1, Bytes(r, 32))).ToList());
        Assert.Contains("count 21 exceeds", Assert.Throws<DecodeException>(() => MessageCodec.Decode(MessageCodec.Encode(many))).Message);
        MessageCodec.Decode(MessageCodec.Encode(many with { List = many.List.Take(20).ToList() }));
        var cid = Chainlab.Core.Files.Cid.Of(0, Chainlab.Core.Files.Cid.DagPb, [1]).ToBytes();
        var frame = MessageCodec.Encode(new FileBlock(1, cid, true, [1, 2, 3]));
        frame[5 + 8 + 4 + cid.Length] = 0; // found: no, yet three bytes of data
        Assert.Contains("lacks", Assert.Throws<DecodeException>(() => MessageCodec.Decode(frame)).Message);
        Assert.Contains("exceeds the cap", Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([(byte)MessageType.FileBlock, 0, 0x40, 0, 0])).Message);
    }

    [Fact]
    public void Every_message_type_round_trips_byte_for_byte()
    {
        for (var seed = 1; seed <= 20; seed++)
            foreach (var m in Samples(seed))
            {
                var frame = MessageCodec.Encode(m);
                var back = MessageCodec.Decode(frame);
                Assert.Equal(m.Type, back.Type);
                Assert.Equal(frame, MessageCodec.Encode(back));
            }
    }

    [Fact]
    public void Truncated_frames_and_trailing_bytes_are_rejected()
    {
        foreach (var m in Samples(3))
        {
            var frame = MessageCodec.Encode(m);
            for (var cut = 0; cut < frame.Length; cut += Math.Max(1, frame.Length / 50))
                Assert.Throws<DecodeException>(() => MessageCodec.Decode(frame.AsSpan(0, cut)));
            Assert.Throws<DecodeException>(() => MessageCodec.Decode([.. frame, 0]));
            // A body with an extra byte and a length that admits it: still refused (no trailing data).
            var longer = (byte[])[.. frame, 0];
            var len = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)) + 1;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(longer.AsSpan(1), len);
            if (len <= WireLimits.MaxBody((byte)m.Type)) Assert.Throws<DecodeException>(() => MessageCodec.Decode(longer));
        }
    }

    [Fact]
    public void Oversized_frames_and_unknown_types_are_refused_from_the_header_alone()
    {
        // Only five bytes exist: the cap is checked before any body is read or allocated.
        Assert.Contains("exceeds the cap", Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([(byte)MessageType.Ping, 0, 0, 0, 9])).Message);
        Assert.Contains("exceeds the cap", Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([(byte)MessageType.Blocks, 0xff, 0xff, 0xff, 0xff])).Message);
        Assert.Contains("unknown message type", Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([0, 0, 0, 0, 0])).Message);
        Assert.Contains("unknown message type", Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([200, 0, 0, 0, 1])).Message);
        Assert.Throws<DecodeException>(() => MessageCodec.ReadHeader([1, 0]));
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new AnnounceTxs(Enumerable.Repeat(Hash.Zero, WireLimits.MaxHashesPerMessage + 1).ToList())));
    }

    [Fact]
    public void Lies_about_counts_and_requests_for_huge_ranges_are_refused()
    {
        // AnnounceTxs claiming 4096 hashes with only one present.
        var lying = MessageCodec.Encode(new AnnounceTxs([Hash.Zero]));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(lying.AsSpan(5), 4096);
        Assert.Contains("larger than the input", Assert.Throws<DecodeException>(() => MessageCodec.Decode(lying)).Message);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(lying.AsSpan(5), 1_000_000);
        Assert.Contains("exceeds the limit", Assert.Throws<DecodeException>(() => MessageCodec.Decode(lying)).Message);
        foreach (var count in new uint[] { 0, 129, uint.MaxValue })
        {
            var frame = MessageCodec.Encode(new GetBlocks(5, 1));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5 + 8), count);
            Assert.Throws<DecodeException>(() => MessageCodec.Decode(frame));
        }
        var badPeer = MessageCodec.Encode(new Peers([new PeerInfo("not-an-ip", 1, new byte[32])]));
        Assert.Contains("not an IP", Assert.Throws<DecodeException>(() => MessageCodec.Decode(badPeer)).Message);
    }

    [Fact]
    public void Random_garbage_only_ever_gives_a_decode_error()
    {
        var r = new Random(99);
        var valid = Samples(5).Select(MessageCodec.Encode).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] frame;
            if (i % 2 == 0)
            {
                frame = Bytes(r, r.Next(0, 300));
                if (frame.Length >= 5) { frame[0] = (byte)r.Next(0, 16); System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(frame.Length - 5)); }
            }
            else
            {
                frame = (byte[])valid[r.Next(valid.Length)].Clone();
                for (var j = 0; j < 1 + r.Next(4); j++) frame[r.Next(frame.Length)] ^= (byte)(1 << r.Next(8));
            }
            try { MessageCodec.Decode(frame); }
            catch (DecodeException) { }
        }
    }

    [Fact]
    public void Handshake_accepts_the_right_peer_and_refuses_wrong_chain_version_and_forged_keys()
    {
        var genesis = Hash.Sha256("genesis"u8);
        var (a, b, mallory) = (KeyPair.Generate(), KeyPair.Generate(), KeyPair.Generate());
        var helloA = Handshake.CreateHello(a, "net", genesis, 30303, 5);
        var helloB = Handshake.CreateHello(b, "net", genesis, 30304, 7);
        Assert.Null(Handshake.CheckHello(helloB, "net", genesis, a.PublicKey));
        Assert.True(Handshake.VerifyAnswer(helloA, helloB, Handshake.Answer(b, helloA, genesis), genesis));

        Assert.Equal(DisconnectReason.WrongChain, Handshake.CheckHello(helloB with { Genesis = Hash.Sha256("other"u8) }, "net", genesis, a.PublicKey)!.Value.Reason);
        Assert.Equal(DisconnectReason.WrongChain, Handshake.CheckHello(helloB with { ChainId = "other" }, "net", genesis, a.PublicKey)!.Value.Reason);
        Assert.Equal(DisconnectReason.BadHandshake, Handshake.CheckHello(helloB with { Version = 9 }, "net", genesis, a.PublicKey)!.Value.Reason);
        Assert.Equal(DisconnectReason.BadHandshake, Handshake.CheckHello(helloA, "net", genesis, a.PublicKey)!.Value.Reason);

        // Mallory claims b's key but cannot sign for it; an answer to another challenge does not count either.
        Assert.False(Handshake.VerifyAnswer(helloA, helloB, Handshake.Answer(mallory, helloA, genesis), genesis));
        var otherChallenge = Handshake.CreateHello(a, "net", genesis, 30303, 5);
        Assert.False(Handshake.VerifyAnswer(helloA, helloB, Handshake.Answer(b, otherChallenge, genesis), genesis));
        Assert.False(Handshake.VerifyAnswer(helloA, helloB, Handshake.Answer(b, helloA, Hash.Sha256("other"u8)), genesis));
    }
}
