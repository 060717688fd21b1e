using Chainlab.Node.Network.Peers;
using Chainlab.Node.Events;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Gossip;

/// <summary>
/// Tells peers about our new head. While syncing, heads come in bursts of thousands: only the newest of a
/// burst is announced, and only to peers that are behind it. (Announcing every synced block to the peer
/// serving them once looked like a flood and got the syncing node banned at about 4,300 blocks.)
/// </summary>
internal sealed class BlockAnnouncer(NodeEvents events, IPeerLinks links, TransactionGossip transactions, Func<ulong, bool>? withheld = null) : IDisposable
{
    private readonly EventQueue<HeadChanged> _heads = events.Queue<HeadChanged>();

    public void Start(CancellationToken stop) => _ = links.Spawn(() => Run(stop));

    private async Task Run(CancellationToken stop)
    {
        var heads = _heads.Reader;
        try
        {
            while (await heads.WaitToReadAsync(stop))
            {
                if (!heads.TryRead(out var e) || heads.TryPeek(out _)) continue;
                if (withheld?.Invoke(e.Head.Height) == true) continue; // a selfish miner's private block (adversary lab)
                var announce = new AnnounceBlock(e.Head.Hash, e.Head.Height);
                foreach (var p in links.Linked)
                    if (p.BestHeight < e.Head.Height) links.Post(p, announce);
                transactions.OnNewHead();
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose() => _heads.Dispose();
}
