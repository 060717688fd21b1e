using Chainlab.Node.Storage.Postgres;
using Chainlab.Node.Storage.Sqlite;

namespace Chainlab.Node.Storage;

/// <summary>Opens the store a node is configured for.</summary>
public static class ChainStores
{
    /// <summary>The SQLite database's name in a data folder.</summary>
    public const string DatabaseFileName = "chain.db";

    /// <summary>PostgreSQL when a connection string is given, else SQLite in the data folder.</summary>
    public static IChainStore Open(string dataDir, string? postgres) =>
        postgres is { Length: > 0 } cs ? new PostgresChainStore(cs) : new SqliteChainStore(Path.Combine(dataDir, DatabaseFileName));
}
