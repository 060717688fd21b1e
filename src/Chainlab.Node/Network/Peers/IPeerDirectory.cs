namespace Chainlab.Node.Network.Peers;

/// <summary>Who this node is linked to (for the API and status).</summary>
public interface IPeerDirectory
{
    string NodeId { get; }
    int Port { get; }
    IReadOnlyCollection<Peer> Peers { get; }
}
