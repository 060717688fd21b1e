namespace Chainlab.TestSupport;

/// <summary>
/// Test categories, used as [Trait("Category", Categories.Process)]. Tests that start real processes (node
/// and CLI processes, a PostgreSQL cluster) carry Process, so a fast loop can skip them:
/// dotnet test Chainlab.sln --filter "Category!=Process". CI runs everything.
/// </summary>
public static class Categories
{
    public const string Process = "Process";
}
