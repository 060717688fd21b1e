using System.Buffers.Binary;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;

namespace Chainlab.Node.Network.Protocol;

/// <summary>The array a decoded message keeps for bytes of one block it carries (they must be equal to those given).</summary>
public delegate byte[] BlockBytes(ReadOnlySpan<byte> bytes);

/// <summary>
/// Frames and message bodies: type u8 | body length u32 (big-endian) | body in the canonical encoding.
/// Decoding is strict: caps per type, counts checked against the bytes present, no trailing bytes.
/// </summary>
public static class MessageCodec
{
    /// <summary>The whole frame for a message; throws if the body would exceed the type's cap.</summary>
    public static byte[] Encode(Message m)
    {
        // Sized up front, to the byte, for the large bodies: a block is copied into the frame once and the frame is
        // the writer's own array.
        var w = new CanonicalWriter(m switch
        {
            FileBlock f => WireLimits.FrameHeaderBytes + 8 + 4 + f.Cid.Length + 1 + 4 + f.Data.Length,
            Blocks b => WireLimits.FrameHeaderBytes + 4 + b.Raw.Sum(x => x.Length + 4),
            Txs t => WireLimits.FrameHeaderBytes + 4 + t.Raw.Sum(x => x.Length + 4),
            _ => 64,
        });
        w.U8((byte)m.Type);
        w.U32(0); // body length, patched below
        switch (m)
        {
            case Hello h:
                U16(w, h.Version); w.Text(h.ChainId); w.Hash(h.Genesis); w.Fixed(h.NodeKey); w.Fixed(h.Challenge);
                U16(w, h.ListenPort); w.U64(h.BestHeight);
                break;
            case HelloAck a: w.Fixed(a.Signature); break;
            case Ping p: w.U64(p.Nonce); break;
            case Pong p: w.U64(p.Nonce); break;
            case GetPeers: break;
            case Peers p:
                w.U32((uint)p.List.Count);
                foreach (var peer in p.List) { w.Text(peer.Host); U16(w, peer.Port); w.Fixed(peer.NodeKey); }
                break;
            case AnnounceTxs a: Hashes(w, a.Hashes); break;
            case GetTxs g: Hashes(w, g.Hashes); break;
            case Txs t: w.U32((uint)t.Raw.Count); foreach (var r in t.Raw) w.Bytes(r); break;
            case AnnounceBlock b: w.Hash(b.Hash); w.U64(b.Height); break;
            case GetBlocks g: w.U64(g.FromHeight); w.U32(g.Count); break;
            case Blocks b: w.U32((uint)b.Raw.Count); foreach (var r in b.Raw) w.Bytes(r); break;
            case Votes v: w.U32((uint)v.Raw.Count); foreach (var r in v.Raw) w.Bytes(r); break;
            case FindNode f: w.U64(f.Nonce); w.Hash(f.Target); break;
            case Nodes n: w.U64(n.Nonce); Contacts(w, n.List); break;
            case GetProviders g: w.U64(g.Nonce); w.Hash(g.Key); break;
            case Providers p: w.U64(p.Nonce); Contacts(w, p.List); Contacts(w, p.Closer); break;
            case AddProvider a: w.Hash(a.Key); break;
            case GetFileBlock g: w.U64(g.Nonce); w.Bytes(g.Cid); break;
            case FileBlock f: w.U64(f.Nonce); w.Bytes(f.Cid); w.U8(f.Found ? (byte)1 : (byte)0); w.Bytes(f.Data); break;
            case Disconnect d: w.U8((byte)d.Reason); w.Text(d.Detail.Length > WireLimits.MaxReasonBytes ? d.Detail[..WireLimits.MaxReasonBytes] : d.Detail); break;
            default: throw new ArgumentException($"cannot encode {m.GetType().Name}");
        }
        var frame = w.ToArray();
        var bodyLength = frame.Length - WireLimits.FrameHeaderBytes;
        if (bodyLength > WireLimits.MaxBody((byte)m.Type)) throw new ArgumentException($"{m.Type} body of {bodyLength} bytes exceeds its cap");
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bodyLength);
        return frame;
    }

    /// <summary>
    /// Reads a frame header and checks the type and the length against its cap, before any body
    /// is read or allocated.
    /// </summary>
    public static (MessageType Type, int BodyLength) ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < WireLimits.FrameHeaderBytes) throw new DecodeException("truncated frame header");
        var type = header[0];
        var cap = WireLimits.MaxBody(type) ?? throw new DecodeException($"unknown message type {type}");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)cap) throw new DecodeException($"{(MessageType)type} frame of {length} bytes exceeds the cap of {cap}");
        return ((MessageType)type, (int)length);
    }

    /// <summary>Decodes one complete frame (header and body) strictly.</summary>
    public static Message Decode(ReadOnlySpan<byte> frame)
    {
        var (type, length) = ReadHeader(frame);
        if (frame.Length != WireLimits.FrameHeaderBytes + length)
            throw new DecodeException($"{type} frame says {length} body bytes but has {frame.Length - WireLimits.FrameHeaderBytes}");
        return DecodeBody(type, frame[WireLimits.FrameHeaderBytes..]);
    }

    /// <summary>
    /// Decodes a frame's body. <paramref name="blockBytes"/> makes the array a Blocks message keeps for each block's
    /// bytes (null: a copy); the simulator hands back an array it already holds with the same bytes.
    /// </summary>
    public static Message DecodeBody(MessageType type, ReadOnlySpan<byte> body, BlockBytes? blockBytes = null)
    {
        var r = new CanonicalReader(body);
        Message m = type switch
        {
            MessageType.Hello => new Hello(ReadU16(ref r, "version"), r.Text(Limits.MaxChainIdBytes, "chain id"), r.Hash("genesis"),
                r.Fixed(32, "node key").ToArray(), r.Fixed(32, "challenge").ToArray(), ReadU16(ref r, "listen port"), r.U64("best height")),
            MessageType.HelloAck => new HelloAck(r.Fixed(64, "signature").ToArray()),
            MessageType.Ping => new Ping(r.U64("nonce")),
            MessageType.Pong => new Pong(r.U64("nonce")),
            MessageType.GetPeers => new GetPeers(),
            MessageType.Peers => new Peers(ReadPeers(ref r)),
            MessageType.AnnounceTxs => new AnnounceTxs(ReadHashes(ref r)),
            MessageType.GetTxs => new GetTxs(ReadHashes(ref r)),
            MessageType.Txs => new Txs(ReadBlobs(ref r, WireLimits.MaxTxsPerMessage, Limits.MaxTransactionBytes, "transactions")),
            MessageType.AnnounceBlock => new AnnounceBlock(r.Hash("block hash"), r.U64("height")),
            MessageType.GetBlocks => ReadGetBlocks(ref r),
            MessageType.Blocks => new Blocks(ReadBlobs(ref r, WireLimits.MaxBlocksPerMessage, Limits.MaxBlockBytes, "blocks", blockBytes)),
            MessageType.Disconnect => ReadDisconnect(ref r),
            MessageType.FindNode => new FindNode(r.U64("nonce"), r.Hash("target")),
            MessageType.Nodes => new Nodes(r.U64("nonce"), ReadPeers(ref r, WireLimits.MaxContactsPerMessage)),
            MessageType.GetProviders => new GetProviders(r.U64("nonce"), r.Hash("key")),
            MessageType.Providers => new Providers(r.U64("nonce"), ReadPeers(ref r, WireLimits.MaxContactsPerMessage), ReadPeers(ref r, WireLimits.MaxContactsPerMessage)),
            MessageType.AddProvider => new AddProvider(r.Hash("key")),
            MessageType.GetFileBlock => new GetFileBlock(r.U64("nonce"), r.Bytes(WireLimits.MaxCidBytes, "cid").ToArray()),
            MessageType.FileBlock => ReadFileBlock(ref r),
            MessageType.Votes => new Votes(ReadBlobs(ref r, WireLimits.MaxVotesPerMessage, Chainlab.Core.Finality.Vote.MaxEncodedSize, "votes")),
            _ => throw new DecodeException($"unknown message type {(byte)type}"),
        };
        r.EnsureEnd(type.ToString());
        return m;
    }

    private static void U16(CanonicalWriter w, ushort v) { w.U8((byte)(v >> 8)); w.U8((byte)v); }
    private static ushort ReadU16(ref CanonicalReader r, string what) => (ushort)((r.U8(what) << 8) | r.U8(what));

    private static void Hashes(CanonicalWriter w, IReadOnlyList<Hash> hashes)
    {
        w.U32((uint)hashes.Count);
        foreach (var h in hashes) w.Hash(h);
    }

    private static List<Hash> ReadHashes(ref CanonicalReader r)
    {
        var n = r.Count(WireLimits.MaxHashesPerMessage, 32, "hashes");
        var list = new List<Hash>(n);
        for (var i = 0; i < n; i++) list.Add(r.Hash("hash"));
        return list;
    }

    private static List<byte[]> ReadBlobs(ref CanonicalReader r, int maxCount, int maxEach, string what, BlockBytes? keep = null)
    {
        var n = r.Count(maxCount, 4, what);
        var list = new List<byte[]>(n);
        for (var i = 0; i < n; i++)
        {
            var bytes = r.Bytes(maxEach, what);
            list.Add(keep is null ? bytes.ToArray() : keep(bytes));
        }
        return list;
    }

    private static void Contacts(CanonicalWriter w, IReadOnlyList<PeerInfo> list)
    {
        w.U32((uint)list.Count);
        foreach (var peer in list) { w.Text(peer.Host); U16(w, peer.Port); w.Fixed(peer.NodeKey); }
    }

    private static FileBlock ReadFileBlock(ref CanonicalReader r)
    {
        var nonce = r.U64("nonce");
        var cid = r.Bytes(WireLimits.MaxCidBytes, "cid").ToArray();
        var found = r.U8("found");
        if (found > 1) throw new DecodeException($"FileBlock found flag {found}");
        var data = r.Bytes(Chainlab.Core.Files.Car.MaxBlockBytes, "block").ToArray();
        if (found == 0 && data.Length > 0) throw new DecodeException("FileBlock carries data for a block it says it lacks");
        return new FileBlock(nonce, cid, found == 1, data);
    }

    private static List<PeerInfo> ReadPeers(ref CanonicalReader r, int max = WireLimits.MaxPeersPerMessage)
    {
        var n = r.Count(max, 4 + 2 + 32, "peers");
        var list = new List<PeerInfo>(n);
        for (var i = 0; i < n; i++)
        {
            var host = r.Text(WireLimits.MaxHostBytes, "host");
            if (!System.Net.IPAddress.TryParse(host, out _)) throw new DecodeException($"peer host '{host}' is not an IP address");
            var port = ReadU16(ref r, "port");
            if (port == 0) throw new DecodeException("peer port 0");
            list.Add(new PeerInfo(host, port, r.Fixed(32, "node key").ToArray()));
        }
        return list;
    }

    private static GetBlocks ReadGetBlocks(ref CanonicalReader r)
    {
        var from = r.U64("from height");
        var count = r.U32("count");
        if (count == 0 || count > WireLimits.MaxBlocksPerMessage) throw new DecodeException($"GetBlocks count {count} is outside 1..{WireLimits.MaxBlocksPerMessage}");
        return new GetBlocks(from, count);
    }

    private static Disconnect ReadDisconnect(ref CanonicalReader r)
    {
        var reason = r.U8("reason");
        if (reason is < 1 or > (byte)DisconnectReason.Timeout) throw new DecodeException($"unknown disconnect reason {reason}");
        return new Disconnect((DisconnectReason)reason, r.Text(WireLimits.MaxReasonBytes, "detail"));
    }
}
