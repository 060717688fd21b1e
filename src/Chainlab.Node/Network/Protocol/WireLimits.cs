using Chainlab.Core.Model;

namespace Chainlab.Node.Network.Protocol;

/// <summary>
/// Hard caps per message type, checked from the frame header before the body is read, so a peer can
/// never make a node allocate more than these.
/// </summary>
public static class WireLimits
{
    public const ushort ProtocolVersion = 1;
    public const int FrameHeaderBytes = 5; // type u8 | body length u32
    public const int MaxPeersPerMessage = 64;
    public const int MaxHashesPerMessage = 4096;
    public const int MaxTxsPerMessage = 4096;
    public const int MaxBlocksPerMessage = 128;
    public const int MaxTxsBytes = 8 * 1024 * 1024;
    public const int MaxBlocksBytes = Limits.MaxBlockBytes + 1024 * 1024;
    public const int MaxHostBytes = 64;
    public const int MaxReasonBytes = 256;
    /// <summary>Contacts in one DHT answer (Kademlia's k).</summary>
    public const int MaxContactsPerMessage = 20;
    public const int MaxCidBytes = 64;
    /// <summary>Finality votes in one Votes message (a vote transaction holds as many).</summary>
    public const int MaxVotesPerMessage = Chainlab.Core.Finality.VoteBatch.MaxPerTransaction;
    private const int PeerInfoBytes = 4 + MaxHostBytes + 2 + 32;

    /// <summary>The largest body a message of this type may have; null for an unknown type.</summary>
    public static int? MaxBody(byte type) => (MessageType)type switch
    {
        MessageType.Hello => 2 + 4 + Limits.MaxChainIdBytes + 32 + 32 + 32 + 2 + 8,
        MessageType.HelloAck => 64,
        MessageType.Ping or MessageType.Pong => 8,
        MessageType.GetPeers => 0,
        MessageType.Peers => 4 + MaxPeersPerMessage * (4 + MaxHostBytes + 2 + 32),
        MessageType.AnnounceTxs or MessageType.GetTxs => 4 + MaxHashesPerMessage * 32,
        MessageType.Txs => MaxTxsBytes,
        MessageType.AnnounceBlock => 32 + 8,
        MessageType.GetBlocks => 8 + 4,
        MessageType.Blocks => MaxBlocksBytes,
        MessageType.Disconnect => 1 + 4 + MaxReasonBytes,
        MessageType.FindNode or MessageType.GetProviders => 8 + 32,
        MessageType.Nodes => 8 + 4 + MaxContactsPerMessage * PeerInfoBytes,
        MessageType.Providers => 8 + 2 * (4 + MaxContactsPerMessage * PeerInfoBytes),
        MessageType.AddProvider => 32,
        MessageType.GetFileBlock => 8 + 4 + MaxCidBytes,
        MessageType.Votes => 4 + MaxVotesPerMessage * (4 + Chainlab.Core.Finality.Vote.MaxEncodedSize),
        MessageType.FileBlock => 8 + 4 + MaxCidBytes + 1 + 4 + Chainlab.Core.Files.Car.MaxBlockBytes,
        _ => null,
    };
}
