using System.Text;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// An immutable Lua string: bytes, compared by content. Its hash is FNV-1a over the bytes (no seed), computed once;
/// computing it touches each byte once, which the string's creation already paid for.
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

    public int Hash
    {
        get
        {
            var h = _hash;
            if (h != 0) return h;
            uint x = 2166136261;
            foreach (var b in Bytes) x = (x ^ b) * 16777619;
            h = x == 0 ? 1 : (int)x;
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
