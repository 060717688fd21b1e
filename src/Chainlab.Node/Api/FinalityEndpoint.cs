using Chainlab.Client.Models;
using Chainlab.Core.Finality;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chainlab.Node.Api;

/// <summary>GET /api/v1/finality: the finality record at the committed head (decisions 0007 and 0009).</summary>
public static class FinalityEndpoint
{
    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        api.MapGet("/finality", () => Results.Ok(Finality(node))).Produces<FinalityDto>().WithName("GetFinality")
            .WithSummary("Finality at the committed head: whether the chain finalises (its spec switches finality on; proof of work never), the last justified and finalised checkpoints, each checkpoint from the last finalised one on with the weight that voted for it, and the double and surround votes punished by vote evidence.");
    }

    public static FinalityDto Finality(ApiContext node)
    {
        var spec = node.Chain.Spec;
        var c = node.Chain.Committed;
        if (!FinalityVoters.Enabled(spec))
            return new FinalityDto(false, spec.Consensus.Engine == "pow" ? "proof of work has no voters: blocks are only ever probably final" : "the chain spec does not switch finality on",
                null, null, c.Header.Height, null, null, []);
        var interval = FinalityVoters.CheckpointInterval(spec);
        if (FinalityRecord.Read(spec, c.State) is not { } t)
            return new FinalityDto(true, null, interval, spec.Finality!.VoteDepth, c.Header.Height, null, null, []);
        FinalityCheckpointDto Dto(Checkpoint cp)
        {
            var (weight, total) = t.Participation(cp);
            return new(cp.Height, cp.Hash.ToString(), t.IsJustified(cp), t.IsFinalised(cp), weight, total, t.VotersOf(cp)?.Count ?? 0);
        }
        var offences = VoteEvidenceRules.ReadOffences(c.State)
            .Select(o => new FinalityOffenceDto(Convert.ToHexStringLower(o.Key), Chainlab.Core.Crypto.Address.FromPublicKey(o.Key).ToString(), o.Height)).ToList();
        return new FinalityDto(true, null, interval, spec.Finality!.VoteDepth, c.Header.Height, Dto(t.LastJustified), Dto(t.LastFinalised),
            t.Checkpoints.Select(Dto).ToList(), offences);
    }
}
