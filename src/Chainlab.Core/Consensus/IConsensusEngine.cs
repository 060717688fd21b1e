using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus;

/// <summary>The right to produce one block: the timestamp to use and the seal bytes fixed before sealing.</summary>
public sealed record Claim(ulong TimestampMs, byte[] SealPrefix);

/// <summary>
/// What a consensus engine decides. A new engine is a folder with one class implementing this (plus the
/// rules of the transaction kinds it owns) and an entry in <see cref="ConsensusEngines"/>. The import pipeline calls, in order: VerifySeal (header and
/// parent only, before fork choice), Weight (fork choice), VerifyProducer (against the state after the
/// parent, when the block is executed), then EndBlock after the transactions.
/// </summary>
public interface IConsensusEngine
{
    string Name { get; }

    /// <summary>How often a producer should try, in ms (the block time, or finer when turns move inside a slot).</summary>
    ulong TickMs { get; }

    /// <summary>The transaction kinds this engine adds to the chain (or replaces, as stake in proof of stake).</summary>
    IReadOnlyList<Execution.ITransactionRules> TransactionRules { get; }

    /// <summary>
    /// The highest height any chain of this engine can have reached at nowMs, or null when the engine has no
    /// such bound (proof of work). Slot engines put each block in a later slot than its parent, so the height
    /// is at most the number of slots since genesis. A peer's claim above it is a lie.
    /// </summary>
    ulong? MaxHeightAt(ulong nowMs) => null;

    /// <summary>Writes the engine's system records into the genesis state.</summary>
    void InitGenesis(WorldState state);

    /// <summary>
    /// Whether a producer signing two blocks for one slot is punished (the chain takes evidence), so nodes
    /// should watch seals for it.
    /// </summary>
    bool PunishesEquivocation => TransactionRules.Any(r => r.Kind == TxKind.Evidence);

    /// <summary>May the holder of key produce a child of parent at nowMs? Null when not.</summary>
    Claim? TryClaim(BlockHeader parent, IAccountReader parentState, ulong nowMs, KeyPair key);

    /// <summary>
    /// Completes the seal of a draft header whose Seal holds the claim's prefix; null when cancelled
    /// (proof of work stops as soon as the head moves).
    /// </summary>
    byte[]? Seal(BlockHeader draft, KeyPair key, CancellationToken ct);

    /// <summary>Checks that need only the header and its parent's header; null when valid, else the reason.</summary>
    string? VerifySeal(BlockHeader header, BlockHeader parent);

    /// <summary>Checks that need the state after the parent: is the producer entitled to this block?</summary>
    string? VerifyProducer(BlockHeader header, BlockHeader parent, IAccountReader parentState);

    /// <summary>
    /// The block's contribution to its branch weight; fork choice follows the heaviest branch (ties go to
    /// the lower tip hash, so every node picks the same one). Called only for headers whose seal is valid.
    /// </summary>
    ulong Weight(BlockHeader header, BlockHeader parent);

    /// <summary>The engine's own state changes at the start of a block, before its transactions (a new epoch).</summary>
    void BeginBlock(StateOverlay state, BlockHeader header);

    /// <summary>The engine's own state changes at the end of a block: activations, epochs, randomness, releases.</summary>
    void EndBlock(StateOverlay state, BlockHeader header);

    /// <summary>The engine's view for status and the CLI.</summary>
    object Describe(BlockHeader head, IAccountReader state, ulong nowMs);
}
