namespace Chainlab.Core.Files;

/// <summary>
/// Unsigned LEB128 varints as multiformats and protobuf use them. Decoding is strict: at most 9 bytes
/// for multiformats (63 bits), 10 for protobuf (64 bits), and never a longer form than needed.
/// </summary>
public static class Varint
{
    public static int Size(ulong value)
    {
        var n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    public static int Write(Span<byte> to, ulong value)
    {
        var i = 0;
        while (value >= 0x80) { to[i++] = (byte)(value | 0x80); value >>= 7; }
        to[i++] = (byte)value;
        return i;
    }

    public static byte[] Encode(ulong value)
    {
        var b = new byte[Size(value)];
        Write(b, value);
        return b;
    }

    /// <summary>Reads a varint at the start of data; returns its length in bytes.</summary>
    public static int Read(ReadOnlySpan<byte> data, out ulong value, int maxBytes = 9)
    {
        value = 0;
        for (var i = 0; i < maxBytes; i++)
        {
            if (i >= data.Length) throw new FormatException("varint runs past the end of the data");
            var b = data[i];
            if (i == 9 && b > 1) throw new FormatException("varint does not fit in 64 bits");
            value |= (ulong)(b & 0x7f) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0) throw new FormatException("varint is not in its shortest form");
                return i + 1;
            }
        }
        throw new FormatException($"varint longer than {maxBytes} bytes");
    }

    /// <summary>Reads a varint from a stream; null at a clean end of stream before its first byte.</summary>
    public static async ValueTask<ulong?> ReadAsync(Stream from, CancellationToken ct, int maxBytes = 9)
    {
        ulong value = 0;
        var one = new byte[1];
        for (var i = 0; i < maxBytes; i++)
        {
            var b = await from.ReadAsync(one, ct) == 1 ? one[0] : -1;
            if (b < 0)
            {
                if (i == 0) return null;
                throw new FormatException("varint cut short by the end of the data");
            }
            value |= (ulong)(b & 0x7f) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0) throw new FormatException("varint is not in its shortest form");
                return value;
            }
        }
        throw new FormatException($"varint longer than {maxBytes} bytes");
    }
}
