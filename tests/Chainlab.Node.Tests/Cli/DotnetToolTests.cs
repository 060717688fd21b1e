using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Node.Tests.Cli;

/// <summary>chainlab as a .NET tool: packed by dotnet pack, installed from a folder, run from the tool path.</summary>
[Trait("Category", Categories.Process)]
public sealed class DotnetToolTests
{
    [Fact]
    public async Task The_packed_tool_installs_from_a_folder_and_starts_a_one_node_devnet()
    {
        using var work = new TempDir("chainlab-tool");
        var feed = work["feed"];
        // The suite's own build is packed as it is (Debug, --no-build): what is tested is what was built.
        await Run("dotnet", ["pack", RepoFiles.Path("src", "Chainlab.Cli", "Chainlab.Cli.csproj"), "-c", Configuration, "--no-build", "-o", feed, "-v", "q"]);
        Assert.Single(Directory.GetFiles(feed, "chainlab.*.nupkg"));
        // Only the folder as a package source: installing reaches no other address.
        File.WriteAllText(work["nuget.config"], $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
            """);
        await Run("dotnet", ["tool", "install", "chainlab", "--tool-path", work["tools"], "--configfile", work["nuget.config"]]);
        var tool = Path.Combine(work["tools"], "chainlab");
        Assert.Contains("devnet", await Run(tool, ["--help"]));

        var port = Chainlab.Cli.Processes.LoopbackPort.Free();
        var p2p = Chainlab.Cli.Processes.LoopbackPort.Free();
        var up = System.Diagnostics.Process.Start(new ProcessStartInfo(tool, ["devnet", "up", "--nodes", "1", "--dir", work["devnet"], "--port", port.ToString(), "--p2p-port", p2p.ToString(), "--block-time", "500ms"])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.True(async () =>
            {
                try { return (await http.GetFromJsonAsync<JsonObject>("/api/v1/status"))!["headHeight"]!.GetValue<ulong>() >= 2; }
                catch (HttpRequestException) { return false; }
            }, "the tool's devnet makes blocks", 60);
        }
        finally
        {
            await Run(tool, ["devnet", "stop", "--dir", work["devnet"]], mayFail: true);
            if (!up.WaitForExit(30_000)) up.Kill(entireProcessTree: true);
        }
    }

    internal static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    internal static async Task<string> Run(string file, string[] args, bool mayFail = false)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (!mayFail) Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {output} {await err}");
        return output;
    }
}
