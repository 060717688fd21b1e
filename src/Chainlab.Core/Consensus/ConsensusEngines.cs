using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Consensus.Pow;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus;

/// <summary>Builds the engine a chain spec names, and routes the consensus-owned transaction kinds to its rules.</summary>
public static class ConsensusEngines
{
    public static IConsensusEngine For(ChainSpec spec) => spec.Consensus.Engine switch
    {
        "poa" => new PoaEngine(spec),
        "pow" => new PowEngine(spec),
        "pos" => new PosEngine(spec),
        var e => throw new NotSupportedException($"consensus engine '{e}' is not available"),
    };

    /// <summary>Does this chain punish equivocation with evidence transactions?</summary>
    public static bool TakesEvidence(ChainSpec spec) => spec.Consensus.Engine == "pos";

    /// <summary>System records the engine keeps in state from genesis.</summary>
    public static void InitGenesis(ChainSpec spec, WorldState state)
    {
        switch (spec.Consensus.Engine)
        {
            case "poa": PoaEngine.InitGenesis(spec, state); break;
            case "pos": PosEngine.InitGenesis(spec, state); break;
        }
    }

    /// <summary>
    /// Stateless checks of a consensus-owned kind (authority change, evidence); null when this engine
    /// does not own the kind.
    /// </summary>
    public static TxRejection? CheckStateless(Transaction tx, ChainSpec spec) => (tx.Kind, spec.Consensus.Engine) switch
    {
        (TxKind.AuthorityChange, "poa") => PoaEngine.CheckChange(tx),
        (TxKind.Evidence, "pos") => PosEngine.CheckEvidenceShape(tx),
        _ => null,
    };

    /// <summary>
    /// Applies a stake, unstake, authority change or evidence transaction after the sender has been debited
    /// (after holds the sender's account with the fee, and for stake the amount, already taken). Null
    /// means the engine does not handle this kind and the generic rule applies.
    /// </summary>
    public static TxRejection? Apply(StateOverlay state, Transaction tx, Account after, ChainSpec spec, ulong height) =>
        (tx.Kind, spec.Consensus.Engine) switch
        {
            (TxKind.AuthorityChange, "poa") => PoaEngine.ApplyChange(state, tx, after, spec, height),
            (TxKind.Stake or TxKind.Unstake or TxKind.Evidence, "pos") => PosEngine.Apply(state, tx, after, spec, height),
            _ => null,
        };
}
