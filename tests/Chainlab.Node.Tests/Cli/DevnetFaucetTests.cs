using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>The faucet of a real `devnet up`: every node, followers too, pays from the devnet's faucet account, and the drip lands.</summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class DevnetFaucetTests
{
    [Fact]
    public async Task A_follower_of_a_devnet_pays_a_drip_from_the_faucet_account_and_it_lands_on_the_chain()
    {
        using var devnet = DevnetProcess.Start(2, "500ms");
        await devnet.WaitForAsync("Ctrl+C");
        Assert.Contains("/api/v1/faucet", devnet.Output);
        using var follower = new HttpClient { BaseAddress = new Uri(devnet.Url(2)) };
        var to = Build.Keys(1, seed: 314)[0].Address.ToString();

        using var res = await follower.PostAsJsonAsync("/api/v1/faucet", new { address = to });
        Assert.True(res.StatusCode == HttpStatusCode.Accepted, await res.Content.ReadAsStringAsync());
        var drip = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var faucet = Chainlab.Core.Wallet.Keystore.ReadPublic(await File.ReadAllTextAsync(devnet.KeyFile("faucet"))).Address;
        Assert.Equal(faucet, drip["from"]!.GetValue<string>());
        await Eventually.True(async () => (await follower.GetFromJsonAsync<JsonObject>($"/api/v1/accounts/{to}"))!["balance"]!.GetValue<ulong>() == 1_000_000_000UL,
            "the drip in the follower's chain", 20);

        using var again = await follower.PostAsJsonAsync("/api/v1/faucet", new { address = to });
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
    }
}
