namespace Chainlab.Node.Network.Protocol;

/// <summary>Peer message types. The numbers are on the wire and never change.</summary>
public enum MessageType : byte
{
    Hello = 1,
    HelloAck = 2,
    Ping = 3,
    Pong = 4,
    GetPeers = 5,
    Peers = 6,
    AnnounceTxs = 7,
    GetTxs = 8,
    Txs = 9,
    AnnounceBlock = 10,
    GetBlocks = 11,
    Blocks = 12,
    Disconnect = 13,
    // The DHT (docs/files.md): nodes closest to a key, providers of a file, and file blocks.
    FindNode = 14,
    Nodes = 15,
    GetProviders = 16,
    Providers = 17,
    AddProvider = 18,
    GetFileBlock = 19,
    FileBlock = 20,
    // Finality (docs/consensus.md): signed checkpoint votes, gossiped on their own.
    Votes = 21,
}
