using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using System.Text.Json.Nodes;

namespace Chainlab.Client.Models;

public sealed record StatusDto(string ChainId, string GenesisHash, string Consensus, ulong HeadHeight, string HeadHash,
    ulong HeadTimestampMs, string StateRoot, int MempoolSize, IReadOnlyList<PeerDto> Peers, string Version, ulong BlockTimeMs,
    string? Producer, long TransactionsCommitted, SyncDto Sync, ForkDto Forks, object Engine, ContractSpec Contracts, ulong MinFee,
    IReadOnlyList<string> Misbehaving, ulong? FinalizedHeight = null);

/// <summary>Coins at a head, as decimal strings (sums may pass 2^64): total = balances + staked; genesis + minted is what the rules made.</summary>
public sealed record SupplyDto(ulong Height, string Hash, int Accounts, string Balances, string Staked, string Unbonding, string Total, string Genesis, string Minted, string Burned, bool Conserved);

/// <summary>Sync progress: the best height peers report; syncing while it is more than one block ahead of ours.</summary>
public sealed record SyncDto(bool Syncing, ulong Height, ulong Target, double Percent);

/// <summary>Fork choice: the head branch's weight, side blocks kept, reorganisations since start.</summary>
public sealed record ForkDto(ulong HeadWeight, int SideBlocks, long Reorgs, ulong LastReorgDepth, ulong DeepestReorg, long EquivocationsSeen);

public sealed record PeerDto(string NodeId, string Address, string Direction, ulong Height, double LatencyMs, int Score, long BlocksReceived);

public sealed record HeaderDto(ulong Height, string Hash, string Parent, ulong TimestampMs, string Producer, string ProducerKey,
    string TxRoot, string StateRoot, string FilesRoot, uint TxCount, string Seal)
{
    public static HeaderDto From(BlockHeader h) => new(h.Height, h.Hash.ToString(), h.Parent.ToString(), h.TimestampMs,
        Address.FromPublicKey(h.Producer).ToString(), Convert.ToHexStringLower(h.Producer), h.TxRoot.ToString(),
        h.StateRoot.ToString(), h.FilesRoot.ToString(), h.TxCount, Convert.ToHexStringLower(h.Seal));
}

public sealed record BlockDto(HeaderDto Header, IReadOnlyList<string> Transactions, IReadOnlyList<FileRefDto> Files);

/// <summary>A block with whole transactions (?transactions=full).</summary>
public sealed record BlockFullDto(HeaderDto Header, IReadOnlyList<TxDto> Transactions, IReadOnlyList<FileRefDto> Files);

/// <summary>This node's peer identity and its links.</summary>
public sealed record PeersDto(string? NodeId, int? P2pPort, IReadOnlyList<PeerDto> Peers, IReadOnlyList<BanDto> Banned);

/// <summary>A peer this node refuses until a time, and why.</summary>
public sealed record BanDto(string NodeId, DateTimeOffset Until, string Reason);

/// <summary>The outcome of POST /blocks.</summary>
public sealed record ImportBlockDto(string Status, ulong Height, string Hash);

public sealed record BlockPageDto(IReadOnlyList<HeaderDto> Blocks, ulong? Next);

public sealed record TxDto(string Hash, string Kind, string ChainId, string From, string SenderKey, ulong Nonce, ulong Fee,
    string To, ulong Amount, string Payload, string Signature, string Raw)
{
    public static TxDto Of(Transaction t) => new(t.Hash.ToString(), t.Kind.ToString().ToLowerInvariant(), t.ChainId,
        t.Sender.ToString(), Convert.ToHexStringLower(t.SenderKey), t.Nonce, t.Fee, t.To.ToString(), t.Amount,
        Convert.ToHexStringLower(t.Payload), Convert.ToHexStringLower(t.Signature), Convert.ToHexStringLower(t.Raw));
}

/// <summary>What a transaction did: success, the fee paid, and for contract calls the gas, return value, events and created contract.</summary>
public sealed record ReceiptDto(bool Success, ulong FeePaid, string? Error, ulong? GasUsed = null,
    JsonNode? ReturnValue = null, IReadOnlyList<ReceiptEventDto>? Events = null, string? ContractAddress = null);

public sealed record ReceiptEventDto(string Contract, string Name, JsonNode? Value);

public sealed record MerkleProofDto(int Index, int LeafCount, IReadOnlyList<string> Path, string TxRoot)
{
    public static MerkleProofDto From(MerkleProof p, Hash root) => new(p.Index, p.LeafCount, p.Path.Select(h => h.ToString()).ToList(), root.ToString());
}

public sealed record TxStatusDto(string Hash, string Status, string? Reason, string? BlockHash, ulong? BlockHeight, int? Index,
    ReceiptDto? Receipt, MerkleProofDto? Proof, TxDto? Transaction);

public sealed record StateProofDto(string StateRoot, ulong Height, string Key, IReadOnlyList<string> Siblings, string? LeafKey, string? LeafValue);

/// <summary>An account at the head, with its state proof when asked (?proof=true).</summary>
/// <param name="Address">The account's address.</param>
/// <param name="Balance">Spendable coins.</param>
/// <param name="Nonce">The nonce its next transaction in a block must carry.</param>
/// <param name="Stake">Coins staked (proof of stake).</param>
/// <param name="NextNonce">The nonce to sign with next, counting its transactions waiting in this node's pool.</param>
/// <param name="Proof">The state proof of the account under the head's state root.</param>
/// <param name="Data">The account's data as hex ("" for most accounts; the system accounts hold the authority and validator records there), so a client can hash the value a proof commits to.</param>
public sealed record AccountDto(string Address, ulong Balance, ulong Nonce, ulong Stake, ulong NextNonce, StateProofDto? Proof, string Data);

public sealed record MempoolDto(int Count, IReadOnlyList<TxDto> Transactions);

/// <summary>
/// One transaction to submit: either "raw" (canonical bytes as hex) alone, or every field with the signature.
/// </summary>
public sealed record SubmitTxRequest(string? Raw, string? Kind, string? ChainId, string? SenderKey, ulong? Nonce, ulong? Fee,
    string? To, ulong? Amount, string? Payload, string? Signature);

/// <summary>Many transactions as hex canonical bytes, admitted in order.</summary>
public sealed record SubmitBatchRequest(IReadOnlyList<string>? Transactions);

public sealed record SubmitResultDto(int Index, string? Hash, string Status, string? Type, string? Detail);

public sealed record SubmitBatchResponse(int Accepted, int Rejected, IReadOnlyList<SubmitResultDto> Results);

/// <summary>
/// A checkpoint of the finality record: justified, final, and the weight of the distinct voters whose counted
/// votes target it against its voter set's total (participation).
/// </summary>
public sealed record FinalityCheckpointDto(ulong Height, string Hash, bool Justified, bool Finalized, ulong VotedWeight, ulong TotalWeight, int Voters);

/// <summary>
/// GET /api/v1/finality: whether the chain finalises (its spec switches finality on; never proof of work, and why
/// not), the checkpoint interval and vote depth, the last justified and finalised checkpoints, and every
/// checkpoint the record still holds (from the last finalised one on), and the vote offences punished so far, at
/// the committed head.
/// </summary>
public sealed record FinalityDto(bool Enabled, string? Why, ulong? CheckpointInterval, ulong? VoteDepth, ulong HeadHeight,
    FinalityCheckpointDto? LastJustified, FinalityCheckpointDto? LastFinalized, IReadOnlyList<FinalityCheckpointDto> Checkpoints,
    IReadOnlyList<FinalityOffenceDto>? Offences = null);

/// <summary>One link of a finality proof: its source and target checkpoints, how many votes it carries, their weight and the voter set's total.</summary>
public sealed record FinalityLinkDto(FinalityCheckpointRefDto Source, FinalityCheckpointRefDto Target, int Votes, ulong Weight, ulong TotalWeight);

/// <summary>A checkpoint: a block height at a multiple of the interval, and the block's hash.</summary>
public sealed record FinalityCheckpointRefDto(ulong Height, string Hash);

/// <summary>
/// GET /api/v1/finality/proof: a proof that a checkpoint is final, checkable offline (docs/protocol.md, "Finality
/// proofs"): from an anchor the verifier trusts (genesis unless asked), the links that justify the checkpoint, then
/// the link from it to the next checkpoint, each with more than two thirds of its voter set's weight. Proof is the
/// canonical bytes (hex) a verifier decodes and checks; the rest says what they hold.
/// </summary>
public sealed record FinalityProofDto(string ChainId, ulong CheckpointInterval, FinalityCheckpointRefDto Checkpoint, FinalityCheckpointRefDto Anchor,
    IReadOnlyList<FinalityLinkDto> Links, string Proof);

/// <summary>A double or surround vote punished by vote evidence: the voter's key and address, and the higher target height of its two votes.</summary>
public sealed record FinalityOffenceDto(string Voter, string Address, ulong Height);
