using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Node.Faults;

namespace Chainlab.Node.Tests.Api;

/// <summary>
/// The devnet faucet on a node started in-process: it pays from its account into the mempool, refuses an address
/// or a client that asks too often, says when it is empty, and stays shut outside a devnet or on another chain.
/// </summary>
public sealed class FaucetTests
{
    private static readonly KeyPair[] Keys = Build.Keys(5, seed: 99); // TestNode's: the authority, then four funded accounts

    /// <summary>A devnet node on a devnet's chain whose faucet pays from account 1 (or from an unfunded key).</summary>
    private static Task<TestNode> DevnetNode(ManualTime time, FaucetLimits limits, bool funded = true, string chainId = Faucet.DevnetChainId)
    {
        var faucetKey = funded ? Keys[1] : Build.Keys(1, seed: 7)[0];
        var control = new DevnetControl(new string('t', 32), time, new Random(1)) { Faucet = new Faucet(faucetKey, time, limits) };
        return TestNode.StartAsync(spec: TestNode.SpecFor(Keys[0], Keys[1..]) with { ChainId = chainId }, time: time, devnet: control);
    }

    private static ManualTime Clock() => new(DateTimeOffset.FromUnixTimeMilliseconds((long)TestNode.GenesisMs + 500));

    private static Task<HttpResponseMessage> Ask(TestNode n, string address) => n.Http.PostAsJsonAsync("/api/v1/faucet", new { address });

    private static async Task<JsonObject> Problem(HttpResponseMessage res, HttpStatusCode status, string slug)
    {
        Assert.Equal(status, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var p = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("urn:chainlab:problem:" + slug, p["type"]!.GetValue<string>());
        return p;
    }

    [Fact]
    public async Task A_devnet_node_pays_a_drip_from_the_faucet_account_into_its_mempool()
    {
        await using var n = await DevnetNode(Clock(), FaucetLimits.Default with { Amount = 5000 });
        var to = Build.Keys(1, seed: 42)[0].Address;
        using var res = await Ask(n, to.ToString());
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var drip = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((to.ToString(), 5000UL, Keys[1].Address.ToString()), (drip["to"]!.GetValue<string>(), drip["amount"]!.GetValue<ulong>(), drip["from"]!.GetValue<string>()));
        var tx = await n.GetJson($"/api/v1/transactions/{drip["hash"]!.GetValue<string>()}");
        Assert.Equal("pending", tx["status"]!.GetValue<string>());
        Assert.Equal(to.ToString(), tx["transaction"]!["to"]!.GetValue<string>());
        Assert.Equal(5000UL, tx["transaction"]!["amount"]!.GetValue<ulong>());
    }

    [Fact]
    public async Task A_second_drip_to_one_address_within_the_minute_is_refused_with_a_retry_after_and_paid_after_it()
    {
        var time = Clock();
        await using var n = await DevnetNode(time, FaucetLimits.Default with { Amount = 5000 });
        var to = Build.Keys(1, seed: 42)[0].Address.ToString();
        using (var first = await Ask(n, to)) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        time.Advance(TimeSpan.FromSeconds(20));
        using (var again = await Ask(n, to))
        {
            var p = await Problem(again, HttpStatusCode.TooManyRequests, "faucet-refused");
            Assert.Contains("one drip per address every 60 s", p["detail"]!.GetValue<string>());
            Assert.Equal("40", again.Headers.GetValues("Retry-After").Single());
        }
        time.Advance(TimeSpan.FromSeconds(41));
        using var later = await Ask(n, to);
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
    }

    [Fact]
    public async Task One_client_is_refused_once_it_had_its_drips_of_the_window_even_for_new_addresses()
    {
        await using var n = await DevnetNode(Clock(), FaucetLimits.Default with { Amount = 5000, PerClient = 2 });
        var addresses = Build.Keys(3, seed: 43).Select(k => k.Address.ToString()).ToList();
        foreach (var a in addresses.Take(2))
            using (var ok = await Ask(n, a)) Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        using var third = await Ask(n, addresses[2]);
        var p = await Problem(third, HttpStatusCode.TooManyRequests, "faucet-refused");
        Assert.Contains("this client has had 2 drips in the last 60 min", p["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_empty_faucet_is_a_problem_and_the_refused_drip_does_not_count_against_the_address()
    {
        await using var n = await DevnetNode(Clock(), FaucetLimits.Default, funded: false);
        var to = Build.Keys(1, seed: 42)[0].Address.ToString();
        foreach (var _ in new[] { 1, 2 })
        {
            using var res = await Ask(n, to);
            var p = await Problem(res, HttpStatusCode.ServiceUnavailable, "faucet-empty");
            Assert.Contains("holds 0, less than a drip of 1000000000", p["detail"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_node_outside_a_devnet_has_no_faucet_and_a_faucet_on_a_chain_that_is_not_a_devnets_stays_shut()
    {
        var to = Build.Keys(1, seed: 42)[0].Address.ToString();
        await using (var plain = await TestNode.StartAsync())
        {
            using var res = await Ask(plain, to);
            Assert.Contains("only the nodes of a devnet", (await Problem(res, HttpStatusCode.NotFound, "not-a-devnet"))["detail"]!.GetValue<string>());
        }
        await using var other = await DevnetNode(Clock(), FaucetLimits.Default, chainId: "test-chain");
        using var shut = await Ask(other, to);
        Assert.Contains("chain 'test-chain' is not a devnet's", (await Problem(shut, HttpStatusCode.Forbidden, "not-a-devnet"))["detail"]!.GetValue<string>());
        Assert.Equal(0, (await other.GetJson("/api/v1/mempool"))["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"address": "nope"}""", HttpStatusCode.BadRequest, "bad-address")]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "malformed")]
    [InlineData("""{"address": 5}""", HttpStatusCode.BadRequest, "malformed")]
    public async Task A_faucet_request_without_a_valid_address_is_a_bad_request(string body, HttpStatusCode status, string slug)
    {
        await using var n = await DevnetNode(Clock(), FaucetLimits.Default);
        using var res = await n.Http.PostAsync("/api/v1/faucet", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await Problem(res, status, slug);
    }
}
