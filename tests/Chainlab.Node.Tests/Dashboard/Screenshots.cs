using Chainlab.TestSupport;
using Microsoft.Playwright;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>
/// Where the dashboard tests put their screenshots: docs/dashboard/ when CHAINLAB_WRITE_SCREENSHOTS=1
/// (docs/dashboard/refresh.sh), else a scratch folder (the tests take them either way).
/// </summary>
public static class Screenshots
{
    public static readonly bool Write = Environment.GetEnvironmentVariable("CHAINLAB_WRITE_SCREENSHOTS") == "1";
    private static readonly string Dir = Write ? RepoFiles.Path("docs", "dashboard") : Path.Combine(TestNode.NewDir(), "screenshots");

    public static async Task TakeAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Dir);
        // Live parts (ages, charts) settle first; the shot is of the page as a user sees it.
        await page.WaitForTimeoutAsync(600);
        await page.EvaluateAsync("document.getElementById('toasts').replaceChildren()"); // notices of earlier steps
        await page.ScreenshotAsync(new() { Path = Path.Combine(Dir, name + ".png"), FullPage = false });
    }
}
