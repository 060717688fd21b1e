namespace Chainlab.Client.Models;

/// <summary>The devnet this node belongs to: its own name, every member's API, whether fault control is on, the misbehaviours it knows.</summary>
public sealed record DevnetInfoDto(string? Self, IReadOnlyList<DevnetMember> Nodes, bool Control, IReadOnlyList<MisbehaviourDto> Misbehaviours);

public sealed record MisbehaviourDto(string Name, string What, IReadOnlyList<string>? Engines);

/// <summary>One node of a devnet as the dashboard reaches it.</summary>
public sealed record DevnetMember(string Name, string Api);

/// <summary>What a search text names: a height or block hash, a transaction, an address, a CID (for the dashboard's search box).</summary>
public sealed record SearchDto(string Query, string Kind, string? Id);

/// <summary>The data of a 'head' event: a new head block.</summary>
public sealed record HeadEvent(ulong Height, string Hash, uint TxCount, ulong TimestampMs, string StateRoot);

/// <summary>A devnet faucet request: the address to pay.</summary>
public sealed record FaucetRequest(string? Address);

/// <summary>A faucet's drip: the transfer it signed and put in the node's mempool (wait for it by its hash).</summary>
public sealed record FaucetDripDto(string Hash, string To, ulong Amount, string From);
