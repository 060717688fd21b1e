using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.TestSupport;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>One four-node proof-of-authority devnet (real `devnet up` processes, one-second blocks) and one Chromium for the dashboard tests.</summary>
public sealed class DashboardDevnet : IAsyncLifetime
{
    public DevnetProcess Devnet { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };
    public string Url => Devnet.Url(1);
    public static readonly Dictionary<string, string> DevPassword = new() { ["CHAINLAB_PASSWORD"] = "devnet" };

    public async Task InitializeAsync()
    {
        // The browser first: when it cannot start, no devnet is left running (a failed fixture is not disposed).
        Browser = await Browser.StartAsync();
        Devnet = DevnetProcess.Start(4, "1s");
        try { await Devnet.WaitForAsync("Ctrl+C"); }
        catch
        {
            Devnet.Dispose();
            await Browser.DisposeAsync();
            throw;
        }
    }

    public async Task<JsonObject> GetAsync(string path, int node = 1) => (await Http.GetFromJsonAsync<JsonObject>(Devnet.Url(node) + path))!;

    /// <summary>Waits until the node reports the transaction in a block.</summary>
    public Task IncludedAsync(string hash) => Eventually.True(async () =>
    {
        var r = await Http.GetAsync($"{Url}/api/v1/transactions/{hash}");
        return r.IsSuccessStatusCode && (await r.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>() == "included";
    }, $"transaction {hash} included", 60);

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Devnet?.Dispose();
        Http.Dispose();
    }
}
