using System.Text;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// An immutable Lua string: bytes, compared by content. Its hash is computed once; computing it touches each byte
/// once, which the string's creation already paid for.
/// </summary>
public sealed class LuaString : IEquatable<LuaString>, IComparable<LuaString>
{
    public static readonly LuaString Empty = new([]);
    // 0 until computed; a computed hash of 0 is stored as 1. One 32-bit write publishes it, so threads that share
    // a string (constants of the compile cache) never see half of it.
    private int _hash;

    public LuaString(byte[] bytes) { Bytes = bytes; }

    public byte[] Bytes { get; }
    public int Length => Bytes.Length;
    public ReadOnlySpan<byte> Span => Bytes;

    /// <summary>A string from .NET text (UTF-8); for constants and host values, not charged.</summary>
    public static LuaString From(string s) => s.Length == 0 ? Empty : new(Encoding.UTF8.GetBytes(s));

    /// <summary>
    /// The hash for table buckets: .NET's Marvin hash over the bytes, seeded per process, so nobody can build keys
    /// that collide. It decides only where a key sits in a dictionary, never an order or a result (pairs sorts,
    /// and a dictionary enumerates in insertion order whatever the hash).
    /// </summary>
    public int Hash
    {
        get
        {
            var h = _hash;
            if (h != 0) return h;
            var even = Bytes.Length & ~1;
            h = string.GetHashCode(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(Bytes.AsSpan(0, even)));
            if (even != Bytes.Length) h = HashCode.Combine(h, Bytes[^1]);
            if (h == 0) h = 1;
            _hash = h;
            return h;
        }
    }

    public bool Equals(LuaString? other) =>
        other is not null && (ReferenceEquals(this, other) || (Bytes.Length == other.Bytes.Length && (_hash == 0 || other._hash == 0 || _hash == other._hash) && Bytes.AsSpan().SequenceEqual(other.Bytes)));

    public override bool Equals(object? obj) => obj is LuaString s && Equals(s);
    public override int GetHashCode() => Hash;
    /// <summary>Bytewise order (Lua compares strings with strcoll; contracts run in the C locale, which is bytewise).</summary>
    public int CompareTo(LuaString? other) => Bytes.AsSpan().SequenceCompareTo(other!.Bytes);
    /// <summary>The bytes as UTF-8 text (invalid sequences replaced); for messages only.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Bytes);
}
