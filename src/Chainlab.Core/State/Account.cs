using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.State;

/// <summary>
/// An account's state. Canonical bytes: balance u64 | nonce u64 | stake u64, then, only when present,
/// data (u32 length + bytes). Data holds consensus records (the authority set, the validator set) in
/// reserved system accounts; ordinary accounts have none, so their commitment is the same as before.
/// </summary>
public readonly record struct Account(ulong Balance, ulong Nonce, ulong Stake, byte[]? Data = null)
{
    public const int EncodedSize = 24;
    public const int MaxDataBytes = 1024 * 1024;
    public static readonly Account Empty = default;
    public bool IsEmpty => Balance == 0 && Nonce == 0 && Stake == 0 && (Data is null || Data.Length == 0);

    public bool Equals(Account other) =>
        Balance == other.Balance && Nonce == other.Nonce && Stake == other.Stake &&
        (Data ?? []).AsSpan().SequenceEqual(other.Data ?? []);

    public override int GetHashCode() => HashCode.Combine(Balance, Nonce, Stake, Data?.Length ?? 0);

    public byte[] Encode()
    {
        var w = new CanonicalWriter(EncodedSize + (Data?.Length ?? 0) + 4);
        w.U64(Balance); w.U64(Nonce); w.U64(Stake);
        if (Data is { Length: > 0 }) w.Bytes(Data);
        return w.ToArray();
    }

    public static Account Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var a = new Account(r.U64("balance"), r.U64("nonce"), r.U64("stake"),
            data.Length > EncodedSize ? r.Bytes(MaxDataBytes, "account data").ToArray() : null);
        r.EnsureEnd("account");
        return a;
    }

    public Hash ValueHash()
    {
        if (Data is { Length: > 0 }) return Hash.Sha256(Encode());
        Span<byte> b = stackalloc byte[EncodedSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, Balance);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b[8..], Nonce);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b[16..], Stake);
        return Hash.Sha256(b);
    }
}
