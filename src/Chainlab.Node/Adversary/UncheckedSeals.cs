using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Adversary;

/// <summary>
/// Tests only (`--test-only-disable-defence seal-check`): the node's engine with the seal check switched off,
/// so a scenario can show that the valid-seals check catches a node that takes forged blocks. Everything else
/// is the real engine's.
/// </summary>
public sealed class UncheckedSeals(IConsensusEngine inner) : IConsensusEngine
{
    public string Name => inner.Name;
    public ulong TickMs => inner.TickMs;
    public IReadOnlyList<Core.Execution.ITransactionRules> TransactionRules => inner.TransactionRules;
    public ulong? MaxHeightAt(ulong nowMs) => inner.MaxHeightAt(nowMs);
    public void InitGenesis(WorldState state) => inner.InitGenesis(state);
    public bool PunishesEquivocation => inner.PunishesEquivocation;
    public Claim? TryClaim(BlockHeader parent, IAccountReader parentState, ulong nowMs, KeyPair key) => inner.TryClaim(parent, parentState, nowMs, key);
    public byte[]? Seal(BlockHeader draft, KeyPair key, CancellationToken ct) => inner.Seal(draft, key, ct);
    public string? VerifySeal(BlockHeader header, BlockHeader parent) => null;
    public string? VerifyProducer(BlockHeader header, BlockHeader parent, IAccountReader parentState) => inner.VerifyProducer(header, parent, parentState);
    public ulong Weight(BlockHeader header, BlockHeader parent) => inner.Weight(header, parent);
    public void BeginBlock(StateOverlay state, BlockHeader header) => inner.BeginBlock(state, header);
    public void EndBlock(StateOverlay state, BlockHeader header) => inner.EndBlock(state, header);
    public object Describe(BlockHeader head, IAccountReader state, ulong nowMs) => inner.Describe(head, state, nowMs);
}
