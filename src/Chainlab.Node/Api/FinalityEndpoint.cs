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
        api.MapGet("/finality/proof", (string? height, string? anchor) => Proof(node, height, anchor)).Produces<FinalityProofDto>().WithProblems(400, 404)
            .WithName("GetFinalityProof")
            .WithSummary("A proof that a checkpoint (?height=, default the last final one) is final, from an anchor the verifier trusts (?anchor=, default genesis): the links of votes that justify it and the one that finalises it, as canonical bytes to check offline (`chain verify-finality`).");
        api.MapGet("/finality", () => Results.Ok(Finality(node))).Produces<FinalityDto>().WithName("GetFinality")
            .WithSummary("Finality at the committed head: whether the chain finalises (its spec switches finality on; proof of work never), the last justified and finalised checkpoints, each checkpoint from the last finalised one on with the weight that voted for it, and the double and surround votes punished by vote evidence.");
    }

    /// <summary>GET /api/v1/finality/proof?height=H&amp;anchor=A: the proof that the checkpoint at H (default: the last final one) is final, from A (default genesis).</summary>
    public static IResult Proof(ApiContext node, string? height, string? anchor)
    {
        var spec = node.Chain.Spec;
        if (!FinalityVoters.Enabled(spec) || node.FinalityArchive is not { } archive)
            return Problems.Of("no-finality", 404, "No finality", "this chain does not finalise: nothing is final to prove");
        static bool Parse(string? s, out ulong v) { v = 0; return s is null || ulong.TryParse(s, System.Globalization.NumberStyles.None, null, out v); }
        if (!Parse(height, out var h)) return Problems.Malformed($"height '{Problems.Clip(height!)}' is not a number");
        if (!Parse(anchor, out var a)) return Problems.Malformed($"anchor '{Problems.Clip(anchor!)}' is not a number");
        var interval = FinalityVoters.CheckpointInterval(spec)!.Value;
        var final = node.Chain.Committed is var c && FinalityRecord.Read(spec, c.State) is { } t ? t.LastFinalised : new Checkpoint(0, node.Chain.GenesisHash);
        if (height is null) h = final.Height;
        if (h % interval != 0) return Problems.Malformed($"height {h} is not a checkpoint (a multiple of {interval})");
        if (a % interval != 0) return Problems.Malformed($"anchor {a} is not a checkpoint (a multiple of {interval})");
        if (a >= h && h > 0) return Problems.Malformed($"the anchor {a} is not below the checkpoint {h}");
        if (h == 0) return Problems.Malformed("genesis is final by definition: there is nothing to prove");
        if (h > final.Height) return Problems.NotFound($"checkpoint {h} is not final yet (the last final checkpoint is {final.Height})");
        Checkpoint At(ulong height) => new(height, node.Chain.Blocks.HeaderByHeight(height)?.Hash ?? default);
        var target = At(h);
        var from = a == 0 ? new Checkpoint(0, node.Chain.GenesisHash) : At(a);
        if (archive.Prove(target, from, out var why) is not { } proof) return Problems.NotFound($"no proof for checkpoint {h} from {a}: {why}");
        static FinalityCheckpointRefDto Ref(Checkpoint x) => new(x.Height, x.Hash.ToString());
        var links = proof.Links.Select(l =>
        {
            var weight = l.Votes.Aggregate(0UL, (w, v) => w + l.Voters.WeightOf(v.VoterKey));
            return new FinalityLinkDto(Ref(l.Source), Ref(l.Target), l.Votes.Count, weight, l.Voters.Total);
        }).ToList();
        return Results.Ok(new FinalityProofDto(spec.ChainId, interval, Ref(target), Ref(from), links, Convert.ToHexStringLower(proof.Encode())));
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
