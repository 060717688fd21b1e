using System.Diagnostics;
using Chainlab.Cli.Processes;
using Microsoft.Playwright;

namespace Chainlab.Bench;

/// <summary>
/// First paint of the dashboard on a node whose store holds a long chain: Debian's Chromium (Playwright) opens the
/// overview of a `node run` process, and the page's own Performance API gives first contentful paint; the time
/// until the overview shows the head height is measured beside it. Each run is a fresh browser context (no cache).
/// </summary>
public sealed class DashboardBenchmark(int blocks, int runs, Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    public sealed record Run(double FirstPaintMs, double HeadShownMs);

    public async Task<IReadOnlyList<Run>> RunAsync(CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-dashboard-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        try
        {
            var sw = Stopwatch.StartNew();
            await StartupBenchmark.BuildChainAsync(Path.Combine(dir, "data"), blocks, null, output, ct);
            output.WriteLine($"built {blocks} blocks in {sw.Elapsed.TotalSeconds:0.0} s");
            await using var node = await NodeLauncher.StartAsync(launchNode, ["node", "run", "--data", Path.Combine(dir, "data")], withPeers: false, ct);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
            var results = new List<Run>();
            for (var r = 0; r < runs + 1; r++)
            {
                await using var context = await browser.NewContextAsync();
                var page = await context.NewPageAsync();
                await page.GotoAsync($"http://127.0.0.1:{node.ApiPort}/#/");
                // (not WaitForFunction: it evaluates a string, which the dashboard's content security policy forbids)
                await Assertions.Expect(page.Locator("#head-height")).ToHaveTextAsync(blocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    new() { Timeout = 30_000 });
                var paint = await page.EvaluateAsync<double>("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1");
                var shown = await page.EvaluateAsync<double>("performance.now()");
                if (r == 0) { output.WriteLine($"warm-up: first paint {paint:0} ms, head shown by {shown:0} ms"); continue; } // the node's first requests JIT its routes
                output.WriteLine($"run {r}: first contentful paint {paint:0} ms, head {blocks} shown by {shown:0} ms");
                results.Add(new Run(paint, shown));
            }
            return results;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
