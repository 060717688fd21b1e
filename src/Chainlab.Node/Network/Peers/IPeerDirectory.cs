namespace Chainlab.Node.Network.Peers;

/// <summary>Who this node is linked to (for the API and status).</summary>
public interface IPeerDirectory
{
    string NodeId { get; }
    int Port { get; }
    IReadOnlyCollection<Peer> Peers { get; }
    /// <summary>Peers banned now: id, until when, why.</summary>
    IReadOnlyList<(string Id, DateTimeOffset Until, string Reason)> Banned { get; }
}
