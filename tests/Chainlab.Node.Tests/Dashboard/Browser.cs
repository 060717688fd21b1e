using Microsoft.Playwright;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by test.sh) driven by Playwright; never a downloaded browser.
/// Each page it opens records console errors and uncaught exceptions, which the tests require to be none.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<(IPage Page, string Text)> _errors = new();

    private Browser(IPlaywright playwright, IBrowser browser) { _playwright = playwright; _browser = browser; }

    public static async Task<Browser> StartAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing: test.sh installs Debian's chromium package (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        // As root (CI), Chromium's sandbox cannot start; the pages are our own, on loopback.
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        return new Browser(playwright, browser);
    }

    /// <summary>Console errors and uncaught exceptions one page has seen so far.</summary>
    public IReadOnlyList<string> ErrorsOf(IPage page) { lock (_errors) return _errors.Where(e => e.Page == page).Select(e => e.Text).ToList(); }

    /// <summary>A new context (its own IndexedDB and storage: a fresh browser profile) and page.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900, string? colorScheme = null)
    {
        var context = await _browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height }, AcceptDownloads = true,
            ColorScheme = colorScheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
        });
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (_errors) _errors.Add((page, $"{page.Url}: {m.Text} ({m.Location})")); };
        page.PageError += (_, e) => { lock (_errors) _errors.Add((page, $"{page.Url}: uncaught {e}")); };
        page.SetDefaultTimeout(20_000);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
