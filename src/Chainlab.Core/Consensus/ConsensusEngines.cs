using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Consensus.Pow;
using Chainlab.Core.Model;

namespace Chainlab.Core.Consensus;

/// <summary>The one place an engine is chosen by the name in a chain spec.</summary>
public static class ConsensusEngines
{
    public static IConsensusEngine For(ChainSpec spec) => spec.Consensus.Engine switch
    {
        "poa" => new PoaEngine(spec),
        "pow" => new PowEngine(spec),
        "pos" => new PosEngine(spec),
        var e => throw new NotSupportedException($"consensus engine '{e}' is not available"),
    };
}
