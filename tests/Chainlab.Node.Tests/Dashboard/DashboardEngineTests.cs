using Chainlab.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>The consensus page of the other two engines, on their own devnets (proof of authority is in <see cref="DashboardTests"/>); proof of stake with finality.</summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class DashboardEngineTests
{
    [Theory]
    [InlineData("pos", "#validators tbody tr", 2)]
    [InlineData("pow", ".chart[aria-label='difficulty']", 1)]
    public async Task The_consensus_page_shows_what_the_engine_decides_by(string engine, string selector, int count)
    {
        // Proof of stake with finality: the page shows the final and justified checkpoints next to the head.
        using var devnet = engine == "pos" ? DevnetProcess.Start(2, "1s", "--consensus", engine, "--finality") : DevnetProcess.Start(2, "1s", "--consensus", engine);
        await devnet.WaitForAsync("Ctrl+C");
        await using var browser = await Browser.StartAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{devnet.Url()}/#/consensus");
        await Expect(page.Locator(selector)).ToHaveCountAsync(count, new() { Timeout = 30_000 });
        // Two equal stakes: each wins a slot with 60 % (the spec's active slots) × 1/2.
        if (engine == "pos")
        {
            await Expect(page.Locator("#validators")).ToContainTextAsync("30.0 %");
            await Expect(page.Locator("#finality")).ToContainTextAsync("8 blocks", new() { Timeout = 30_000 });
            await Expect(page.Locator("#checkpoints tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        await Screenshots.TakeAsync(page, $"consensus-{engine}");
        Assert.Empty(browser.ErrorsOf(page));
    }
}
