using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>Each contract in examples/contracts deployed and used on a real node through its API.</summary>
public sealed class ExampleContractTests
{
    private static void Succeeded(JsonNode receipt) => Assert.True(receipt["success"]!.GetValue<bool>(), receipt.ToJsonString());

    private static void FailedWith(JsonNode receipt, string text)
    {
        Assert.False(receipt["success"]!.GetValue<bool>(), receipt.ToJsonString());
        Assert.Contains(text, receipt["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_token_moves_balances_refuses_overspending_and_lists_its_events()
    {
        await using var n = await ContractNode.StartAsync();
        var (token, deployed) = await n.DeployAsync(0, ContractNode.Example("token.lua"), """["Lab Coin", "LAB", 1000000]""");
        Succeeded(deployed);
        Assert.Equal(token.ToString(), deployed["contractAddress"]!.GetValue<string>());
        var before = await n.BalanceAsync(n.Key(0).Address);

        var sent = await n.InvokeAsync(0, token, "transfer", $"""["{n.Key(1).Address}", 250]""");
        Succeeded(sent);
        Assert.True(sent["returnValue"]!.GetValue<bool>());
        Assert.Equal("Transfer", sent["events"]![0]!["name"]!.GetValue<string>());
        // The fee is the gas used, no more: the rest of the gas limit came back.
        var fee = sent["feePaid"]!.GetValue<ulong>();
        Assert.Equal(sent["gasUsed"]!.GetValue<ulong>(), fee);
        Assert.True(fee < 2_000_000);
        Assert.Equal(before - fee, await n.BalanceAsync(n.Key(0).Address));

        FailedWith(await n.InvokeAsync(1, token, "transfer", $"""["{n.Key(2).Address}", 251]"""), "insufficient token balance");
        Assert.Equal(250, (await n.ViewAsync(token, "balance_of", $"""["{n.Key(1).Address}"]"""))!.GetValue<long>());
        Assert.Equal(999_750, (await n.ViewAsync(token, "balance_of", $"""["{n.Key(0).Address}"]"""))!.GetValue<long>());
        Assert.Equal("LAB", (await n.ViewAsync(token, "info"))!["symbol"]!.GetValue<string>());

        var events = JsonNode.Parse(await n.Node.Http.GetStringAsync($"/api/v1/contracts/{token}/events"))!;
        Assert.Equal(2, events.AsArray().Count);
        var shown = await n.Node.GetJson($"/api/v1/contracts/{token}");
        Assert.Equal(5, shown["storage"]!.AsArray().Count);
    }

    [Fact]
    public async Task The_vote_counts_each_voter_once_and_closes_at_its_height()
    {
        await using var n = await ContractNode.StartAsync();
        var (vote, deployed) = await n.DeployAsync(0, ContractNode.Example("vote.lua"), """[["tea", "coffee"], 6]""");
        Succeeded(deployed);
        Succeeded(await n.InvokeAsync(1, vote, "vote", """["tea"]"""));
        Succeeded(await n.InvokeAsync(2, vote, "vote", """["coffee"]"""));
        FailedWith(await n.InvokeAsync(1, vote, "vote", """["coffee"]"""), "already voted");
        FailedWith(await n.InvokeAsync(3, vote, "vote", """["milk"]"""), "no such option");
        var results = (await n.ViewAsync(vote, "results"))!;
        Assert.Equal(1, results["counts"]!["tea"]!.GetValue<long>());
        Assert.Equal(1, results["counts"]!["coffee"]!.GetValue<long>());
        FailedWith(await n.InvokeAsync(3, vote, "vote", """["tea"]"""), "closed");
        Assert.False((await n.ViewAsync(vote, "results"))!["open"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_escrow_pays_the_seller_on_release_and_the_buyer_after_the_deadline()
    {
        await using var n = await ContractNode.StartAsync();
        var seller = n.Key(1).Address;
        var deadline = TestNode.GenesisMs + 60_000;
        var (escrow, deployed) = await n.DeployAsync(0, ContractNode.Example("escrow.lua"), $"""["{seller}", "{n.Key(2).Address}", {deadline}]""", amount: 5000);
        Succeeded(deployed);
        Assert.Equal(5000UL, await n.BalanceAsync(escrow));
        FailedWith(await n.InvokeAsync(3, escrow, "release"), "only the buyer or the arbiter");
        var sellerBefore = await n.BalanceAsync(seller);
        Succeeded(await n.InvokeAsync(2, escrow, "release"));
        Assert.Equal(sellerBefore + 5000, await n.BalanceAsync(seller));
        Assert.Equal(0UL, await n.BalanceAsync(escrow));
        FailedWith(await n.InvokeAsync(0, escrow, "refund"), "already released");

        var (second, _) = await n.DeployAsync(0, ContractNode.Example("escrow.lua"), $"""["{seller}", "{n.Key(2).Address}", {deadline}]""", amount: 700);
        FailedWith(await n.InvokeAsync(0, second, "refund"), "deadline has not passed");
        n.Node.Time.Advance(TimeSpan.FromSeconds(90));
        Succeeded(await n.InvokeAsync(0, second, "refund"));
        Assert.Equal("refunded", (await n.ViewAsync(second, "status"))!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_name_registry_sells_names_once_and_returns_the_coins_of_a_failed_purchase()
    {
        await using var n = await ContractNode.StartAsync();
        var (names, deployed) = await n.DeployAsync(0, ContractNode.Example("names.lua"), "[100]");
        Succeeded(deployed);
        Succeeded(await n.InvokeAsync(1, names, "register", """["alice"]""", amount: 100));
        var before = await n.BalanceAsync(n.Key(2).Address);
        var taken = await n.InvokeAsync(2, names, "register", """["alice"]""", amount: 100);
        FailedWith(taken, "taken");
        // A failed call keeps nothing but its gas: the 100 sent along came back.
        Assert.Equal(before - taken["feePaid"]!.GetValue<ulong>(), await n.BalanceAsync(n.Key(2).Address));
        FailedWith(await n.InvokeAsync(2, names, "register", """["Bad Name!"]""", amount: 100), "names are");
        Assert.Equal(n.Key(1).Address.ToString(), (await n.ViewAsync(names, "resolve", """["alice"]"""))!.GetValue<string>());
        Succeeded(await n.InvokeAsync(1, names, "give", $"""["alice", "{n.Key(3).Address}"]"""));
        Assert.Equal(n.Key(3).Address.ToString(), (await n.ViewAsync(names, "resolve", """["alice"]"""))!.GetValue<string>());
        Assert.Equal(100UL, await n.BalanceAsync(names));
        Succeeded(await n.InvokeAsync(0, names, "withdraw"));
        Assert.Equal(0UL, await n.BalanceAsync(names));
    }
}
