using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>Reserved accounts that hold consensus records in their data; no key can sign for them.</summary>
public static class SystemAccounts
{
    public static readonly Address Authorities = Of("chainlab/system/authorities");
    public static readonly Address Validators = Of("chainlab/system/validators");
    /// <summary>The finality record (decision 0007, point 6): checkpoints, justified links, counted votes; only on chains whose spec switches finality on.</summary>
    public static readonly Address Finality = Of("chainlab/system/finality");
    /// <summary>The finality offences already punished (voter key and the higher target height of the two votes), so one offence is punished once; written by the first vote evidence.</summary>
    public static readonly Address VoteOffences = Of("chainlab/system/vote-offences");
    /// <summary>
    /// Where burnt coins go: the part of a slash not paid to the reporter, and fees under the burn policy. No key
    /// signs for it, so its balance only grows, and coins in accounts plus it always equal genesis plus rewards.
    /// </summary>
    public static readonly Address Burned = Of("chainlab/system/burned");

    /// <summary>Whether the address is one of these: no transfer or contract may send coins to it (the records would overwrite them, or burnt coins would grow by hand).</summary>
    public static bool IsReserved(Address address) => address == Authorities || address == Validators || address == Burned || address == Finality || address == VoteOffences;

    /// <summary>Burns amount: credits it to <see cref="Burned"/>; false on overflow.</summary>
    public static bool Burn(StateOverlay state, ulong amount)
    {
        if (amount == 0) return true;
        var b = state.Get(Burned);
        if (b.Balance > ulong.MaxValue - amount) return false;
        state.Set(Burned, b with { Balance = b.Balance + amount });
        return true;
    }

    private static Address Of(string tag) => new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tag)).AsSpan(0, Address.Size));
}
