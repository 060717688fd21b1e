using Chainlab.Core.Crypto;

namespace Chainlab.Node.Network.Protocol;

/// <summary>A decoded peer message.</summary>
public abstract record Message(MessageType Type);

/// <summary>First message each side sends: who it is, which chain, and a challenge to sign.</summary>
public sealed record Hello(ushort Version, string ChainId, Hash Genesis, byte[] NodeKey, byte[] Challenge, ushort ListenPort, ulong BestHeight)
    : Message(MessageType.Hello);

/// <summary>The answer to the peer's Hello: a signature over its challenge with our node key.</summary>
public sealed record HelloAck(byte[] Signature) : Message(MessageType.HelloAck);

public sealed record Ping(ulong Nonce) : Message(MessageType.Ping);
public sealed record Pong(ulong Nonce) : Message(MessageType.Pong);
public sealed record GetPeers() : Message(MessageType.GetPeers);

/// <summary>A known peer: where it listens and its node key.</summary>
public sealed record PeerInfo(string Host, ushort Port, byte[] NodeKey);

public sealed record Peers(IReadOnlyList<PeerInfo> List) : Message(MessageType.Peers);
public sealed record AnnounceTxs(IReadOnlyList<Hash> Hashes) : Message(MessageType.AnnounceTxs);
public sealed record GetTxs(IReadOnlyList<Hash> Hashes) : Message(MessageType.GetTxs);
/// <summary>Raw canonical transactions; they go through the mempool's one admission function.</summary>
public sealed record Txs(IReadOnlyList<byte[]> Raw) : Message(MessageType.Txs);
/// <summary>Signed finality votes (canonical bytes, 1 to 256): checked in a batch, pooled, relayed, and put in blocks by producers.</summary>
public sealed record Votes(IReadOnlyList<byte[]> Raw) : Message(MessageType.Votes);
public sealed record AnnounceBlock(Hash Hash, ulong Height) : Message(MessageType.AnnounceBlock);
public sealed record GetBlocks(ulong FromHeight, uint Count) : Message(MessageType.GetBlocks);
/// <summary>Raw canonical blocks; they go through the one import pipeline.</summary>
public sealed record Blocks(IReadOnlyList<byte[]> Raw) : Message(MessageType.Blocks);

/// <summary>Why a link is being closed.</summary>
public enum DisconnectReason : byte
{
    Shutdown = 1,
    WrongChain = 2,
    BadHandshake = 3,
    ProtocolViolation = 4,
    TooManyPeers = 5,
    Banned = 6,
    Timeout = 7,
}

public sealed record Disconnect(DisconnectReason Reason, string Detail) : Message(MessageType.Disconnect);

/// <summary>Which known nodes are closest to Target (XOR of SHA-256 node ids)? Answered with Nodes.</summary>
public sealed record FindNode(ulong Nonce, Hash Target) : Message(MessageType.FindNode);
public sealed record Nodes(ulong Nonce, IReadOnlyList<PeerInfo> List) : Message(MessageType.Nodes);
/// <summary>Who provides the file whose key this is? Answered with the providers known and the nodes closest to the key.</summary>
public sealed record GetProviders(ulong Nonce, Hash Key) : Message(MessageType.GetProviders);
public sealed record Providers(ulong Nonce, IReadOnlyList<PeerInfo> List, IReadOnlyList<PeerInfo> Closer) : Message(MessageType.Providers);
/// <summary>The sender provides the file whose key this is (it is reachable at its listen port).</summary>
public sealed record AddProvider(Hash Key) : Message(MessageType.AddProvider);
/// <summary>One file block by CID; answered with FileBlock (Found false when the node lacks it).</summary>
public sealed record GetFileBlock(ulong Nonce, byte[] Cid) : Message(MessageType.GetFileBlock);
public sealed record FileBlock(ulong Nonce, byte[] Cid, bool Found, byte[] Data) : Message(MessageType.FileBlock);
