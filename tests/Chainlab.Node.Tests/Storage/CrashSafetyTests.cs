using System.Diagnostics;
using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Storage;

/// <summary>feature_dbcrash: 50 SIGKILLs under load per backend, and a replay that must agree.</summary>
public static class CrashRuns
{
    public static ProcessStartInfo Launch(IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(NodeProcess.ChainlabDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public static async Task AssertSurvives(string? postgres, int seed)
    {
        var log = new StringWriter();
        var report = await new CrashHarness(new CrashOptions { Kills = 20, Postgres = postgres, Seed = seed }, Launch, log).RunAsync(CancellationToken.None);
        Assert.True(report.Ok, string.Join("\n", report.Failures) + "\n" + log);
        Assert.True(report.ConfirmedTransactions > 200, $"only {report.ConfirmedTransactions} transactions were seen committed");
        Assert.True(report.ChecksAfterRestart > 500, $"only {report.ChecksAfterRestart} checks were made");
        Assert.Contains("same head and state root", log.ToString());
    }
}

[Trait("Category", Categories.Process)]
public sealed class SqliteCrashSafetyTests
{
    [Fact]
    public Task Twenty_sigkills_under_load_lose_and_change_nothing_on_sqlite() => CrashRuns.AssertSurvives(null, seed: 7);
}

[Trait("Category", Categories.Process)]
[Collection("postgres")]
public sealed class PostgresCrashSafetyTests(PostgresCluster pg)
{
    [Fact]
    public Task Twenty_sigkills_under_load_lose_and_change_nothing_on_postgres() => CrashRuns.AssertSurvives(pg.FreshSchema(), seed: 8);
}
