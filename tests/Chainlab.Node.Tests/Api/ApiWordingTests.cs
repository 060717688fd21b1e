using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;

namespace Chainlab.Node.Tests.Api;

/// <summary>What the API says back: in its own words, with u64 fields accepted as decimal strings.</summary>
public sealed class ApiWordingTests
{
    [Fact]
    public async Task Problem_details_never_show_dotnet_type_or_member_names()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var bodies = new (string Path, string Body)[]
            {
                ("/api/v1/transactions", """{"raw": 5}"""),
                ("/api/v1/transactions", """{"nonce": "x"}"""),
                ("/api/v1/transactions", """{"nonce": -1}"""),
                ("/api/v1/transactions", """{"amount": 1.5}"""),
                ("/api/v1/transactions", """{"bogus": 1}"""),
                ("/api/v1/transactions", """[1, 2]"""),
                ("/api/v1/transactions", """{"kind": {}}"""),
                ("/api/v1/transactions/batch", """{"transactions": "abc"}"""),
                ("/api/v1/transactions/batch", """{"transactions": [1]}"""),
                ("/api/v1/contracts/cl1/call", """{"function": 3}"""),
            };
            foreach (var (path, body) in bodies)
            {
                var resp = await n.PostRaw(path, body);
                var text = await resp.Content.ReadAsStringAsync();
                Assert.True((int)resp.StatusCode is >= 400 and < 500, $"{path} {body}: {(int)resp.StatusCode}");
                var detail = JsonNode.Parse(text)!["detail"]?.GetValue<string>() ?? "";
                Assert.DoesNotMatch(@"System\.|Chainlab\.|Microsoft\.|\.NET|UInt64|Int32", detail);
            }
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public async Task U64_fields_are_accepted_as_decimal_strings_and_a_bad_address_in_the_fields_form_is_bad_address()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var t = n.Transfer(0, 1, 5, 0);
            var fields = new JsonObject
            {
                ["kind"] = "transfer", ["chainId"] = t.ChainId, ["senderKey"] = Convert.ToHexStringLower(t.SenderKey),
                ["nonce"] = "0", ["fee"] = "1", ["to"] = t.To.ToString(), ["amount"] = "5",
                ["signature"] = Convert.ToHexStringLower(t.Signature),
            };
            var ok = await n.Http.PostAsJsonAsync("/api/v1/transactions", fields);
            Assert.Equal(202, (int)ok.StatusCode);
            Assert.Equal(t.Hash.ToString(), JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["hash"]!.GetValue<string>());

            fields["to"] = "clNotAnAddress";
            fields["nonce"] = "1";
            var bad = await n.Http.PostAsJsonAsync("/api/v1/transactions", fields);
            Assert.Equal(400, (int)bad.StatusCode);
            Assert.Equal("urn:chainlab:problem:bad-address", JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());

            fields["to"] = t.To.ToString();
            fields["amount"] = "18446744073709551616"; // 2^64: too big for a u64
            var big = await n.Http.PostAsJsonAsync("/api/v1/transactions", fields);
            Assert.Equal(400, (int)big.StatusCode);
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }
}
