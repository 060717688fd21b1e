using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus;

/// <summary>
/// Who votes on a chain's checkpoints and how often there is one (decision 0007): proof of stake, the validators of
/// the epoch snapshot weighted by their snapshot stake; proof of authority, the authorities with weight 1 each;
/// proof of work, nobody (no finality).
/// </summary>
public static class FinalityVoters
{
    /// <summary>The checkpoint interval of a proof-of-authority chain whose spec names none.</summary>
    public const ulong DefaultPoaInterval = 16;

    /// <summary>K, the distance in blocks between checkpoints; null for proof of work.</summary>
    public static ulong? CheckpointInterval(ChainSpec spec) => spec.Consensus.Engine switch
    {
        "pos" => spec.Consensus.EpochSlots,
        "poa" => DefaultPoaInterval,
        _ => null,
    };

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
