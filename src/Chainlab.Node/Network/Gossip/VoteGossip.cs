using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using Chainlab.Node.Mempool;
using Chainlab.Node.Network.Peers;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Gossip;

/// <summary>
/// Finality votes between peers, in their own frame (<see cref="Votes"/>, at most 256 votes, capped from the frame
/// header): decoded strictly, their signatures checked as a batch by the vote pool, the new ones relayed to every
/// other peer. A vote that does not decode, is for another chain or whose signature does not hold is a protocol
/// violation (the peer is banned): an honest node relays only votes it checked. A vote that is merely stale or of
/// an unknown voter is dropped without a word (the peer may be behind or ahead).
/// </summary>
internal sealed class VoteGossip(VotePool pool, IPeerLinks links, string chainId)
{
    public void Handle(Peer peer, Votes m)
    {
        var votes = new List<Vote>(m.Raw.Count);
        foreach (var raw in m.Raw)
        {
            Vote v;
            try { v = Vote.Decode(raw); }
            catch (DecodeException e) { throw new ProtocolViolation($"sent a vote that does not decode: {e.Message}"); }
            if (v.ChainId != chainId) throw new ProtocolViolation($"sent a vote for chain '{v.ChainId}'");
            votes.Add(v);
        }
        var outcome = pool.Add(votes);
        if (outcome.BadSignatures > 0) throw new ProtocolViolation($"sent {outcome.BadSignatures} votes whose signatures do not hold");
        if (outcome.Added.Count == 0) return;
        var relay = new Votes(outcome.Added.Select(v => v.Raw).ToList());
        foreach (var other in links.Linked.Where(p => p != peer)) links.Post(other, relay);
    }

    /// <summary>Votes this node made or took from elsewhere (already in the pool): sent to every peer.</summary>
    public void Publish(IReadOnlyList<Vote> votes)
    {
        for (var i = 0; i < votes.Count; i += WireLimits.MaxVotesPerMessage)
            links.Broadcast(new Votes(votes.Skip(i).Take(WireLimits.MaxVotesPerMessage).Select(v => v.Raw).ToList()));
    }
}
