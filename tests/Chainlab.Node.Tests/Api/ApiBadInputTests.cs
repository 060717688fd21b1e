using System.Net;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Tests.Api;

/// <summary>Every kind of bad request gets a precise RFC 9457 problem, changes nothing, and the node keeps serving.</summary>
public sealed class ApiBadInputTests : IAsyncLifetime
{
    private TestNode _n = null!;
    public async Task InitializeAsync() => _n = await TestNode.StartAsync();
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    private async Task<(int Status, string Type, string Detail)> Problem(HttpResponseMessage resp)
    {
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType?.MediaType);
        var p = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.Equal((int)resp.StatusCode, p["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(p["detail"]?.GetValue<string>()));
        return ((int)resp.StatusCode, p["type"]!.GetValue<string>().Replace("urn:chainlab:problem:", ""), p["detail"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> SubmitRaw(byte[] raw) => _n.PostRaw("/api/v1/transactions", $"{{\"raw\":\"{Hex(raw)}\"}}");

    [Fact]
    public async Task Each_bad_submission_gets_its_own_problem_type_and_state_is_untouched()
    {
        // One included transaction so that replay can be tried.
        var first = _n.Transfer(0, 1, 10, 0);
        Assert.Equal(HttpStatusCode.Accepted, (await SubmitRaw(first.Raw)).StatusCode);
        await _n.ProduceAsync();
        var rootBefore = _n.Node.Chain.Head.StateRoot;
        var heightBefore = _n.Node.Chain.Head.Height;

        var tampered = (byte[])_n.Transfer(0, 1, 10, 1).Raw.Clone();
        tampered[^5] ^= 0x10;
        var cases = new List<(string Name, Func<Task<HttpResponseMessage>> Send, int Status, string Type)>
        {
            ("malformed json", () => _n.PostRaw("/api/v1/transactions", "{\"raw\": "), 400, "malformed"),
            ("not hex", () => _n.PostRaw("/api/v1/transactions", "{\"raw\":\"zz\"}"), 400, "malformed"),
            ("truncated tx", () => SubmitRaw(first.Raw[..40]), 400, "malformed"),
            ("trailing bytes", () => SubmitRaw([.. _n.Transfer(0, 1, 1, 1).Raw, 0]), 400, "malformed"),
            ("oversized body", () => _n.PostRaw("/api/v1/transactions", "{\"raw\":\"" + new string('a', 300_000) + "\"}"), 413, "too-large"),
            ("transaction hex over the largest transaction", () => _n.PostRaw("/api/v1/transactions", "{\"raw\":\"" + new string('a', 2 * Chainlab.Core.Model.Limits.MaxTransactionBytes + 2) + "\"}"), 413, "too-large"),
            ("oversized batch", () => _n.PostRaw("/api/v1/transactions/batch", "{\"transactions\":[" + string.Join(",", Enumerable.Repeat("\"00\"", 20_001)) + "]}"), 413, "too-large"),
            ("unknown field", () => _n.PostRaw("/api/v1/transactions", $"{{\"raw\":\"{Hex(first.Raw)}\",\"extra\":1}}"), 400, "unknown-field"),
            ("deep nesting", () => _n.PostRaw("/api/v1/transactions", new string('[', 5000) + new string(']', 5000)), 400, "too-deep"),
            ("wrong media type", () => _n.PostRaw("/api/v1/transactions", "raw=00", "text/plain"), 415, "unsupported-media-type"),
            ("empty body", () => _n.PostRaw("/api/v1/transactions", ""), 400, "malformed"),
            ("wrong chain", () => SubmitRaw(Build.Transfer(_n.Keys[0], _n.Keys[1].Address, 1, 1, chain: "other").Raw), 400, "wrong-chain"),
            ("bad signature", () => SubmitRaw(tampered), 400, "bad-signature"),
            ("replay", () => SubmitRaw(first.Raw), 422, "nonce-too-low"),
            ("nonce gap", () => SubmitRaw(_n.Transfer(0, 1, 1, 7).Raw), 422, "nonce-gap"),
            ("overspend", () => SubmitRaw(_n.Transfer(0, 1, 2_000_000, 1).Raw), 422, "insufficient-balance"),
            ("zero amount", () => SubmitRaw(_n.Transfer(0, 1, 0, 1).Raw), 400, "zero-amount"),
            ("fee too low", () => SubmitRaw(_n.Transfer(0, 1, 1, 1, fee: 0).Raw), 422, "fee-too-low"),
            ("kind not on this chain", () => SubmitRaw(Transaction.Create(_n.Keys[0], "test-chain", TxKind.Evidence, 1, 1, Address.Zero, 0, [1]).Raw), 400, "unsupported-kind"),
            ("contract payload cut short", () => SubmitRaw(Transaction.Create(_n.Keys[0], "test-chain", TxKind.Deploy, 1, 1, Address.Zero, 0, [1]).Raw), 400, "malformed"),
            ("json fields incomplete", () => _n.PostRaw("/api/v1/transactions", "{\"kind\":\"transfer\"}"), 400, "malformed"),
            ("json negative amount", () => _n.PostRaw("/api/v1/transactions", "{\"kind\":\"transfer\",\"amount\":-5}"), 400, "malformed"),
            ("json amount as string", () => _n.PostRaw("/api/v1/transactions", "{\"kind\":\"transfer\",\"amount\":\"5\"}"), 400, "malformed"),
        };
        foreach (var (name, send, status, type) in cases)
        {
            var resp = await send();
            var p = await Problem(resp);
            Assert.True(status == p.Status && type == p.Type, $"{name}: expected {status} {type}, got {p.Status} {p.Type}: {p.Detail}");
        }
        Assert.Equal(0, _n.Node.Pool.Count);
        await _n.ProduceAsync();
        Assert.Equal(heightBefore + 1, _n.Node.Chain.Head.Height);
        var acc = await _n.GetJson($"/api/v1/accounts/{_n.Keys[0].Address}");
        Assert.Equal(1_000_000UL - 11, acc["balance"]!.GetValue<ulong>());
        Assert.Equal(1UL, acc["nonce"]!.GetValue<ulong>());
        Assert.NotEqual(default, rootBefore);
        Assert.Equal("test-chain", (await _n.GetJson("/api/v1/status"))["chainId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Json_form_of_a_transaction_is_accepted_like_the_raw_form()
    {
        var tx = _n.Transfer(2, 3, 42, 0, fee: 3);
        var body = new JsonObject
        {
            ["kind"] = "transfer", ["chainId"] = tx.ChainId, ["senderKey"] = Hex(tx.SenderKey), ["nonce"] = tx.Nonce, ["fee"] = tx.Fee,
            ["to"] = tx.To.ToString(), ["amount"] = tx.Amount, ["signature"] = Hex(tx.Signature),
        };
        var resp = await _n.PostRaw("/api/v1/transactions", body.ToJsonString());
        Assert.Equal(HttpStatusCode.Accepted, resp.StatusCode);
        Assert.Equal(tx.Hash.ToString(), JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["hash"]!.GetValue<string>());
        var status = await _n.GetJson($"/api/v1/transactions/{tx.Hash}");
        Assert.Equal("pending", status["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_kind_written_as_a_list_of_names_is_refused_even_when_the_names_make_a_valid_kind()
    {
        var tx = _n.Transfer(2, 3, 42, 0, fee: 3);
        var body = new JsonObject
        {
            ["kind"] = "transfer,transfer", ["chainId"] = tx.ChainId, ["senderKey"] = Hex(tx.SenderKey), ["nonce"] = tx.Nonce, ["fee"] = tx.Fee,
            ["to"] = tx.To.ToString(), ["amount"] = tx.Amount, ["signature"] = Hex(tx.Signature),
        };
        var (status, type, detail) = await Problem(await _n.PostRaw("/api/v1/transactions", body.ToJsonString()));
        Assert.Equal((400, "malformed"), (status, type));
        Assert.Contains("unknown kind", detail);
    }

    [Fact]
    public async Task Lookups_of_unknown_or_malformed_ids_are_problems()
    {
        Assert.Equal((404, "not-found"), Pick(await Problem(await _n.Http.GetAsync("/api/v1/blocks/999"))));
        Assert.Equal((404, "not-found"), Pick(await Problem(await _n.Http.GetAsync($"/api/v1/blocks/{Hash.Sha256("x"u8)}"))));
        Assert.Equal((400, "malformed"), Pick(await Problem(await _n.Http.GetAsync("/api/v1/blocks/abc"))));
        Assert.Equal((404, "not-found"), Pick(await Problem(await _n.Http.GetAsync($"/api/v1/transactions/{Hash.Sha256("x"u8)}"))));
        Assert.Equal((400, "malformed"), Pick(await Problem(await _n.Http.GetAsync("/api/v1/transactions/123"))));
        Assert.Equal((400, "bad-address"), Pick(await Problem(await _n.Http.GetAsync("/api/v1/accounts/clNotAnAddress11111111111"))));
        Assert.Equal((404, "not-found"), Pick(await Problem(await _n.Http.GetAsync("/api/v1/nope"))));
    }

    private static (int, string) Pick((int Status, string Type, string Detail) p) => (p.Status, p.Type);

    [Fact]
    public async Task A_batch_reports_each_transaction_and_a_rejected_one_has_a_reason_on_lookup()
    {
        var good = _n.Transfer(0, 1, 5, 0);
        var broke = _n.Transfer(1, 0, 9_999_999, 0);
        var body = $"{{\"transactions\":[\"{Hex(good.Raw)}\",\"{Hex(broke.Raw)}\",\"xyz\"]}}";
        var r = JsonNode.Parse(await (await _n.PostRaw("/api/v1/transactions/batch", body)).Content.ReadAsStringAsync())!;
        Assert.Equal(1, r["accepted"]!.GetValue<int>());
        Assert.Equal(2, r["rejected"]!.GetValue<int>());
        Assert.Equal("urn:chainlab:problem:insufficient-balance", r["results"]![1]!["type"]!.GetValue<string>());
        Assert.Equal("urn:chainlab:problem:malformed", r["results"]![2]!["type"]!.GetValue<string>());
        var looked = await _n.GetJson($"/api/v1/transactions/{broke.Hash}");
        Assert.Equal("rejected", looked["status"]!.GetValue<string>());
        Assert.StartsWith("insufficient-balance", looked["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Openapi_document_lists_the_routes()
    {
        var doc = await _n.GetJson("/openapi/v1.json");
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/status", paths);
        Assert.Contains("/api/v1/transactions", paths);
        Assert.Contains("/api/v1/transactions/batch", paths);
        Assert.Contains("/api/v1/accounts/{address}", paths);
        Assert.Contains("/api/v1/events", paths);
        Assert.Contains("/api/v1/blocks/{height}/raw", paths);
    }
}
