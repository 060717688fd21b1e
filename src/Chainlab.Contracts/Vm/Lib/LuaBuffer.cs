namespace Chainlab.Contracts.Vm;

/// <summary>
/// A growing byte buffer for results built piece by piece (gsub, format). Its bytes are charged as they are added
/// (at 16 per gas, paid at least every 1,024 bytes and before any large copy), and its capacity is reserved against
/// the memory limit before it grows. Its capacity counts as memory while it lives (gsub calls Lua replacement
/// functions, which may nest more buffers); <see cref="ToLuaString"/> gives it back once the result is made.
/// </summary>
internal sealed class LuaBuffer(Machine m)
{
    private const int PayEvery = 1024;
    private byte[] _b = [];
    private int _n;
    private long _pending;
    private long _counted;

    public Machine Machine => m;
    public int Length => _n;

    /// <summary>Counts work on the buffer's account (paid with its bytes).</summary>
    public void Work(long units)
    {
        _pending += units;
        if (_pending >= PayEvery) Pay();
    }

    public void Pay()
    {
        if (_pending == 0) return;
        var units = _pending;
        _pending = 0;
        m.Spend(units, (long)Gas.BytesPerGas);
    }

    public void Add(byte c)
    {
        Work(1);
        Ensure(1);
        _b[_n++] = c;
    }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return;
        Work(bytes.Length);
        Ensure(bytes.Length);
        bytes.CopyTo(_b.AsSpan(_n));
        _n += bytes.Length;
    }

    public void Add(string ascii)
    {
        if (ascii.Length == 0) return;
        Work(ascii.Length);
        Ensure(ascii.Length);
        foreach (var ch in ascii) _b[_n++] = (byte)ch;
    }

    public void Fill(byte c, int count)
    {
        if (count <= 0) return;
        Work(count);
        Ensure(count);
        _b.AsSpan(_n, count).Fill(c);
        _n += count;
    }

    private void Ensure(int extra)
    {
        var need = (long)_n + extra;
        if (need <= _b.Length) return;
        var cap = Math.Max(need, Math.Max(64, 2L * _b.Length));
        // Near the limits, grow only as far as memory (and a .NET array) allows: never refuse what would fit.
        cap = Math.Min(cap, Math.Max(need, Math.Min(Array.MaxLength, m.MemoryLimit - m.Memory)));
        StringLib.Reserve(m, cap);
        m.Allocate(cap - _b.Length);
        _counted += cap - _b.Length;
        Array.Resize(ref _b, (int)cap);
    }

    /// <summary>The bytes as a new string (its memory charged).</summary>
    public LuaString ToLuaString()
    {
        Pay();
        // The buffer is garbage from here: its memory is given back, the result's is counted.
        m.Release(_counted);
        _counted = 0;
        return _n == 0 ? LuaString.Empty : m.NewString(_b.AsSpan(0, _n).ToArray());
    }
}
