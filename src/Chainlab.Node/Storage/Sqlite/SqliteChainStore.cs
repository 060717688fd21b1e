using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Microsoft.Data.Sqlite;

namespace Chainlab.Node.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. The single writer holds one connection;
/// readers open pooled connections and see the last committed block (WAL snapshot isolation).
/// Integers are stored as SQLite INTEGER (signed 64-bit; u64 values are cast bit-for-bit).
/// </summary>
public sealed class SqliteChainStore : IChainStore
{
    public const int SchemaVersion = 1;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;

    public SqliteChainStore(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) { throw new StoreException($"cannot create data folder {dir}: {e.Message}", e); }
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        _writer = new SqliteConnection(cs);
        try
        {
            _writer.Open();
            Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
            Migrate();
        }
        catch (SqliteException e)
        {
            _writer.Dispose();
            throw new StoreException(Describe(e, path), e);
        }
    }

    private static string Describe(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        5 or 6 => $"database {path} is locked: is another node using this data folder?",
        8 => $"database {path} is read-only: check the folder's permissions",
        11 or 26 => $"database {path} is corrupted or not a chainlab database ({e.Message})",
        13 => $"disk full while opening {path}",
        14 => $"cannot open database {path}: {e.Message}",
        _ => $"cannot open database {path}: {e.Message}",
    };

    private void Exec(string sql)
    {
        using var c = _writer.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    private void Migrate()
    {
        Exec("""
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS blocks(
                hash BLOB PRIMARY KEY, height INTEGER NOT NULL, parent BLOB NOT NULL, timestamp_ms INTEGER NOT NULL,
                producer BLOB NOT NULL, tx_count INTEGER NOT NULL, state_root BLOB NOT NULL,
                header BLOB NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS canonical(height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS transactions(
                hash BLOB PRIMARY KEY, block_hash BLOB NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL,
                success INTEGER NOT NULL, fee_paid INTEGER NOT NULL, error TEXT) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS accounts(
                address BLOB PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL, stake INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS undo(height INTEGER PRIMARY KEY, block_hash BLOB NOT NULL, data BLOB NOT NULL);
            """);
        var version = Meta("schema_version");
        if (version is null) SetMeta("schema_version", BitConverter.GetBytes(SchemaVersion));
        else
        {
            var v = BitConverter.ToInt32(version);
            if (v > SchemaVersion)
                throw new StoreException($"database schema version {v} is newer than this binary supports ({SchemaVersion}): upgrade chainlab");
        }
    }

    private byte[]? Meta(string key, SqliteConnection? conn = null)
    {
        using var c = (conn ?? _writer).CreateCommand();
        c.CommandText = "SELECT value FROM meta WHERE key=$k";
        c.Parameters.AddWithValue("$k", key);
        return c.ExecuteScalar() as byte[];
    }

    private void SetMeta(string key, byte[] value, SqliteTransaction? tx = null)
    {
        using var c = _writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO meta(key,value) VALUES($k,$v) ON CONFLICT(key) DO UPDATE SET value=excluded.value";
        c.Parameters.AddWithValue("$k", key);
        c.Parameters.AddWithValue("$v", value);
        c.ExecuteNonQuery();
    }

    public Hash? GenesisHash => Meta("genesis_hash") is { } g ? new Hash(g) : null;

    public void InitGenesis(Block genesis, WorldState state)
    {
        using var tx = _writer.BeginTransaction();
        InsertBlock(tx, genesis);
        using (var c = _writer.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "INSERT INTO accounts(address,balance,nonce,stake) VALUES($a,$b,$n,$s)";
            var pa = c.Parameters.Add("$a", SqliteType.Blob);
            var pb = c.Parameters.Add("$b", SqliteType.Integer);
            var pn = c.Parameters.Add("$n", SqliteType.Integer);
            var ps = c.Parameters.Add("$s", SqliteType.Integer);
            foreach (var (addr, acc) in state.All.OrderBy(kv => kv.Key))
            {
                pa.Value = addr.ToArray(); pb.Value = unchecked((long)acc.Balance); pn.Value = unchecked((long)acc.Nonce); ps.Value = unchecked((long)acc.Stake);
                c.ExecuteNonQuery();
            }
        }
        SetMeta("genesis_hash", genesis.Hash.ToArray(), tx);
        SetMeta("head", genesis.Hash.ToArray(), tx);
        tx.Commit();
    }

    private void InsertBlock(SqliteTransaction tx, Block block)
    {
        var h = block.Header;
        using (var c = _writer.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = """
                INSERT OR IGNORE INTO blocks(hash,height,parent,timestamp_ms,producer,tx_count,state_root,header,body)
                VALUES($h,$ht,$p,$t,$pr,$n,$sr,$hd,$b)
                """;
            c.Parameters.AddWithValue("$h", h.Hash.ToArray());
            c.Parameters.AddWithValue("$ht", unchecked((long)h.Height));
            c.Parameters.AddWithValue("$p", h.Parent.ToArray());
            c.Parameters.AddWithValue("$t", unchecked((long)h.TimestampMs));
            c.Parameters.AddWithValue("$pr", h.Producer);
            c.Parameters.AddWithValue("$n", (long)h.TxCount);
            c.Parameters.AddWithValue("$sr", h.StateRoot.ToArray());
            c.Parameters.AddWithValue("$hd", h.Encode());
            c.Parameters.AddWithValue("$b", block.Encode());
            c.ExecuteNonQuery();
        }
        using (var c = _writer.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "INSERT OR REPLACE INTO canonical(height,hash) VALUES($ht,$h)";
            c.Parameters.AddWithValue("$ht", unchecked((long)h.Height));
            c.Parameters.AddWithValue("$h", h.Hash.ToArray());
            c.ExecuteNonQuery();
        }
    }

    public void Commit(BlockCommit commit)
    {
        var block = commit.Block;
        try
        {
            using var tx = _writer.BeginTransaction();
            InsertBlock(tx, block);
            InsertTransactions(tx, block, commit.Receipts);
            using (var c = _writer.CreateCommand())
            using (var d = _writer.CreateCommand())
            {
                c.Transaction = tx; d.Transaction = tx;
                c.CommandText = """
                    INSERT INTO accounts(address,balance,nonce,stake) VALUES($a,$b,$n,$s)
                    ON CONFLICT(address) DO UPDATE SET balance=excluded.balance, nonce=excluded.nonce, stake=excluded.stake
                    """;
                d.CommandText = "DELETE FROM accounts WHERE address=$a";
                var pa = c.Parameters.Add("$a", SqliteType.Blob);
                var pb = c.Parameters.Add("$b", SqliteType.Integer);
                var pn = c.Parameters.Add("$n", SqliteType.Integer);
                var ps = c.Parameters.Add("$s", SqliteType.Integer);
                var da = d.Parameters.Add("$a", SqliteType.Blob);
                foreach (var (addr, acc) in commit.Changes.OrderBy(kv => kv.Key))
                {
                    if (acc.IsEmpty) { da.Value = addr.ToArray(); d.ExecuteNonQuery(); continue; }
                    pa.Value = addr.ToArray(); pb.Value = unchecked((long)acc.Balance); pn.Value = unchecked((long)acc.Nonce); ps.Value = unchecked((long)acc.Stake);
                    c.ExecuteNonQuery();
                }
            }
            using (var c = _writer.CreateCommand())
            {
                c.Transaction = tx;
                c.CommandText = "INSERT OR REPLACE INTO undo(height,block_hash,data) VALUES($h,$b,$d)";
                c.Parameters.AddWithValue("$h", unchecked((long)block.Height));
                c.Parameters.AddWithValue("$b", block.Hash.ToArray());
                c.Parameters.AddWithValue("$d", UndoCodec.Encode(commit.Undo));
                c.ExecuteNonQuery();
            }
            SetMeta("head", block.Hash.ToArray(), tx);
            tx.Commit();
        }
        catch (SqliteException e)
        {
            throw new StoreException(e.SqliteErrorCode == 13 ? "disk full: block not stored" : $"storing block {block.Height} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// One row per transaction holding its location and receipt, inserted in hash order (sorted keys
    /// go into the B-tree far faster than random ones).
    /// </summary>
    private void InsertTransactions(SqliteTransaction tx, Block block, IReadOnlyList<Receipt> receipts)
    {
        using var c = _writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO transactions(hash,block_hash,height,idx,success,fee_paid,error) VALUES($h,$b,$ht,$i,$ok,$f,$e)";
        var ph = c.Parameters.Add("$h", SqliteType.Blob);
        c.Parameters.AddWithValue("$b", block.Hash.ToArray());
        c.Parameters.AddWithValue("$ht", unchecked((long)block.Height));
        var pi = c.Parameters.Add("$i", SqliteType.Integer);
        var pok = c.Parameters.Add("$ok", SqliteType.Integer);
        var pf = c.Parameters.Add("$f", SqliteType.Integer);
        var pe = c.Parameters.Add("$e", SqliteType.Text);
        c.Prepare();
        foreach (var i in Enumerable.Range(0, block.Transactions.Count).OrderBy(i => block.Transactions[i].Hash))
        {
            var r = receipts[i];
            ph.Value = block.Transactions[i].Hash.ToArray();
            pi.Value = i;
            pok.Value = r.Success ? 1 : 0;
            pf.Value = unchecked((long)r.FeePaid);
            pe.Value = (object?)r.Error ?? DBNull.Value;
            c.ExecuteNonQuery();
        }
    }

    private SqliteConnection Reader()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    public BlockHeader Head()
    {
        var head = Meta("head") ?? throw new StoreException("store has no head block");
        return HeaderWhere("hash=$h", ("$h", head), _writer) ?? throw new StoreException("head block is missing from the store");
    }

    private BlockHeader? HeaderWhere(string where, (string, object) p, SqliteConnection? conn = null)
    {
        var own = conn is null;
        var c0 = conn ?? Reader();
        try
        {
            using var c = c0.CreateCommand();
            c.CommandText = $"SELECT header FROM blocks WHERE {where}";
            c.Parameters.AddWithValue(p.Item1, p.Item2);
            return c.ExecuteScalar() is byte[] b ? BlockHeader.Decode(b) : null;
        }
        finally { if (own) c0.Dispose(); }
    }

    public IEnumerable<KeyValuePair<Address, Account>> LoadAccounts()
    {
        using var c = _writer.CreateCommand();
        c.CommandText = "SELECT address,balance,nonce,stake FROM accounts";
        using var r = c.ExecuteReader();
        var list = new List<KeyValuePair<Address, Account>>();
        while (r.Read())
            list.Add(new(new Address((byte[])r[0]), new Account(unchecked((ulong)r.GetInt64(1)), unchecked((ulong)r.GetInt64(2)), unchecked((ulong)r.GetInt64(3)))));
        return list;
    }

    public Block? BlockByHeight(ulong height)
    {
        using var conn = Reader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT b.body FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height=$h";
        c.Parameters.AddWithValue("$h", unchecked((long)height));
        return c.ExecuteScalar() is byte[] b ? Block.Decode(b) : null;
    }

    public Block? BlockByHash(Hash hash)
    {
        using var conn = Reader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT body FROM blocks WHERE hash=$h";
        c.Parameters.AddWithValue("$h", hash.ToArray());
        return c.ExecuteScalar() is byte[] b ? Block.Decode(b) : null;
    }

    public BlockHeader? HeaderByHeight(ulong height)
    {
        using var conn = Reader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT b.header FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height=$h";
        c.Parameters.AddWithValue("$h", unchecked((long)height));
        return c.ExecuteScalar() is byte[] b ? BlockHeader.Decode(b) : null;
    }

    public IReadOnlyList<BlockHeader> Headers(ulong fromHeight, int count)
    {
        using var conn = Reader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT b.header FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height>=$h ORDER BY k.height LIMIT $n";
        c.Parameters.AddWithValue("$h", unchecked((long)fromHeight));
        c.Parameters.AddWithValue("$n", count);
        using var r = c.ExecuteReader();
        var list = new List<BlockHeader>();
        while (r.Read()) list.Add(BlockHeader.Decode((byte[])r[0]));
        return list;
    }

    public TxLocation? Transaction(Hash hash)
    {
        using var conn = Reader();
        using var c = conn.CreateCommand();
        c.CommandText = """
            SELECT block_hash, height, idx, success, fee_paid, error FROM transactions WHERE hash=$h
            """;
        c.Parameters.AddWithValue("$h", hash.ToArray());
        using var r = c.ExecuteReader();
        if (!r.Read()) return null;
        var height = unchecked((ulong)r.GetInt64(1));
        var idx = r.GetInt32(2);
        return new TxLocation(new Hash((byte[])r[0]), height, idx,
            new Receipt(hash, height, idx, r.GetInt64(3) == 1, unchecked((ulong)r.GetInt64(4)), r.IsDBNull(5) ? null : r.GetString(5)));
    }

    public void Dispose()
    {
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
