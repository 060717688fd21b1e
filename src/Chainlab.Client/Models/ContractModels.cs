using System.Text.Json.Nodes;

namespace Chainlab.Client.Models;

public sealed record ContractStorageDto(string Key, JsonNode? Value);
public sealed record ContractDto(string Address, string CodeHash, string Code, ulong Balance, IReadOnlyList<ContractStorageDto> Storage);
public sealed record StorageValueDto(string Contract, string Key, string SlotAddress, JsonNode? Value, StateProofDto? Proof, string? Entry = null);
public sealed record ViewCallRequest(string? Function, List<JsonNode?>? Args, ulong? Gas);
public sealed record ViewCallResponse(JsonNode? Value, ulong GasUsed, ulong Height);
public sealed record ContractEventDto(ulong Height, string Tx, int Index, string Contract, string Name, JsonNode? Value);
