using System.Text.Json.Nodes;
using Chainlab.Contracts;

namespace Chainlab.Core.Tests.Contracts;

/// <summary>
/// The JSON form of contract values (API answers, receipts, events, the CLI; docs/contracts.md): lossless, so two
/// different values never give the same JSON and a client can read every value back.
/// </summary>
public sealed class ContractValueJsonTests
{
    private static ContractValue S(string s) => ContractValue.Of(s);
    private static ContractValue I(long i) => ContractValue.Of(i);
    private static ContractValue B(params byte[] b) => new StringValue(b);

    /// <summary>A table from entries in any order (the canonical order is the contract key order).</summary>
    private static TableValue T(params (ContractValue Key, ContractValue Value)[] entries) =>
        new([.. entries.Select(e => new KeyValuePair<ContractValue, ContractValue>(e.Key, e.Value)).OrderBy(e => e.Key, ContractValue.KeyOrder)]);

    private static string Json(ContractValue v) => v.ToJson()?.ToJsonString() ?? "null";

    /// <summary>What a contract returns, through the VM and the canonical bytes, as the API writes it.</summary>
    private static string Returned(string code)
    {
        var r = ContractRunner.Run("t", System.Text.Encoding.UTF8.GetBytes(code), "main", [], 1_000_000);
        Assert.True(r.Ok, r.Error);
        return Json(ContractValue.Decode(r.Result));
    }

    [Fact]
    public void A_table_whose_keys_collide_as_text_keeps_every_entry_in_the_entries_form()
    {
        // Before: {"1":4,"true":1}, two of four entries lost.
        Assert.Equal("""{"entries":[[1,3],["1",4],["true",2],[true,1]]}""",
            Returned("""function main() return { [true] = 1, ["true"] = 2, [1] = 3, ["1"] = 4 } end"""));
    }

    [Fact]
    public void A_table_keyed_hex_is_not_mistaken_for_a_string_of_bytes()
    {
        // Before: both were {"hex":"ff00"}.
        Assert.Equal("""{"entries":[["hex","ff00"]]}""", Returned("""function main() return { hex = "ff00" } end"""));
        Assert.Equal("""{"hex":"ff00"}""", Returned("""function main() return "\xff\x00" end"""));
        Assert.Equal("""{"entries":[["entries",[1,2]]]}""", Json(T((S("entries"), T((I(1), I(1)), (I(2), I(2)))))));
    }

    [Fact]
    public void Integer_keys_other_than_one_to_n_keep_their_type_and_come_in_signed_order()
    {
        // Before: {"-1":"a","0":"b","2":"c"}, the same JSON as a table with those three string keys.
        Assert.Equal("""{"entries":[[-1,"a"],[0,"b"],[2,"c"]]}""", Returned("""function main() return { [2] = "c", [-1] = "a", [0] = "b" } end"""));
        Assert.Equal("""{"entries":[[-9223372036854775808,true],[1,false]]}""", Json(T((I(1), ContractValue.False), (I(long.MinValue), ContractValue.True))));
    }

    [Fact]
    public void A_key_that_is_not_UTF8_is_written_as_hex_inside_the_entries_form()
    {
        // Before: {"0xff":1}, the same JSON as a table with the string key "0xff".
        Assert.Equal("""{"entries":[[{"hex":"ff"},1]]}""", Json(T((B(0xff), I(1)))));
        Assert.Equal("""{"0xff":1}""", Json(T((S("0xff"), I(1)))));
    }

    [Fact]
    public void Sequences_and_tables_of_text_keys_keep_their_plain_forms()
    {
        Assert.Equal("""{"a":1,"b":[1,"two",true],"hex":"ff","nested":{}}""",
            Json(T((S("b"), T((I(1), I(1)), (I(2), S("two")), (I(3), ContractValue.True))), (S("a"), I(1)), (S("nested"), T()), (S("hex"), S("ff")))));
        Assert.Equal("{}", Json(T()));
        Assert.Equal("""["x"]""", Json(T((I(1), S("x")))));
        Assert.Equal("null", Json(ContractValue.Nil));
    }

    public static TheoryData<string> Awkward => new()
    {
        """return { [true] = 1, ["true"] = 2, [1] = 3, ["1"] = 4 }""",
        """return { hex = "ff00" }""",
        """return { entries = { { 1, 2 } } }""",
        """return { entries = 1, hex = 2 }""",
        """return { [false] = { [2] = "x" }, ["\xff\xfe"] = "\x80", [-5] = { hex = "\x00" } }""",
        """return { "a", "b", [4] = "d" }""",
        """return { [1] = "a", [2] = "b", x = "c" }""",
        """return "\xc3\x28" """,
        """return { [0] = 0, [1] = 1 }""",
    };

    [Theory]
    [MemberData(nameof(Awkward))]
    public void A_client_reads_every_value_back_from_its_JSON_by_the_documented_rules(string body)
    {
        var r = ContractRunner.Run("t", System.Text.Encoding.UTF8.GetBytes($"function main() {body} end"), "main", [], 1_000_000);
        Assert.True(r.Ok, r.Error);
        var value = ContractValue.Decode(r.Result);
        var json = value.ToJson()?.ToJsonString();
        var back = Read(json is null ? null : JsonNode.Parse(json));
        Assert.Equal(Convert.ToHexString(r.Result), Convert.ToHexString(back.Encode()));
    }

    [Fact]
    public void Different_values_never_give_the_same_JSON()
    {
        ContractValue[] values =
        [
            ContractValue.Nil, ContractValue.True, ContractValue.False, I(1), S("1"), S("true"), B(0xff), S("0xff"), S("ff"),
            T(), T((I(1), I(1))), T((S("1"), I(1))), T((ContractValue.True, I(1))), T((S("true"), I(1))),
            T((S("hex"), S("ff"))), T((S("hex"), B(0xff))), T((S("entries"), T())), T((S("entries"), T((I(1), T((I(1), I(1)), (I(2), I(1))))))),
            T((I(1), I(1)), (I(3), I(3))), T((S("1"), I(1)), (S("3"), I(3))), T((B(0xff), I(1))), T((S("0xff"), I(1))),
        ];
        var forms = values.Select(Json).ToList();
        Assert.Equal(forms.Count, forms.Distinct().Count());
        foreach (var v in values) Assert.Equal(v.Encode(), Read(v.ToJson()).Encode());
    }

    /// <summary>The reader docs/contracts.md describes, written here as a client would write it.</summary>
    private static ContractValue Read(JsonNode? n)
    {
        switch (n)
        {
            case null: return ContractValue.Nil;
            case JsonArray a: return T([.. a.Select((x, i) => (I(i + 1), Read(x)))]);
            case JsonObject o when o.Count == 1 && o.ContainsKey("hex"): return B(Convert.FromHexString((string)o["hex"]!));
            case JsonObject o when o.Count == 1 && o.ContainsKey("entries"):
                return T([.. o["entries"]!.AsArray().Select(p => (Read(p![0]), Read(p[1])))]);
            case JsonObject o: return T([.. o.Select(p => (S(p.Key), Read(p.Value)))]);
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String: return S(v.GetValue<string>());
            case JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False: return ContractValue.Of(v.GetValue<bool>());
            case JsonValue v: return I(long.Parse(v.ToJsonString()));
            default: throw new FormatException();
        }
    }
}
