namespace Chainlab.Core.Consensus;

/// <summary>Maps wall time to fixed slots of one block time each, counted from genesis.</summary>
public sealed record SlotClock(ulong GenesisTimeMs, ulong SlotMs)
{
    public ulong SlotAt(ulong timeMs) => timeMs <= GenesisTimeMs ? 0 : (timeMs - GenesisTimeMs) / SlotMs;
    public ulong StartOf(ulong slot) => GenesisTimeMs + slot * SlotMs;
    public bool IsSlotStart(ulong timeMs) => timeMs >= GenesisTimeMs && (timeMs - GenesisTimeMs) % SlotMs == 0;
}
