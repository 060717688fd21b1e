using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>A 32-byte SHA-256 digest, comparable and usable as a dictionary key.</summary>
public readonly struct Hash : IEquatable<Hash>, IComparable<Hash>
{
    public const int Size = 32;
    private readonly ulong _a, _b, _c, _d;

    public Hash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException("a hash is 32 bytes", nameof(bytes));
        _a = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public static Hash Zero => default;
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>
    /// SHA-256. Short inputs (transactions, Merkle nodes, headers: hashed by the million in a large simulation)
    /// go through <see cref="FastSha256"/>, which skips OpenSSL's EVP layer (its per-call error-queue clearing and
    /// allocation cost more than hashing a few hundred bytes); long ones through .NET's call.
    /// </summary>
    public static Hash Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> d = stackalloc byte[Size];
        if (data.Length <= FastInputLimit) FastSha256.Hash(data, d);
        else SHA256.HashData(data, d);
        return new Hash(d);
    }

    // FastSha256 calls OpenSSL without a GC transition, which suits short calls only.
    private const int FastInputLimit = 1024;

    /// <summary>SHA-256 of two concatenated 32-byte values with a one-byte domain prefix.</summary>
    public static Hash Combine(byte prefix, in Hash left, in Hash right)
    {
        Span<byte> buf = stackalloc byte[1 + 2 * Size];
        buf[0] = prefix;
        left.WriteTo(buf.Slice(1, Size));
        right.WriteTo(buf.Slice(1 + Size, Size));
        return Sha256(buf);
    }

    public void WriteTo(Span<byte> dest)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest, _a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest[8..], _b);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest[16..], _c);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest[24..], _d);
    }

    public byte[] ToArray()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    /// <summary>Bit i counted from the most significant bit of byte 0.</summary>
    public int Bit(int i)
    {
        var word = (i >> 6) switch { 0 => _a, 1 => _b, 2 => _c, _ => _d };
        return (int)((word >> (63 - (i & 63))) & 1);
    }

    public static Hash Parse(string hex)
    {
        if (!TryParse(hex, out var h)) throw new FormatException("expected 64 hex characters");
        return h;
    }

    public static bool TryParse(string? hex, out Hash hash)
    {
        hash = default;
        if (hex is null) return false;
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length != 64) return false;
        Span<byte> b = stackalloc byte[Size];
        if (Convert.FromHexString(hex, b, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
            return false;
        hash = new Hash(b);
        return true;
    }

    public override string ToString() => Convert.ToHexStringLower(ToArray());
    public string Short => ToString()[..12];
    public bool Equals(Hash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is Hash h && Equals(h);
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);
    public int CompareTo(Hash o)
    {
        int c = _a.CompareTo(o._a); if (c != 0) return c;
        c = _b.CompareTo(o._b); if (c != 0) return c;
        c = _c.CompareTo(o._c); if (c != 0) return c;
        return _d.CompareTo(o._d);
    }
    public static bool operator ==(Hash l, Hash r) => l.Equals(r);
    public static bool operator !=(Hash l, Hash r) => !l.Equals(r);
}
