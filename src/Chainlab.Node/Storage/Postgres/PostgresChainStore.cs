using System.Data.Common;
using System.Net.Sockets;
using Chainlab.Core.Model;
using Npgsql;
using NpgsqlTypes;

namespace Chainlab.Node.Storage.Postgres;

/// <summary>
/// The server store: the same tables in a PostgreSQL schema (the connection string's search path, or
/// "public"). An advisory lock keeps a second node off the same schema; transaction rows go in with a
/// binary COPY.
/// </summary>
public sealed class PostgresChainStore : SqlChainStore
{
    private readonly NpgsqlDataSource _source;
    private readonly string _where;

    public PostgresChainStore(string connectionString)
    {
        NpgsqlConnectionStringBuilder csb;
        try { csb = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException e) { throw new StoreException($"bad PostgreSQL connection string: {e.Message}", e); }
        var schema = string.IsNullOrEmpty(csb.SearchPath) ? "public" : csb.SearchPath.Split(',')[0].Trim();
        if (!System.Text.RegularExpressions.Regex.IsMatch(schema, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new StoreException($"schema name '{schema}' must be lower-case letters, digits and underscores");
        _where = $"postgres {csb.Host}:{csb.Port}/{csb.Database} schema {schema}";
        csb.SearchPath = schema;
        _source = NpgsqlDataSource.Create(csb.ConnectionString);
        NpgsqlConnection? writer = null;
        try
        {
            writer = _source.OpenConnection();
            using (var c = writer.CreateCommand())
            {
                c.CommandText = $"CREATE SCHEMA IF NOT EXISTS {schema}";
                c.ExecuteNonQuery();
                c.CommandText = "SELECT pg_try_advisory_lock(hashtext('chainlab:' || current_schema()))";
                if (c.ExecuteScalar() is not true)
                    throw new StoreException($"{_where} is locked by another node");
            }
            Initialise(writer);
        }
        catch (Exception e) when (e is NpgsqlException or StoreException or SocketException)
        {
            writer?.Dispose();
            _source.Dispose();
            if (e is StoreException) throw;
            throw Translate(e, "connecting")!;
        }
    }

    public override string Describe => _where;

    /// <summary>The connection string with its search path set to a per-node schema.</summary>
    public static string ForSchema(string connectionString, string schema) =>
        new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;

    /// <summary>Replaces schema 'to' with a copy of every chain table in the connection string's schema (snapshots).</summary>
    public static void CopySchema(string connectionString, string to)
    {
        var from = new NpgsqlConnectionStringBuilder(connectionString).SearchPath ?? "public";
        foreach (var name in new[] { from, to })
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]{0,62}$")) throw new StoreException($"bad schema name '{name}'");
        try
        {
            using var c = new NpgsqlConnection(connectionString);
            c.Open();
            using var tx = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            // Every table the schema has (a table added by a later migration is copied too).
            cmd.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_schema = @s AND table_type = 'BASE TABLE' ORDER BY table_name";
            cmd.Parameters.AddWithValue("s", from);
            var tables = new List<string>();
            using (var r = cmd.ExecuteReader()) while (r.Read()) tables.Add(r.GetString(0));
            if (!tables.Contains("meta")) throw new StoreException($"schema {from} holds no chain to copy");
            if (tables.FirstOrDefault(t => !System.Text.RegularExpressions.Regex.IsMatch(t, "^[a-z_][a-z0-9_]{0,62}$")) is { } odd)
                throw new StoreException($"schema {from} has a table this copy does not know how to name: '{odd}'");
            cmd.Parameters.Clear();
            cmd.CommandText = $"DROP SCHEMA IF EXISTS {to} CASCADE; CREATE SCHEMA {to};" + string.Concat(tables.Select(t =>
                $"CREATE TABLE {to}.{t} (LIKE {from}.{t} INCLUDING ALL); INSERT INTO {to}.{t} SELECT * FROM {from}.{t};"));
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
        catch (NpgsqlException e) { throw new StoreException($"cannot copy schema {from} to {to}: {e.Message}", e); }
    }

    /// <summary>Deletes a schema and everything in it (devnet reset).</summary>
    public static void DropSchema(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        var schema = csb.SearchPath ?? throw new StoreException("no schema to drop");
        if (!System.Text.RegularExpressions.Regex.IsMatch(schema, "^[a-z_][a-z0-9_]{0,62}$") || schema == "public")
            throw new StoreException($"refusing to drop schema '{schema}'");
        try
        {
            using var c = new NpgsqlConnection(connectionString);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"DROP SCHEMA IF EXISTS {schema} CASCADE";
            cmd.ExecuteNonQuery();
        }
        catch (NpgsqlException e) { throw new StoreException($"cannot drop schema {schema}: {e.Message}", e); }
    }

    protected override string BlobType => "BYTEA";

    protected override IReadOnlyList<string> Migrations { get; } =
    [
        """
        CREATE TABLE blocks(
            hash BYTEA PRIMARY KEY, height BIGINT NOT NULL, parent BYTEA NOT NULL, timestamp_ms BIGINT NOT NULL,
            producer BYTEA NOT NULL, tx_count BIGINT NOT NULL, state_root BYTEA NOT NULL,
            header BYTEA NOT NULL, body BYTEA NOT NULL);
        CREATE TABLE canonical(height BIGINT PRIMARY KEY, hash BYTEA NOT NULL);
        CREATE TABLE transactions(
            hash BYTEA PRIMARY KEY, block_hash BYTEA NOT NULL, height BIGINT NOT NULL, idx BIGINT NOT NULL,
            success BIGINT NOT NULL, fee_paid BIGINT NOT NULL, error TEXT);
        CREATE TABLE accounts(
            address BYTEA PRIMARY KEY, balance BIGINT NOT NULL, nonce BIGINT NOT NULL, stake BIGINT NOT NULL);
        CREATE TABLE undo(height BIGINT PRIMARY KEY, block_hash BYTEA NOT NULL, data BYTEA NOT NULL);
        """,
        // Version 2: each block's branch weight for fork choice. Blocks stored before were all in-turn PoA blocks (weight 2 each).
        "ALTER TABLE blocks ADD COLUMN total_weight BIGINT NOT NULL DEFAULT 0; UPDATE blocks SET total_weight = 2 * height;",
        "ALTER TABLE accounts ADD COLUMN data BYTEA;",
        // Version 4: contract receipts and the events of canonical blocks by contract.
        """
        ALTER TABLE transactions ADD COLUMN detail BYTEA;
        CREATE TABLE contract_events(contract BYTEA NOT NULL, height BIGINT NOT NULL, tx_hash BYTEA NOT NULL, tx_idx BIGINT NOT NULL, seq BIGINT NOT NULL,
            name TEXT NOT NULL, value BYTEA NOT NULL, PRIMARY KEY(contract, height, tx_idx, seq));
        CREATE INDEX contract_events_height ON contract_events(height);
        """,
        // Version 5: content-addressed file blocks, the files kept, which blocks each file uses, and anchors in canonical blocks.
        """
        CREATE TABLE file_blocks(cid BYTEA PRIMARY KEY, data BYTEA NOT NULL, size BIGINT NOT NULL, added_ms BIGINT NOT NULL);
        CREATE TABLE files(cid BYTEA PRIMARY KEY, size BIGINT NOT NULL, name TEXT, media_type TEXT, added_ms BIGINT NOT NULL, expires_ms BIGINT);
        CREATE TABLE file_refs(root BYTEA NOT NULL, block BYTEA NOT NULL, PRIMARY KEY(root, block));
        CREATE INDEX file_refs_block ON file_refs(block);
        CREATE TABLE file_anchors(height BIGINT NOT NULL, tx_idx BIGINT NOT NULL, seq BIGINT NOT NULL, cid BYTEA NOT NULL, size BIGINT NOT NULL,
            name TEXT NOT NULL, media_type TEXT NOT NULL, anchored_by BYTEA NOT NULL, tx_hash BYTEA NOT NULL, PRIMARY KEY(height, tx_idx, seq));
        CREATE INDEX file_anchors_by ON file_anchors(anchored_by, height);
        CREATE INDEX file_anchors_cid ON file_anchors(cid);
        """,
    ];

    protected override DbConnection OpenReader() => _source.OpenConnection();

    protected override DbConnection OpenFileWriter() => _source.OpenConnection();

    protected override void InsertTransactions(DbTransaction tx, Block block, IReadOnlyList<Receipt> receipts)
    {
        var blockHash = block.Hash.ToArray();
        var height = unchecked((long)block.Height);
        using var copy = ((NpgsqlConnection)Writer).BeginBinaryImport(
            "COPY transactions(hash,block_hash,height,idx,success,fee_paid,error,detail) FROM STDIN (FORMAT BINARY)");
        foreach (var i in TransactionOrder(block))
        {
            var r = receipts[i];
            copy.StartRow();
            copy.Write(block.Transactions[i].Hash.ToArray(), NpgsqlDbType.Bytea);
            copy.Write(blockHash, NpgsqlDbType.Bytea);
            copy.Write(height, NpgsqlDbType.Bigint);
            copy.Write((long)i, NpgsqlDbType.Bigint);
            copy.Write(r.Success ? 1L : 0L, NpgsqlDbType.Bigint);
            copy.Write(unchecked((long)r.FeePaid), NpgsqlDbType.Bigint);
            if (r.Error is null) copy.WriteNull(); else copy.Write(r.Error, NpgsqlDbType.Text);
            if (r.Contract is null) copy.WriteNull(); else copy.Write(r.Contract.Encode(), NpgsqlDbType.Bytea);
        }
        copy.Complete();
    }

    protected override StoreException? Translate(Exception e, string doing) => e switch
    {
        PostgresException { SqlState: "28P01" or "28000" } p => new StoreException($"PostgreSQL refused the credentials ({_where}): {p.MessageText}", e),
        PostgresException { SqlState: "3D000" } p => new StoreException($"PostgreSQL database does not exist ({_where}): {p.MessageText}", e),
        PostgresException { SqlState: "53100" } => new StoreException($"PostgreSQL disk full while {doing} ({_where})", e),
        PostgresException p => new StoreException($"{doing} failed on {_where}: {p.MessageText}", e),
        NpgsqlException { InnerException: SocketException or TimeoutException or IOException } or SocketException =>
            new StoreException($"PostgreSQL is unreachable ({_where}): {(e.InnerException ?? e).Message}", e),
        NpgsqlException n => new StoreException($"{doing} failed on {_where}: {n.Message}", e),
        _ => null,
    };

    public override void Dispose()
    {
        base.Dispose();
        _source.Dispose();
    }
}
