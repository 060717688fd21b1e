using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Encoding;

namespace Chainlab.Contracts;

/// <summary>
/// A value that crosses the contract boundary (arguments, storage, return values, events): nil, a boolean,
/// a 64-bit integer, a byte string, or a table of those. Floats never cross. Canonical bytes:
/// tag u8 (0 nil, 1 false, 2 true, 3 integer: i64 big-endian, 4 string: u32 length + bytes,
/// 5 table: u32 count + key/value pairs in key order: integers ascending, then strings bytewise,
/// then false, true). Decoding is strict: known tags, keys in order and unique, no nil keys or values.
/// </summary>
public abstract record ContractValue
{
    public const int MaxDepth = 16;
    public const int MaxEncodedBytes = 64 * 1024;

    public static readonly ContractValue Nil = new NilValue();
    public static readonly ContractValue True = new BoolValue(true);
    public static readonly ContractValue False = new BoolValue(false);

    public static ContractValue Of(long v) => new IntValue(v);
    public static ContractValue Of(string s) => new StringValue(Encoding.UTF8.GetBytes(s));
    public static ContractValue Of(bool b) => b ? True : False;

    public byte[] Encode()
    {
        var w = new CanonicalWriter(64);
        Write(w);
        return w.ToArray();
    }

    public abstract void Write(CanonicalWriter w);

    /// <summary>Strict decode of one value that must fill the bytes.</summary>
    public static ContractValue Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxEncodedBytes) throw new DecodeException($"value is {data.Length} bytes, more than {MaxEncodedBytes}");
        var r = new CanonicalReader(data);
        var v = Read(ref r, 0);
        r.EnsureEnd("value");
        return v;
    }

    public static ContractValue Read(ref CanonicalReader r, int depth)
    {
        if (depth > MaxDepth) throw new DecodeException($"value nests deeper than {MaxDepth}");
        var tag = r.U8("value tag");
        switch (tag)
        {
            case 0: return Nil;
            case 1: return False;
            case 2: return True;
            case 3: return new IntValue(unchecked((long)r.U64("integer")));
            case 4: return new StringValue(r.Bytes(MaxEncodedBytes, "string").ToArray());
            case 5:
            {
                var n = r.Count(MaxEncodedBytes, 2, "table size");
                var entries = new List<KeyValuePair<ContractValue, ContractValue>>(n);
                for (var i = 0; i < n; i++)
                {
                    var k = Read(ref r, depth + 1);
                    if (!k.IsKey) throw new DecodeException("a table key must be an integer, a string or a boolean");
                    var v = Read(ref r, depth + 1);
                    if (v is NilValue) throw new DecodeException("a table value cannot be nil");
                    if (i > 0 && KeyOrder.Compare(entries[^1].Key, k) >= 0) throw new DecodeException("table keys are not in canonical order");
                    entries.Add(new(k, v));
                }
                return new TableValue(entries);
            }
            default: throw new DecodeException($"unknown value tag {tag}");
        }
    }

    public bool IsKey => this is IntValue or StringValue or BoolValue;

    /// <summary>Orders table keys: integers ascending, then strings bytewise, then false, then true.</summary>
    public static readonly Comparer<ContractValue> KeyOrder = Comparer<ContractValue>.Create((a, b) =>
    {
        static int Rank(ContractValue v) => v switch { IntValue => 0, StringValue => 1, BoolValue => 2, _ => 3 };
        var ra = Rank(a); var rb = Rank(b);
        if (ra != rb) return ra.CompareTo(rb);
        return (a, b) switch
        {
            (IntValue x, IntValue y) => x.Value.CompareTo(y.Value),
            (StringValue x, StringValue y) => x.Bytes.AsSpan().SequenceCompareTo(y.Bytes),
            (BoolValue x, BoolValue y) => x.Value.CompareTo(y.Value),
            _ => 0,
        };
    });

    // ---- JSON at the edges (API, CLI)

    /// <summary>
    /// From JSON: integers, strings, booleans, null, arrays (a table 1..n) and objects (a table with string keys).
    /// Numbers with a fraction or outside the i64 range are refused: floats never cross the boundary. This is the
    /// argument form (the CLI's, the API's view calls, the dashboard's): every object is a table with string keys,
    /// so the tagged forms <see cref="ToJson"/> writes (<c>{"hex": …}</c>, <c>{"entries": …}</c>) are not read as tags.
    /// </summary>
    public static ContractValue FromJson(JsonNode? node, int depth = 0)
    {
        if (depth > MaxDepth) throw new FormatException($"arguments nest deeper than {MaxDepth}");
        switch (node)
        {
            case null: return Nil;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: return Of(v.GetValue<string>());
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False: return Of(v.GetValue<bool>());
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                // From the JSON text, so a value built in code (an int, a uint) reads the same as a parsed one.
                var text = v.ToJsonString();
                if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)) return Of(l);
                throw new FormatException($"{text} is not a 64-bit integer (floats are not accepted by contracts)");
            case JsonArray a:
            {
                var entries = new List<KeyValuePair<ContractValue, ContractValue>>();
                for (var i = 0; i < a.Count; i++)
                {
                    var item = FromJson(a[i], depth + 1);
                    if (item is NilValue) throw new FormatException("arrays passed to contracts cannot hold null");
                    entries.Add(new(Of(i + 1), item));
                }
                return new TableValue(entries);
            }
            case JsonObject o:
            {
                var entries = new List<KeyValuePair<ContractValue, ContractValue>>();
                foreach (var (k, v) in o)
                {
                    var item = FromJson(v, depth + 1);
                    if (item is NilValue) continue;
                    entries.Add(new(Of(k), item));
                }
                entries.Sort((x, y) => KeyOrder.Compare(x.Key, y.Key));
                return new TableValue(entries);
            }
            default: throw new FormatException("unsupported JSON value");
        }
    }

    /// <summary>Parses a JSON array of arguments (or an empty text as none).</summary>
    public static IReadOnlyList<ContractValue> ArgumentsFromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        JsonNode? node;
        try { node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth + 2 }); }
        catch (JsonException e) { throw new FormatException($"arguments are not valid JSON: {e.Message}"); }
        if (node is not JsonArray a) return [FromJson(node)];
        return a.Select(x => FromJson(x)).ToList();
    }

    /// <summary>The member name of the JSON form of a string that is not UTF-8: <c>{"hex": "…"}</c>.</summary>
    public const string HexTag = "hex";
    /// <summary>The member name of the JSON form of a table that has other keys than strings: <c>{"entries": [[key, value], …]}</c>.</summary>
    public const string EntriesTag = "entries";

    /// <summary>
    /// To JSON, without loss (two different values never give the same JSON; docs/contracts.md): nil is null,
    /// booleans and integers are themselves, a UTF-8 string is a JSON string and any other string
    /// <c>{"hex": "…"}</c>. A table whose keys are exactly 1..n (n ≥ 1) is an array; a table whose keys are all
    /// UTF-8 strings is an object, unless it has one entry only, keyed "hex" or "entries" (it would read as a
    /// tagged form); every other table is <c>{"entries": [[key, value], …]}</c> in key order. So an object of
    /// exactly one member named "hex" or "entries" is always a tagged form, and any other object a table.
    /// </summary>
    public abstract JsonNode? ToJson();

    public static byte[] EncodeList(IReadOnlyList<ContractValue> values)
    {
        var w = new CanonicalWriter(64);
        w.U32((uint)values.Count);
        foreach (var v in values) v.Write(w);
        return w.ToArray();
    }

    public static IReadOnlyList<ContractValue> ReadList(ref CanonicalReader r, int max)
    {
        var n = r.Count(max, 1, "argument count");
        var list = new ContractValue[n];
        for (var i = 0; i < n; i++) list[i] = Read(ref r, 0);
        return list;
    }

    public override string ToString() => ToJson()?.ToJsonString() ?? "null";
}

public sealed record NilValue : ContractValue
{
    public override void Write(CanonicalWriter w) => w.U8(0);
    public override JsonNode? ToJson() => null;
}

public sealed record BoolValue(bool Value) : ContractValue
{
    public override void Write(CanonicalWriter w) => w.U8(Value ? (byte)2 : (byte)1);
    public override JsonNode? ToJson() => JsonValue.Create(Value);
}

public sealed record IntValue(long Value) : ContractValue
{
    public override void Write(CanonicalWriter w) { w.U8(3); w.U64(unchecked((ulong)Value)); }
    public override JsonNode? ToJson() => JsonValue.Create(Value);
}

public sealed record StringValue(byte[] Bytes) : ContractValue
{
    private static readonly UTF8Encoding Strict = new(false, true);
    public override void Write(CanonicalWriter w) { w.U8(4); w.Bytes(Bytes); }
    public string? Text { get { try { return Strict.GetString(Bytes); } catch (DecoderFallbackException) { return null; } } }
    public override JsonNode? ToJson() => Text is { } t ? JsonValue.Create(t) : new JsonObject { [HexTag] = Convert.ToHexStringLower(Bytes) };
    public bool Equals(StringValue? o) => o is not null && Bytes.AsSpan().SequenceEqual(o.Bytes);
    public override int GetHashCode() => Bytes.Length;
}

public sealed record TableValue(IReadOnlyList<KeyValuePair<ContractValue, ContractValue>> Entries) : ContractValue
{
    public override void Write(CanonicalWriter w)
    {
        w.U8(5);
        w.U32((uint)Entries.Count);
        foreach (var (k, v) in Entries) { k.Write(w); v.Write(w); }
    }

    public ContractValue this[string key] =>
        Entries.FirstOrDefault(e => e.Key is StringValue s && s.Text == key).Value ?? Nil;

    public override JsonNode? ToJson()
    {
        var isArray = true;
        for (var i = 0; i < Entries.Count && isArray; i++) isArray = Entries[i].Key is IntValue iv && iv.Value == i + 1;
        if (isArray && Entries.Count > 0) return new JsonArray(Entries.Select(e => e.Value.ToJson()).ToArray());
        // An object only when every key is a UTF-8 string (distinct bytes are distinct texts) and it cannot be
        // mistaken for a tagged form; integer, boolean and non-UTF-8 keys would collide with string keys.
        var names = new string[Entries.Count];
        var plain = true;
        for (var i = 0; i < Entries.Count && plain; i++)
        {
            if (Entries[i].Key is StringValue { Text: { } t }) names[i] = t;
            else plain = false;
        }
        if (plain && Entries.Count == 1 && names[0] is HexTag or EntriesTag) plain = false;
        if (plain)
        {
            var o = new JsonObject();
            for (var i = 0; i < Entries.Count; i++) o[names[i]] = Entries[i].Value.ToJson();
            return o;
        }
        return new JsonObject
        {
            [EntriesTag] = new JsonArray(Entries.Select(e => (JsonNode)new JsonArray(e.Key.ToJson(), e.Value.ToJson())).ToArray()),
        };
    }

    public bool Equals(TableValue? o) => o is not null && Entries.Count == o.Entries.Count &&
        Entries.Zip(o.Entries).All(p => p.First.Key.Equals(p.Second.Key) && p.First.Value.Equals(p.Second.Value));
    public override int GetHashCode() => Entries.Count;
}
