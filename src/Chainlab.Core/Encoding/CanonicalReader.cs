using System.Buffers.Binary;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.Encoding;

/// <summary>
/// Reads the canonical binary form with hard bounds: every length is checked against a caller
/// limit and the remaining input before anything is allocated.
/// </summary>
public ref struct CanonicalReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public CanonicalReader(ReadOnlySpan<byte> data) { _data = data; _pos = 0; }

    public int Position => _pos;
    public int Remaining => _data.Length - _pos;

    private ReadOnlySpan<byte> Take(int n, string what)
    {
        if (n < 0 || n > Remaining) throw new DecodeException($"truncated input while reading {what}");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public byte U8(string what) => Take(1, what)[0];
    public uint U32(string what) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64BigEndian(Take(8, what));
    public ReadOnlySpan<byte> Fixed(int n, string what) => Take(n, what);
    public Hash Hash(string what) => new(Take(Crypto.Hash.Size, what));
    public Address Address(string what) => new(Take(Crypto.Address.Size, what));

    public ReadOnlySpan<byte> Bytes(int maxLength, string what)
    {
        var len = U32(what);
        if (len > (uint)maxLength) throw new DecodeException($"{what} is {len} bytes, more than the limit of {maxLength}");
        return Take((int)len, what);
    }

    public string Text(int maxBytes, string what)
    {
        var b = Bytes(maxBytes, what);
        try { return new System.Text.UTF8Encoding(false, true).GetString(b); }
        catch (System.Text.DecoderFallbackException) { throw new DecodeException($"{what} is not valid UTF-8"); }
    }

    /// <summary>Reads a count and checks it against a limit and the bytes that are left.</summary>
    public int Count(int max, int minItemSize, string what)
    {
        var n = U32(what);
        if (n > (uint)max) throw new DecodeException($"{what} count {n} exceeds the limit of {max}");
        if ((long)n * minItemSize > Remaining) throw new DecodeException($"{what} count {n} is larger than the input allows");
        return (int)n;
    }

    public void EnsureEnd(string what)
    {
        if (Remaining != 0) throw new DecodeException($"{Remaining} trailing bytes after {what}");
    }
}
