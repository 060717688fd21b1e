using System.Buffers;
using System.Runtime.InteropServices;
using System.Buffers.Binary;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.Encoding;

/// <summary>
/// Writes the canonical binary form: fixed-width big-endian integers, u32 length prefixes,
/// no optional fields. One value has exactly one encoding.
/// </summary>
public sealed class CanonicalWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public CanonicalWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public int Length => _buffer.WrittenCount;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;
    /// <summary>
    /// The bytes written. A writer filled exactly to the capacity it was made with hands over its own array rather
    /// than a copy (a frame or a block sized up front is built once); it never writes into that array again, since
    /// a write past the end moves to a new one.
    /// </summary>
    public byte[] ToArray() =>
        MemoryMarshal.TryGetArray(_buffer.WrittenMemory, out var written) && written.Offset == 0 && written.Count == written.Array!.Length
            ? written.Array
            : _buffer.WrittenSpan.ToArray();

    public void U8(byte v) { _buffer.GetSpan(1)[0] = v; _buffer.Advance(1); }
    public void U32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); }
    public void U64(ulong v) { BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }
    public void Fixed(ReadOnlySpan<byte> bytes) { bytes.CopyTo(_buffer.GetSpan(bytes.Length)); _buffer.Advance(bytes.Length); }
    public void Hash(in Hash h) { h.WriteTo(_buffer.GetSpan(Crypto.Hash.Size)); _buffer.Advance(Crypto.Hash.Size); }
    public void Address(in Address a) { a.WriteTo(_buffer.GetSpan(Crypto.Address.Size)); _buffer.Advance(Crypto.Address.Size); }

    /// <summary>A u32 length followed by the bytes.</summary>
    public void Bytes(ReadOnlySpan<byte> bytes) { U32((uint)bytes.Length); Fixed(bytes); }

    /// <summary>UTF-8 text with a u32 length prefix.</summary>
    public void Text(string s) => Bytes(System.Text.Encoding.UTF8.GetBytes(s));
}
