using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// What gossip and sync need of the peer links: who is linked and a way to send. A failed send is dropped
/// (the link's own read loop ends it); replies to a peer's request are awaited, so a peer that asks faster
/// than it reads waits for its own answers.
/// </summary>
internal interface IPeerLinks
{
    IReadOnlyCollection<Peer> Linked { get; }
    Task Send(Peer peer, Message message);
    /// <summary>Sends without waiting: the send starts now (so messages to one peer keep their order) and stopping awaits it.</summary>
    void Post(Peer peer, Message message);
    void Broadcast(Message message);
    /// <summary>Writes the block requests queued on the peer, in queue order.</summary>
    void FlushRequests(Peer peer);
    /// <summary>Starts background work on the node's scheduler.</summary>
    Task Spawn(Func<Task> work);
}
