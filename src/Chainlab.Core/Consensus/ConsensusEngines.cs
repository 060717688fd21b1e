using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Model;

namespace Chainlab.Core.Consensus;

/// <summary>Builds the engine a chain spec names.</summary>
public static class ConsensusEngines
{
    public static IConsensusEngine For(ChainSpec spec) => spec.Consensus.Engine switch
    {
        "poa" => new PoaEngine(spec),
        var e => throw new NotSupportedException($"consensus engine '{e}' is not available"),
    };
}
