using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Rules;

/// <summary>
/// What a chain spec starts from: its genesis state and block. Here rather than on <see cref="ChainSpec"/>
/// because the engine the spec names writes its system accounts into the genesis state.
/// </summary>
public static class Genesis
{
    /// <summary>The genesis state: allocations applied to an empty world, then the engine's system accounts.</summary>
    public static WorldState GenesisState(this ChainSpec spec)
    {
        var s = new WorldState();
        foreach (var (addr, bal) in spec.Alloc) s.Put(Address.Parse(addr), new Account(bal, 0, 0));
        ConsensusEngines.For(spec).InitGenesis(s);
        return s;
    }

    /// <summary>The genesis block: height 0, no parent, seal = SHA-256 of the canonical spec.</summary>
    public static Block GenesisBlock(this ChainSpec spec)
    {
        var header = new BlockHeader(0, Hash.Zero, spec.GenesisTimeMs, new byte[32], Hash.Zero, spec.GenesisState().Root,
            Hash.Zero, 0, Hash.Sha256(spec.CanonicalBytes()).ToArray());
        return new Block(header, [], []);
    }
}
