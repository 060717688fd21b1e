using Chainlab.Node.Common;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Mempool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chainlab.Node.Api;

/// <summary>GET /status and GET /peers: what this node is, where its chain stands and whom it is linked to.</summary>
internal static class StatusEndpoints
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/status", () => Status(node)).Produces<StatusDto>().WithName("GetStatus")
            .WithSummary("Chain, head, mempool, peers, sync, forks, the engine's state, contract limits, the minimum fee, and the misbehaviours a node of the adversary lab was started with.");


        api.MapGet("/peers", () => Results.Ok(new PeersDto(node.Peers?.NodeId, node.Peers?.Port, PeerList(node),
            node.Peers?.Banned.Select(b => new BanDto(b.Id, b.Until, b.Reason)).ToList() ?? [])))
            .Produces<PeersDto>().WithName("ListPeers").WithSummary("Connected peers (node id, address, direction, height, latency, score) and the peers banned now, with why.");

    }

    private static IResult Status(ApiContext node)
    {
        var h = node.Chain.Head;
        var spec = node.Chain.Spec;
        return Results.Ok(new StatusDto(spec.ChainId, node.Chain.GenesisHash.ToString(), node.Chain.EngineName, h.Height,
            h.Hash.ToString(), h.TimestampMs, h.StateRoot.ToString(), node.Pool.Count, PeerList(node), NodeVersion.Current,
            spec.BlockTimeMs, node.Producer, node.Chain.CommittedTransactions, SyncOf(node, h.Height),
            new ForkDto(node.Chain.HeadWeight, node.Chain.SideBlocks, node.Chain.Reorgs.Count, node.Chain.Reorgs.LastDepth, node.Chain.Reorgs.Deepest, node.Chain.Equivocations),
            node.Chain.ConsensusInfo(), spec.Contracts, spec.MinFee, node.Misbehaving ?? [], node.Chain.FinalizedHeight));
    }

    private static SyncDto SyncOf(ApiContext node, ulong height)
    {
        var target = Math.Max(height, node.Peers?.Peers.Select(p => p.BestHeight).DefaultIfEmpty(0UL).Max() ?? 0);
        var percent = target == 0 ? 100 : Math.Round(100.0 * height / target, 2);
        return new SyncDto(target > height + 1, height, target, percent);
    }

    private static List<PeerDto> PeerList(ApiContext node) =>
        node.Peers?.Peers.Select(p => new PeerDto(p.Id, p.Address, p.Outbound ? "outbound" : "inbound", p.BestHeight, Math.Round(p.LatencyMs, 2), p.Score, p.BlocksReceived)).ToList() ?? [];

}
