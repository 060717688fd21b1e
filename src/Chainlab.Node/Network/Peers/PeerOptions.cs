using System.Net;

namespace Chainlab.Node.Network.Peers;

/// <summary>Peer-to-peer settings of a node.</summary>
public sealed record PeerOptions
{
    public string ListenAddress { get; init; } = "127.0.0.1";
    /// <summary>TCP port for peers; 0 picks a free one.</summary>
    public int Port { get; init; }
    public IReadOnlyList<IPEndPoint> Bootstrap { get; init; } = [];
    /// <summary>
    /// Bootstrap peers by host name (a container's service name, say), looked up again before each round of
    /// dials: a name that does not resolve yet (its container is still starting) is tried on the next round.
    /// </summary>
    public IReadOnlyList<DnsEndPoint> BootstrapHosts { get; init; } = [];
    /// <summary>How host names become addresses: DNS unless a test or simulator supplies its own.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;
    public int MaxOutbound { get; init; } = 8;
    public int MaxInbound { get; init; } = 32;
    /// <summary>Inbound links from one address (loopback is exempt: a devnet's nodes all share 127.0.0.1).</summary>
    public int MaxInboundPerAddress { get; init; } = 4;
    /// <summary>Inbound links still in their handshake; more are closed at once (a burst of strangers cannot pile up).</summary>
    public int MaxPendingHandshakes { get; init; } = 32;
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A message the peer does not take within this means it stopped reading: its link is closed and its slot freed.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan BanTime { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan DialInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>A dial that has not connected by then is given up (an address that swallows packets used to hold the dialer for minutes).</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Most new addresses one peer may teach us, in all its Peers messages together.</summary>
    public int MaxAddressesPerPeer { get; init; } = 32;
    /// <summary>How often one outbound link is swapped for an unconnected known peer (when more than 9 are known).</summary>
    public TimeSpan RotationInterval { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Where known peers are remembered between runs (a node core puts null in its data folder as peers.txt; empty: kept in memory only, as the simulator's nodes do).</summary>
    public string? PeersFile { get; init; }
    public int MaxKnownPeers { get; init; } = 1000;
    /// <summary>A block request not answered within this is given to another peer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Message budget per peer: sustained rate and burst. Each message over it costs a score point.</summary>
    public double MessagesPerSecond { get; init; } = 1000;
    public double MessageBurst { get; init; } = 2000;
    /// <summary>After start, sync waits up to this long for the bootstrap peers (at most 3) to link before it plans downloads.</summary>
    public TimeSpan SyncGatherTime { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// How long newly admitted transactions wait to be announced together in one batch. A devnet's 20 ms keeps
    /// gossip quick; Bitcoin Core waits about 2 s for outbound peers (more for inbound), so a busy network sends
    /// a few announcements of many hashes rather than one per transaction per peer; the simulator uses its 2 s.
    /// </summary>
    public TimeSpan TransactionBatchWait { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>
    /// Blocks only (after Bitcoin Core's -blocksonly): the node neither announces transactions nor asks for
    /// announced ones; it still answers requests and takes transactions in blocks. Unlike Bitcoin Core's, it does
    /// not announce transactions submitted to it either. The simulator's miners-only load uses it.
    /// </summary>
    public bool BlocksOnly { get; init; }
    /// <summary>
    /// How a block received from a peer is decoded; null: Block.Decode. The simulator's nodes hand back the one
    /// decoded copy of a block another node already stored, when the bytes are the same to the last byte
    /// (SharedBlocks.Decode); no option, file or flag of a real node sets it.
    /// </summary>
    public Func<byte[], Chainlab.Core.Model.Block>? DecodeBlock { get; init; }
    /// <summary>
    /// How a message becomes its frame; null: MessageCodec.Encode. The simulator's nodes share the frame of a block
    /// served on its own (every node serves the same bytes for it), so a block is framed once, not once per serve;
    /// no option, file or flag of a real node sets it.
    /// </summary>
    public Func<Protocol.Message, byte[]>? EncodeFrame { get; init; }
    /// <summary>
    /// The array a received block's bytes are kept in; null: a copy of them. The simulator's nodes hand back the
    /// bytes another node already stored when they are the same (SharedBlocks.Bytes), so a block received by a
    /// thousand nodes is not copied a thousand times; no option, file or flag of a real node sets it.
    /// </summary>
    public Protocol.BlockBytes? BlockBytes { get; init; }
    /// <summary>How long a pending transaction waits before it is announced again (gossip may have lost it on the way); the wait doubles each time.</summary>
    public TimeSpan ReannounceInterval { get; init; } = TimeSpan.FromSeconds(6);
    /// <summary>How long a provider record lives on the nodes that keep it.</summary>
    public TimeSpan ProviderRecordTtl { get; init; } = TimeSpan.FromHours(24);
    /// <summary>How often a node announces again the files it provides (well inside the records' life).</summary>
    public TimeSpan RepublishInterval { get; init; } = TimeSpan.FromHours(12);
    /// <summary>Provider records one peer may hold on this node (past it, its announcements are ignored; holders answer for their files anyway).</summary>
    public int ProviderRecordsPerPeer { get; init; } = 1000;
    /// <summary>Routing requests (FindNode, GetProviders, AddProvider) one peer may send: sustained rate and burst; past it they are dropped unanswered.</summary>
    public double DhtRequestsPerSecond { get; init; } = 100;
    public double DhtRequestBurst { get; init; } = 1000;
    /// <summary>An iterative lookup stops after this many rounds or this long, with what it found so far.</summary>
    public int LookupRounds { get; init; } = 20;
    public TimeSpan LookupTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A link the DHT made for a query is closed after this long without use.</summary>
    public TimeSpan EphemeralIdle { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How links are made: TCP unless a test or simulator supplies its own.</summary>
    public ITransport Transport { get; init; } = TcpTransport.Instance;
    /// <summary>Cut and shaped links set by a devnet's control route (the adversary lab); null on every other node.</summary>
    public ILinkFaults? Faults { get; init; }
    /// <summary>Ban peers that break the protocol (only a test switches this off, see Defences).</summary>
    public bool BanOffenders { get; init; } = true;
}
