using Npgsql;

namespace Chainlab.Cli.Processes;

/// <summary>How many bytes a node's store takes on disk.</summary>
public static class StoreSize
{
    /// <summary>The database file and its WAL in a data folder.</summary>
    public static long Sqlite(string dataDir) =>
        Directory.GetFiles(dataDir, Node.Storage.ChainStores.DatabaseFileName + "*").Sum(f => new FileInfo(f).Length);

    /// <summary>Tables, indexes and TOAST of the connection string's schema.</summary>
    public static long Postgres(string connectionString)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)),0) FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace WHERE n.nspname=current_schema() AND c.relkind='r'";
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
