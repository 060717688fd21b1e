using System.IO.Compression;
using System.Text.RegularExpressions;
using Chainlab.Cli.Processes;
using Chainlab.Core.Wallet;
using Chainlab.Node.Tests.Cli;

namespace Chainlab.Node.Tests.Clients;

/// <summary>Chainlab.Client as a NuGet package: packed by dotnet pack, used by a program of someone else's (the README's example).</summary>
[Trait("Category", Categories.Process)]
public sealed class ClientPackageTests
{
    [Fact]
    public async Task The_readme_example_builds_against_the_packed_client_and_sends_a_transfer_whose_proofs_verify()
    {
        using var work = new TempDir("chainlab-client-pkg");
        var feed = work["feed"];
        // What the suite built is what is packed (--no-build): the client and the two packages it depends on.
        foreach (var project in new[] { "Chainlab.Core", "Chainlab.Contracts", "Chainlab.Client" })
            await DotnetToolTests.Run("dotnet", ["pack", RepoFiles.Path("src", project, project + ".csproj"), "-c", DotnetToolTests.Configuration, "--no-build", "-o", feed, "-v", "q"]);
        var package = Assert.Single(Directory.GetFiles(feed, "Chainlab.Client.*.nupkg"));
        using (var zip = ZipFile.OpenRead(package))
        {
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/Chainlab.Client.dll");
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/Chainlab.Client.xml");
            using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var text = await nuspec.ReadToEndAsync();
            Assert.Contains("id=\"Chainlab.Core\"", text);
            Assert.Contains("id=\"Chainlab.Contracts\"", text);
        }

        // A program outside the repository (none of its build settings apply) with only the folder as its package
        // source; the packages' own dependencies restore from this machine's package cache.
        var app = Directory.CreateDirectory(work["app"]).FullName;
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
              <ItemGroup><PackageReference Include="Chainlab.Client" Version="1.0.0" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
            """);
        var readme = File.ReadAllText(RepoFiles.Path("README.md"));
        var example = Regex.Match(readme, "<!-- client-example:dotnet -->\\s*```csharp\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(example.Success, "the README has no .NET client example");
        File.WriteAllText(Path.Combine(app, "Program.cs"), example.Groups[1].Value);
        await DotnetToolTests.Run("dotnet", ["build", app, "-v", "q", "-o", Path.Combine(app, "out")]);

        var keys = Build.Keys(3, seed: 281);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var spec = TestNode.SpecFor(keys[0], keys[1..]) with { BlockTimeMs = 200, GenesisTimeMs = now - now % 200 };
        File.WriteAllText(work["spec.json"], spec.ToJson());
        File.WriteAllText(work["authority.json"], Keystore.Encrypt(keys[0], "pw"));
        File.WriteAllText(work["sender.json"], Keystore.Encrypt(keys[1], "pw"));
        File.WriteAllText(work["pw"], "pw");
        await using var node = await NodeProcess.StartAsync(["node", "run", "--data", work["data"], "--spec", work["spec.json"],
            "--key", work["authority.json"], "--password-file", work["pw"], "--log-level", "Warning"], LoopbackPort.Free());
        var output = await DotnetToolTests.Run("dotnet", [Path.Combine(app, "out", "app.dll"), $"http://127.0.0.1:{node.Port}", work["sender.json"], "pw", keys[2].Address.ToString()]);
        Assert.Contains("proof verified: True", output);
        Assert.Contains($"{keys[2].Address} holds {1_000_000 + 1_000} at block", output);
    }
}
