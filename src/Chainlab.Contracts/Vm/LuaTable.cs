namespace Chainlab.Contracts.Vm;

/// <summary>
/// A Lua table. Keys 1..n live in an array part (n is the length: <c>#t</c>, always a border because the array
/// never ends in nil and the hash part never holds n+1); every other key lives in a dictionary keyed by
/// <see cref="Value"/>, whose hash is fixed (no seed). Float keys with an integer value are stored as integers.
/// Which part a key lands in, and so <c>#t</c>, follows from the sequence of writes alone. Growth is charged to the
/// machine as memory. Library tables are read-only: a contract cannot change what the next frame sees.
/// </summary>
public sealed class LuaTable
{
    public const int EntryBytes = 48, SlotBytes = 16, HeaderBytes = 64;
    private readonly Machine? _m;
    private Value[] _arr;
    private int _n;
    private Dictionary<Value, Value>? _hash;

    public LuaTable(Machine? m, int arrayHint = 0, int hashHint = 0)
    {
        _m = m;
        Id = m?.NextId() ?? 0;
        m?.Allocate(HeaderBytes + (long)arrayHint * SlotBytes + (long)hashHint * EntryBytes);
        _arr = arrayHint > 0 ? new Value[arrayHint] : Value.None;
        if (hashHint > 0) _hash = new Dictionary<Value, Value>(hashHint);
    }

    /// <summary>For hashing only; never observable.</summary>
    public int Id { get; }
    public bool ReadOnly { get; set; }
    /// <summary>The border: the number of keys 1..n in the array part.</summary>
    public int Length => _n;
    public int HashCount => _hash?.Count ?? 0;

    public Value Get(in Value key)
    {
        if (key.IsInt)
        {
            var i = (ulong)(key.N - 1);
            if (i < (ulong)_n) return _arr[i];
        }
        else if (key.IsFloat && Numbers.FloatFitsInt(key.AsFloat, out var k)) return Get(Value.Int(k));
        if (_hash is null || key.IsNil) return Value.Nil;
        return _hash.TryGetValue(key, out var v) ? v : Value.Nil;
    }

    public Value Get(long i)
    {
        var u = (ulong)(i - 1);
        if (u < (ulong)_n) return _arr[u];
        if (_hash is null) return Value.Nil;
        return _hash.TryGetValue(Value.Int(i), out var v) ? v : Value.Nil;
    }

    public Value Get(LuaString key) => _hash is not null && _hash.TryGetValue(Value.Str(key), out var v) ? v : Value.Nil;

    /// <summary>Looking up a long string key compares it byte by byte with the key found: 1 gas per 16 bytes.</summary>
    public static void ChargeKey(Machine m, in Value key)
    {
        if (key.O is LuaString s && s.Length > 32) m.Spend(s.Length, (long)Gas.BytesPerGas);
    }

    /// <summary>Sets a key; a nil value removes it. Raises for nil and NaN keys and read-only tables.</summary>
    public void Set(Machine m, Value key, Value value)
    {
        ChargeKey(m, key);
        if (ReadOnly) throw m.Error("attempt to modify a library table");
        if (key.IsFloat)
        {
            var f = key.AsFloat;
            if (double.IsNaN(f)) throw m.Error("table index is NaN");
            if (Numbers.FloatFitsInt(f, out var k)) key = Value.Int(k);
        }
        else if (key.IsNil) throw m.Error("table index is nil");
        if (key.IsInt) { SetInt(m, key.N, value); return; }
        SetHash(m, key, value);
    }

    public void SetInt(Machine m, long i, Value value)
    {
        if (ReadOnly) throw m.Error("attempt to modify a library table");
        var u = (ulong)(i - 1);
        if (u < (ulong)_n)
        {
            _arr[u] = value;
            if (value.IsNil && (int)u == _n - 1) Trim();
            return;
        }
        if (u == (ulong)_n && !value.IsNil) { Append(m, value); return; }
        SetHash(m, Value.Int(i), value);
    }

    private void SetHash(Machine m, Value key, Value value)
    {
        if (value.IsNil)
        {
            _hash?.Remove(key);
            return;
        }
        _hash ??= new Dictionary<Value, Value>();
        if (_hash.TryAdd(key, value)) m.Allocate(EntryBytes);
        else _hash[key] = value;
    }

    /// <summary>t[#t + 1] = value, then keys that now follow the array are moved into it.</summary>
    public void Append(Machine m, Value value)
    {
        if (ReadOnly) throw m.Error("attempt to modify a library table");
        if (value.IsNil) return;
        if (_n == _arr.Length)
        {
            var size = Math.Max(4, _arr.Length * 2);
            m.Allocate((long)(size - _arr.Length) * SlotBytes);
            Array.Resize(ref _arr, size);
        }
        _arr[_n++] = value;
        if (_hash is { Count: > 0 })
        {
            while (_hash.Remove(Value.Int(_n + 1), out var next))
            {
                if (_n == _arr.Length)
                {
                    var size = _arr.Length * 2;
                    m.Allocate((long)(size - _arr.Length) * SlotBytes);
                    Array.Resize(ref _arr, size);
                }
                _arr[_n++] = next;
            }
        }
    }

    private void Trim()
    {
        while (_n > 0 && _arr[_n - 1].IsNil) _n--;
    }

    /// <summary>Raw set for building library tables and host values (no charge, no read-only check).</summary>
    public void Put(string key, Value value) => (_hash ??= new())[Value.Str(LuaString.From(key))] = value;

    /// <summary>Raw set of a string key for host values (no charge, no read-only check).</summary>
    public void Put(LuaString key, Value value) => (_hash ??= new())[Value.Str(key)] = value;

    /// <summary>
    /// Every key with a non-nil value in the defined order (integers ascending, then floats, then strings bytewise,
    /// then false, true), charged per key and per byte of string keys. Raises for table and function keys.
    /// </summary>
    public List<Value> SortedKeys(Machine m, string who)
    {
        var count = _n + (_hash?.Count ?? 0);
        m.Spend(count * 8L, 8);
        var keys = new List<Value>(count);
        if (_hash is null)
        {
            for (var i = 0; i < _n; i++) if (!_arr[i].IsNil) keys.Add(Value.Int(i + 1));
            return keys;
        }
        var rest = new List<Value>(_hash.Count);
        long bytes = 0;
        foreach (var k in _hash.Keys)
        {
            if (k.IsTable || k.IsFunction) throw m.Error($"{who}: a table with {k.TypeName} keys has no defined order");
            if (k.IsString) bytes += k.AsString.Length;
            rest.Add(k);
        }
        var n = rest.Count;
        var log = 1;
        while ((1 << log) < n) log++;
        m.Spend(bytes, 4);
        m.Spend((long)n * log, 1);
        rest.Sort(KeyOrder);
        // Integers below 1 come before the array part's keys 1..n, the hash part's other integers (above n + 1) after.
        var below = 0;
        while (below < rest.Count && rest[below].IsInt && rest[below].N < 1) below++;
        keys.AddRange(rest.Take(below));
        for (var i = 0; i < _n; i++) if (!_arr[i].IsNil) keys.Add(Value.Int(i + 1));
        keys.AddRange(rest.Skip(below));
        return keys;
    }

    private static int Rank(in Value v) => v.IsInt ? 0 : v.IsFloat ? 1 : v.IsString ? 2 : v.IsBool ? (v.AsBool ? 4 : 3) : 5;

    private static readonly Comparison<Value> KeyOrder = (a, b) =>
    {
        int ra = Rank(a), rb = Rank(b);
        if (ra != rb) return ra.CompareTo(rb);
        return ra switch
        {
            0 => a.N.CompareTo(b.N),
            1 => a.AsFloat.CompareTo(b.AsFloat),
            2 => a.AsString.CompareTo(b.AsString),
            _ => 0,
        };
    };

    /// <summary>Every non-nil entry, for reading a value at the boundary (the caller orders and charges).</summary>
    public IEnumerable<KeyValuePair<Value, Value>> Entries()
    {
        for (var i = 0; i < _n; i++) if (!_arr[i].IsNil) yield return new(Value.Int(i + 1), _arr[i]);
        if (_hash is null) yield break;
        foreach (var e in _hash) yield return e;
    }

    public int EntryCount
    {
        get
        {
            var c = _hash?.Count ?? 0;
            for (var i = 0; i < _n; i++) if (!_arr[i].IsNil) c++;
            return c;
        }
    }
}
