using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.State;

/// <summary>An account's state. Canonical bytes: balance u64 | nonce u64 | stake u64.</summary>
public readonly record struct Account(ulong Balance, ulong Nonce, ulong Stake)
{
    public const int EncodedSize = 24;
    public static readonly Account Empty = default;
    public bool IsEmpty => Balance == 0 && Nonce == 0 && Stake == 0;

    public byte[] Encode()
    {
        var w = new CanonicalWriter(EncodedSize);
        w.U64(Balance); w.U64(Nonce); w.U64(Stake);
        return w.ToArray();
    }

    public static Account Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var a = new Account(r.U64("balance"), r.U64("nonce"), r.U64("stake"));
        r.EnsureEnd("account");
        return a;
    }

    public Hash ValueHash()
    {
        Span<byte> b = stackalloc byte[EncodedSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, Balance);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b[8..], Nonce);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b[16..], Stake);
        return Hash.Sha256(b);
    }
}
