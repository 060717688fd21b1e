using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.Model;

/// <summary>
/// The outcome of a transaction in a block. A contract transaction can be included and still fail
/// (Success false, Error set): it pays for the gas it used and nothing else of it remains.
/// </summary>
public sealed record Receipt(Hash TxHash, ulong Height, int Index, bool Success, ulong FeePaid, string? Error,
    ContractReceipt? Contract = null);

/// <summary>An event a contract emitted: its name and a value in the contract value encoding.</summary>
public sealed record ContractEvent(Address Contract, string Name, byte[] Value);

/// <summary>
/// What a contract transaction adds to its receipt. Canonical bytes: gas used u64 | created flag u8 (+ address) |
/// return value bytes | event count u32 | per event: contract [20], name text, value bytes.
/// </summary>
public sealed record ContractReceipt(ulong GasUsed, byte[] ReturnValue, IReadOnlyList<ContractEvent> Events, Address? Created)
{
    public const int MaxEvents = 1024;
    public const int MaxBytes = 4 * 1024 * 1024;

    public byte[] Encode()
    {
        var w = new CanonicalWriter(64 + ReturnValue.Length);
        w.U64(GasUsed);
        w.U8(Created is null ? (byte)0 : (byte)1);
        if (Created is { } c) w.Address(c);
        w.Bytes(ReturnValue);
        w.U32((uint)Events.Count);
        foreach (var e in Events) { w.Address(e.Contract); w.Text(e.Name); w.Bytes(e.Value); }
        return w.ToArray();
    }

    public static ContractReceipt Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxBytes) throw new DecodeException("contract receipt is too large");
        var r = new CanonicalReader(data);
        var gas = r.U64("gas used");
        var flag = r.U8("created flag");
        if (flag > 1) throw new DecodeException("bad created flag");
        Address? created = flag == 1 ? r.Address("created") : null;
        var ret = r.Bytes(MaxBytes, "return value").ToArray();
        var n = r.Count(MaxEvents, 28, "event count");
        var events = new ContractEvent[n];
        for (var i = 0; i < n; i++) events[i] = new ContractEvent(r.Address("event contract"), r.Text(256, "event name"), r.Bytes(MaxBytes, "event value").ToArray());
        r.EnsureEnd("contract receipt");
        return new ContractReceipt(gas, ret, events, created);
    }
}
