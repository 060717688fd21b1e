using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Chainlab.Node.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. The single writer holds one connection;
/// readers open pooled read-only connections and see the last committed block (WAL snapshots).
/// </summary>
public sealed class SqliteChainStore : SqlChainStore
{
    private readonly string _path;
    private readonly string _readConnectionString;
    private readonly FileStream _lock;

    public SqliteChainStore(string path)
    {
        _path = path;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) { throw new StoreException($"cannot create data folder {dir}: {e.Message}", e); }
        try { _lock = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (UnauthorizedAccessException) { throw new StoreException($"cannot write in {dir}: the folder is read-only"); }
        catch (IOException e) when (e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase))
        { throw new StoreException($"disk full: cannot write in {dir}"); }
        catch (IOException e) when (e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase))
        { throw new StoreException($"data folder {dir} is read-only"); }
        catch (IOException) when (File.Exists(path + ".lock")) { throw new StoreException($"database {path} is locked by another node"); }
        catch (IOException e) { throw new StoreException($"cannot write in {dir}: {e.Message}"); }
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            writer.Open();
            using (var c = writer.CreateCommand())
            {
                c.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;";
                c.ExecuteNonQuery();
            }
            Initialise(writer);
            OpenFilesDatabase();
        }
        catch (Exception e) when (e is SqliteException or StoreException)
        {
            writer.Dispose();
            _lock.Dispose();
            if (e is StoreException) throw;
            throw Translate(e, "opening")!;
        }
    }

    public override string Describe => $"sqlite {_path}";

    protected override string BlobType => "BLOB";

    protected override IReadOnlyList<string> Migrations { get; } =
    [
        """
        CREATE TABLE blocks(
            hash BLOB PRIMARY KEY, height INTEGER NOT NULL, parent BLOB NOT NULL, timestamp_ms INTEGER NOT NULL,
            producer BLOB NOT NULL, tx_count INTEGER NOT NULL, state_root BLOB NOT NULL,
            header BLOB NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE canonical(height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
        CREATE TABLE transactions(
            hash BLOB PRIMARY KEY, block_hash BLOB NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL,
            success INTEGER NOT NULL, fee_paid INTEGER NOT NULL, error TEXT) WITHOUT ROWID;
        CREATE TABLE accounts(
            address BLOB PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL, stake INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE undo(height INTEGER PRIMARY KEY, block_hash BLOB NOT NULL, data BLOB NOT NULL);
        """,
        // Version 2: each block's branch weight for fork choice. Blocks stored before were all in-turn PoA blocks (weight 2 each).
        "ALTER TABLE blocks ADD COLUMN total_weight INTEGER NOT NULL DEFAULT 0; UPDATE blocks SET total_weight = 2 * height;",
        "ALTER TABLE accounts ADD COLUMN data BLOB;",
        // Version 4: contract receipts and the events of canonical blocks by contract.
        """
        ALTER TABLE transactions ADD COLUMN detail BLOB;
        CREATE TABLE contract_events(contract BLOB NOT NULL, height INTEGER NOT NULL, tx_hash BLOB NOT NULL, tx_idx INTEGER NOT NULL, seq INTEGER NOT NULL,
            name TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY(contract, height, tx_idx, seq)) WITHOUT ROWID;
        CREATE INDEX contract_events_height ON contract_events(height);
        """,
        // Version 5: the file anchors of canonical blocks (the file blocks themselves live in the files database beside this one).
        """
        CREATE TABLE file_anchors(height INTEGER NOT NULL, tx_idx INTEGER NOT NULL, seq INTEGER NOT NULL, cid BLOB NOT NULL, size INTEGER NOT NULL,
            name TEXT NOT NULL, media_type TEXT NOT NULL, anchored_by BLOB NOT NULL, tx_hash BLOB NOT NULL, PRIMARY KEY(height, tx_idx, seq)) WITHOUT ROWID;
        CREATE INDEX file_anchors_by ON file_anchors(anchored_by, height);
        CREATE INDEX file_anchors_cid ON file_anchors(cid);
        """,
    ];

    /// <summary>
    /// File blocks are kept in a second SQLite database beside the chain's (chain.db-files) with 64 KiB pages:
    /// a 256 KiB block then takes 4 pages instead of 64, which more than doubles the rate an upload is stored
    /// at, while the chain's tables keep the small pages their many small rows want. Anchors stay with the chain.
    /// </summary>
    private string FilesPath => _path + "-files";

    /// <summary>The file tables, version 1 (PRAGMA user_version).</summary>
    private const string FilesSchema = """
        CREATE TABLE IF NOT EXISTS file_blocks(cid BLOB NOT NULL UNIQUE, data BLOB NOT NULL, size INTEGER NOT NULL, added_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS files(cid BLOB PRIMARY KEY, size INTEGER NOT NULL, name TEXT, media_type TEXT, added_ms INTEGER NOT NULL, expires_ms INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS file_refs(root BLOB NOT NULL, block BLOB NOT NULL, PRIMARY KEY(root, block)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS file_refs_block ON file_refs(block);
        PRAGMA user_version=1;
        """;

    private void OpenFilesDatabase()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilesPath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(cmd.ExecuteScalar());
        if (version > 1) throw new StoreException($"files database {FilesPath} has schema version {version}, newer than this binary supports (1): upgrade chainlab");
        // The page size holds only while the file is new: set it before the first table.
        cmd.CommandText = "PRAGMA page_size=65536; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;" + FilesSchema;
        cmd.ExecuteNonQuery();
    }

    protected override DbConnection OpenFileWriter()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilesPath, Mode = SqliteOpenMode.ReadWrite, Pooling = true }.ToString());
        c.Open();
        using var p = c.CreateCommand();
        p.CommandText = "PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;";
        p.ExecuteNonQuery();
        return c;
    }

    protected override DbConnection OpenFileReader()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilesPath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        c.Open();
        return c;
    }

    protected override DbConnection OpenReader()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    /// <summary>SQLite often reports a full disk as a plain I/O error; the free space tells them apart.</summary>
    private bool DiskNearlyFull()
    {
        try { return new DriveInfo(Path.GetDirectoryName(Path.GetFullPath(_path))!).AvailableFreeSpace < 1024 * 1024; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return false; }
    }

    protected override StoreException? Translate(Exception e, string doing) => e is SqliteException s
        ? new StoreException(s.SqliteErrorCode switch
        {
            10 or 13 when DiskNearlyFull() => $"disk full while {doing} ({_path})",
            5 or 6 => $"database {_path} is locked: is another node using it?",
            8 => $"database {_path} is read-only: check the folder's permissions",
            11 or 26 => $"database {_path} is corrupted or not a chainlab database ({s.Message.Split('\n')[0]})",
            13 => $"disk full while {doing} ({_path})",
            14 => $"cannot open database {_path}: {s.Message.Split('\n')[0]}",
            _ => $"{doing} failed on {_path}: {s.Message.Split('\n')[0]}",
        }, e)
        : null;

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        _lock.Dispose();
    }
}
