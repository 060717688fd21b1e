using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Finality;

/// <summary>
/// Who votes on a chain's checkpoints and how often there is one (decision 0007): proof of stake, the validators of
/// the epoch snapshot weighted by their snapshot stake; proof of authority, the authorities with weight 1 each;
/// proof of work, nobody (no finality).
/// </summary>
public static class FinalityVoters
{
    /// <summary>The checkpoint interval of a proof-of-authority chain whose spec names none.</summary>
    public const ulong DefaultPoaInterval = FinalitySpec.DefaultPoaInterval;

    /// <summary>K, the distance in blocks between checkpoints: the spec's, else the engine's (epochSlots in proof of stake, 16 in proof of authority); null for proof of work.</summary>
    public static ulong? CheckpointInterval(ChainSpec spec) => spec.Consensus.Engine switch
    {
        "pow" => null,
        _ when spec.Finality is { CheckpointInterval: > 0 } f => f.CheckpointInterval,
        "pos" => spec.Consensus.EpochSlots,
        "poa" => DefaultPoaInterval,
        _ => null,
    };

    /// <summary>Whether the chain finalises: its spec switches finality on (decision 0008); never in proof of work.</summary>
    public static bool Enabled(ChainSpec spec) => spec.Finality is not null && spec.Consensus.Engine != "pow";

    /// <summary>
    /// The voters of the checkpoint whose block left <paramref name="stateAfterCheckpoint"/>; null for proof of work,
    /// and for a proof-of-stake state whose snapshot holds no stake at all.
    /// </summary>
    public static VoterSet? Of(ChainSpec spec, IAccountReader stateAfterCheckpoint)
    {
        switch (spec.Consensus.Engine)
        {
            case "pos":
                var snapshot = StakeRecord.Read(stateAfterCheckpoint).Snapshot.Where(v => v.Stake > 0).ToList();
                return snapshot.Count == 0 ? null : VoterSet.Create(snapshot);
            case "poa":
                return VoterSet.EqualWeights(AuthorityRecord.Read(stateAfterCheckpoint).Authorities);
            default:
                return null;
        }
    }
}
