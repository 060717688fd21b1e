namespace Chainlab.Core.Files;

/// <summary>The little of protocol buffers that dag-pb and UnixFS need: varint and length-delimited fields.</summary>
internal ref struct ProtoWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    public int Length { get; private set; }

    public void Varint(int field, ulong value)
    {
        Length += Files.Varint.Write(_buffer[Length..], (ulong)(field << 3));
        Length += Files.Varint.Write(_buffer[Length..], value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Length += Files.Varint.Write(_buffer[Length..], (ulong)(field << 3) | 2);
        Length += Files.Varint.Write(_buffer[Length..], (ulong)value.Length);
        value.CopyTo(_buffer[Length..]);
        Length += value.Length;
    }

    public static int VarintSize(int field, ulong value) => Files.Varint.Size((ulong)(field << 3)) + Files.Varint.Size(value);
    public static int BytesSize(int field, int length) => Files.Varint.Size((ulong)(field << 3) | 2) + Files.Varint.Size((ulong)length) + length;
}

/// <summary>Reads fields one at a time; only wire types 0 (varint) and 2 (length-delimited) exist here.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data, string message)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;
    public int Field { get; private set; }
    public int WireType { get; private set; }
    public ulong Value { get; private set; }
    public ReadOnlySpan<byte> Span { get; private set; }

    public bool Next()
    {
        if (_at >= _data.Length) return false;
        try
        {
            _at += Files.Varint.Read(_data[_at..], out var key, 10);
            if (key >> 3 is 0 or > int.MaxValue) throw new FormatException($"{message}: field number {key >> 3}");
            Field = (int)(key >> 3);
            WireType = (int)(key & 7);
            switch (WireType)
            {
                case 0:
                    _at += Files.Varint.Read(_data[_at..], out var v, 10);
                    Value = v;
                    break;
                case 2:
                    _at += Files.Varint.Read(_data[_at..], out var length, 10);
                    if (length > (ulong)(_data.Length - _at)) throw new FormatException($"{message}: field {Field} runs past the end of the block");
                    Span = _data.Slice(_at, (int)length);
                    _at += (int)length;
                    break;
                default:
                    throw new FormatException($"{message}: field {Field} has wire type {WireType} (only 0 and 2 are used)");
            }
        }
        catch (FormatException e) when (!e.Message.StartsWith(message, StringComparison.Ordinal)) { throw new FormatException($"{message}: {e.Message}"); }
        return true;
    }

    public void Expect(int wireType)
    {
        if (WireType != wireType) throw new FormatException($"{message}: field {Field} has wire type {WireType}, expected {wireType}");
    }
}
