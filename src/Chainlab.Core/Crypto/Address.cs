using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>
/// An account address: the first 20 bytes of SHA-256 of the Ed25519 public key.
/// Text form: "cl" + Base58(address ‖ first 4 bytes of SHA-256(SHA-256(address))).
/// </summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    public const int Size = 20;
    public const string Prefix = "cl";
    private readonly ulong _a, _b;
    private readonly uint _c;

    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException("an address is 20 bytes", nameof(bytes));
        _a = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    public static Address Zero => default;
    public bool IsZero => (_a | _b | _c) == 0;

    public static Address FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        Span<byte> d = stackalloc byte[32];
        SHA256.HashData(publicKey, d);
        return new Address(d[..Size]);
    }

    public void WriteTo(Span<byte> dest)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest, _a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest[8..], _b);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(dest[16..], _c);
    }

    public byte[] ToArray()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    private static void Checksum(ReadOnlySpan<byte> address, Span<byte> dest4)
    {
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(address, h);
        SHA256.HashData(h, h);
        h[..4].CopyTo(dest4);
    }

    public override string ToString()
    {
        Span<byte> buf = stackalloc byte[Size + 4];
        WriteTo(buf);
        Checksum(buf[..Size], buf[Size..]);
        return Prefix + SimpleBase.Base58.Bitcoin.Encode(buf);
    }

    /// <summary>Parses the checksummed text form; the error says what is wrong.</summary>
    public static bool TryParse(string? text, out Address address, out string error)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text)) { error = "address is empty"; return false; }
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < 20 || text.Length > 40)
        { error = $"'{Truncate(text)}' is not a chainlab address (expected 'cl' followed by base58)"; return false; }
        byte[] raw;
        try { raw = SimpleBase.Base58.Bitcoin.Decode(text.AsSpan(Prefix.Length)); }
        catch (Exception) { error = $"'{Truncate(text)}' contains characters outside base58"; return false; }
        if (raw.Length != Size + 4) { error = $"'{Truncate(text)}' has the wrong length for an address"; return false; }
        Span<byte> check = stackalloc byte[4];
        Checksum(raw.AsSpan(0, Size), check);
        if (!check.SequenceEqual(raw.AsSpan(Size)))
        { error = $"'{Truncate(text)}' has a bad checksum (mistyped address?)"; return false; }
        address = new Address(raw.AsSpan(0, Size));
        error = "";
        return true;
    }

    public static Address Parse(string text) =>
        TryParse(text, out var a, out var e) ? a : throw new FormatException(e);

    private static string Truncate(string s) => s.Length > 48 ? s[..48] + "…" : s;

    public bool Equals(Address o) => _a == o._a && _b == o._b && _c == o._c;
    public override bool Equals(object? obj) => obj is Address a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);
    public int CompareTo(Address o)
    {
        int c = _a.CompareTo(o._a); if (c != 0) return c;
        c = _b.CompareTo(o._b); if (c != 0) return c;
        return _c.CompareTo(o._c);
    }
    public static bool operator ==(Address l, Address r) => l.Equals(r);
    public static bool operator !=(Address l, Address r) => !l.Equals(r);
}
