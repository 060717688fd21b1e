using System.Data;
using System.Data.Common;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage;

/// <summary>
/// The chain store over any ADO.NET database: the same tables, the same statements (named @parameters),
/// one database transaction per block. A backend supplies connections, its DDL and its error messages,
/// and may speed up the per-transaction rows.
/// </summary>
public abstract partial class SqlChainStore : IChainStore, IFileStore
{
    /// <summary>Schema migrations by version; index 0 creates version 1.</summary>
    protected abstract IReadOnlyList<string> Migrations { get; }

    public int SchemaVersion => Migrations.Count;
    protected DbConnection Writer { get; private set; } = null!;
    protected abstract DbConnection OpenReader();
    public abstract string Describe { get; }

    /// <summary>Opens the writer connection, applies migrations, refuses newer schemas.</summary>
    protected void Initialise(DbConnection writer)
    {
        Writer = writer;
        Exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value " + BlobType + " NOT NULL)");
        var current = Meta("schema_version") is { } v ? BitConverter.ToInt32(v) : 0;
        if (current > SchemaVersion)
            throw new StoreException($"database schema version {current} is newer than this binary supports ({SchemaVersion}): upgrade chainlab");
        for (var version = current; version < SchemaVersion; version++)
        {
            using var tx = Writer.BeginTransaction();
            Exec(Migrations[version], tx);
            SetMeta("schema_version", BitConverter.GetBytes(version + 1), tx);
            tx.Commit();
        }
    }

    protected abstract string BlobType { get; }

    /// <summary>Turns a backend exception into a one-line StoreException, or null to rethrow as is.</summary>
    protected abstract StoreException? Translate(Exception e, string doing);

    protected void Exec(string sql, DbTransaction? tx = null)
    {
        using var c = Writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    protected static DbParameter Param(DbCommand c, string name, object? value = null)
    {
        var p = c.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        c.Parameters.Add(p);
        return p;
    }

    private byte[]? Meta(string key, DbConnection? conn = null)
    {
        using var c = (conn ?? Writer).CreateCommand();
        c.CommandText = "SELECT value FROM meta WHERE key=@k";
        Param(c, "@k", key);
        return c.ExecuteScalar() as byte[];
    }

    private void SetMeta(string key, byte[] value, DbTransaction tx)
    {
        using var c = Writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO meta(key,value) VALUES(@k,@v) ON CONFLICT(key) DO UPDATE SET value=excluded.value";
        Param(c, "@k", key);
        Param(c, "@v", value);
        c.ExecuteNonQuery();
    }

    public Hash? GenesisHash => Meta("genesis_hash") is { } g ? new Hash(g) : null;

    public void InitGenesis(Block genesis, WorldState state)
    {
        Guard("writing genesis", () =>
        {
            using var tx = Writer.BeginTransaction();
            InsertBlock(tx, genesis, 0);
            UpsertAccounts(tx, state.All.ToDictionary(kv => kv.Key, kv => kv.Value));
            SetMeta("genesis_hash", genesis.Hash.ToArray(), tx);
            SetMeta("head", genesis.Hash.ToArray(), tx);
            tx.Commit();
        });
    }

    public void Commit(IReadOnlyList<BlockDisconnect> disconnect, IReadOnlyList<BlockCommit> connect)
    {
        if (connect.Count == 0) throw new ArgumentException("a commit must end on a new head block", nameof(connect));
        Guard(connect.Count == 1 && disconnect.Count == 0 ? $"storing block {connect[0].Block.Height}"
            : $"reorganising ({disconnect.Count} blocks off, {connect.Count} on)", () =>
        {
            using var tx = Writer.BeginTransaction();
            foreach (var d in disconnect)
            {
                UpsertAccounts(tx, d.Undo);
                using (var c = Writer.CreateCommand())
                {
                    c.Transaction = tx;
                    c.CommandText = "DELETE FROM transactions WHERE hash=@h AND block_hash=@b";
                    var ph = Param(c, "@h");
                    Param(c, "@b", d.Block.Hash.ToArray());
                    foreach (var t in d.Block.Transactions) { ph.Value = t.Hash.ToArray(); c.ExecuteNonQuery(); }
                }
                using (var c = Writer.CreateCommand())
                {
                    c.Transaction = tx;
                    c.CommandText = "DELETE FROM canonical WHERE height=@h; DELETE FROM undo WHERE height=@h; DELETE FROM contract_events WHERE height=@h; DELETE FROM file_anchors WHERE height=@h";
                    Param(c, "@h", unchecked((long)d.Block.Height));
                    c.ExecuteNonQuery();
                }
            }
            foreach (var commit in connect)
            {
                InsertBlock(tx, commit.Block, commit.TotalWeight);
                InsertTransactions(tx, commit.Block, commit.Receipts);
                InsertEvents(tx, commit.Block, commit.Receipts);
                InsertAnchors(tx, commit.Block, commit.Receipts);
                UpsertAccounts(tx, commit.Changes);
                using var c = Writer.CreateCommand();
                c.Transaction = tx;
                c.CommandText = "INSERT INTO undo(height,block_hash,data) VALUES(@h,@b,@d) ON CONFLICT(height) DO UPDATE SET block_hash=excluded.block_hash, data=excluded.data";
                Param(c, "@h", unchecked((long)commit.Block.Height));
                Param(c, "@b", commit.Block.Hash.ToArray());
                Param(c, "@d", UndoCodec.Encode(commit.Undo));
                c.ExecuteNonQuery();
            }
            SetMeta("head", connect[^1].Block.Hash.ToArray(), tx);
            tx.Commit();
        });
    }

    public IReadOnlyDictionary<Address, Account> Undo(ulong height)
    {
        using var c = Writer.CreateCommand();
        c.CommandText = "SELECT data FROM undo WHERE height=@h";
        Param(c, "@h", unchecked((long)height));
        return c.ExecuteScalar() is byte[] b ? UndoCodec.Decode(b) : throw new StoreException($"undo data for block {height} is missing");
    }

    public ulong? TotalWeight(Hash hash)
    {
        using var c = Writer.CreateCommand();
        c.CommandText = "SELECT total_weight FROM blocks WHERE hash=@h";
        Param(c, "@h", hash.ToArray());
        return c.ExecuteScalar() is long w ? unchecked((ulong)w) : null;
    }

    private void Guard(string doing, Action action)
    {
        try { action(); }
        catch (Exception e) when (e is not StoreException && Translate(e, doing) is { } translated) { throw translated; }
    }

    private void InsertBlock(DbTransaction tx, Block block, ulong totalWeight)
    {
        var h = block.Header;
        using (var c = Writer.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = """
                INSERT INTO blocks(hash,height,parent,timestamp_ms,producer,tx_count,state_root,header,body,total_weight)
                VALUES(@h,@ht,@p,@t,@pr,@n,@sr,@hd,@b,@w) ON CONFLICT(hash) DO NOTHING
                """;
            Param(c, "@h", h.Hash.ToArray());
            Param(c, "@ht", unchecked((long)h.Height));
            Param(c, "@p", h.Parent.ToArray());
            Param(c, "@t", unchecked((long)h.TimestampMs));
            Param(c, "@pr", h.Producer);
            Param(c, "@n", (long)h.TxCount);
            Param(c, "@sr", h.StateRoot.ToArray());
            Param(c, "@hd", h.Encode());
            Param(c, "@b", block.Encode());
            Param(c, "@w", unchecked((long)totalWeight));
            c.ExecuteNonQuery();
        }
        using (var c = Writer.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "INSERT INTO canonical(height,hash) VALUES(@ht,@h) ON CONFLICT(height) DO UPDATE SET hash=excluded.hash";
            Param(c, "@ht", unchecked((long)h.Height));
            Param(c, "@h", h.Hash.ToArray());
            c.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// One row per transaction holding its location and receipt, inserted in hash order (sorted keys
    /// go into a B-tree far faster than random ones).
    /// </summary>
    protected virtual void InsertTransactions(DbTransaction tx, Block block, IReadOnlyList<Receipt> receipts)
    {
        using var c = Writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO transactions(hash,block_hash,height,idx,success,fee_paid,error,detail) VALUES(@h,@b,@ht,@i,@ok,@f,@e,@d)";
        var ph = Param(c, "@h");
        Param(c, "@b", block.Hash.ToArray());
        Param(c, "@ht", unchecked((long)block.Height));
        var pi = Param(c, "@i");
        var pok = Param(c, "@ok");
        var pf = Param(c, "@f");
        var pe = Param(c, "@e");
        var pd = Param(c, "@d");
        pd.DbType = DbType.Binary;
        foreach (var i in TransactionOrder(block))
        {
            var r = receipts[i];
            ph.Value = block.Transactions[i].Hash.ToArray();
            pi.Value = i;
            pok.Value = r.Success ? 1 : 0;
            pf.Value = unchecked((long)r.FeePaid);
            pe.Value = (object?)r.Error ?? DBNull.Value;
            pd.Value = (object?)r.Contract?.Encode() ?? DBNull.Value;
            c.ExecuteNonQuery();
        }
    }

    private void InsertEvents(DbTransaction tx, Block block, IReadOnlyList<Receipt> receipts)
    {
        if (receipts.All(r => r.Contract is not { Events.Count: > 0 })) return;
        using var c = Writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO contract_events(contract,height,tx_hash,tx_idx,seq,name,value) VALUES(@c,@h,@t,@i,@s,@n,@v)";
        var pc = Param(c, "@c");
        Param(c, "@h", unchecked((long)block.Height));
        var pt = Param(c, "@t");
        var pi = Param(c, "@i");
        var ps = Param(c, "@s");
        var pn = Param(c, "@n");
        var pv = Param(c, "@v");
        pv.DbType = DbType.Binary;
        for (var i = 0; i < receipts.Count; i++)
        {
            if (receipts[i].Contract is not { Events: { Count: > 0 } events }) continue;
            for (var s = 0; s < events.Count; s++)
            {
                pc.Value = events[s].Contract.ToArray();
                pt.Value = block.Transactions[i].Hash.ToArray();
                pi.Value = (long)i;
                ps.Value = (long)s;
                pn.Value = events[s].Name;
                pv.Value = events[s].Value;
                c.ExecuteNonQuery();
            }
        }
    }

    public IReadOnlyList<StoredEvent> ContractEvents(Address contract, ulong fromHeight, int limit, int offset = 0) => ReadList(
        "SELECT e.height, e.tx_hash, e.seq, e.name, e.value FROM contract_events e WHERE e.contract=@c AND e.height>=@h ORDER BY e.height, e.tx_idx, e.seq LIMIT @n OFFSET @o",
        c => { Param(c, "@c", contract.ToArray()); Param(c, "@h", unchecked((long)fromHeight)); Param(c, "@n", (long)limit); Param(c, "@o", (long)offset); },
        r => new StoredEvent(unchecked((ulong)r.GetInt64(0)), new Hash((byte[])r[1]), (int)r.GetInt64(2), contract, r.GetString(3), (byte[])r[4]));

    protected static IEnumerable<int> TransactionOrder(Block block) =>
        Enumerable.Range(0, block.Transactions.Count).OrderBy(i => block.Transactions[i].Hash);

    private void UpsertAccounts(DbTransaction tx, IReadOnlyDictionary<Address, Account> changes)
    {
        using var c = Writer.CreateCommand();
        using var d = Writer.CreateCommand();
        c.Transaction = tx; d.Transaction = tx;
        c.CommandText = """
            INSERT INTO accounts(address,balance,nonce,stake,data) VALUES(@a,@b,@n,@s,@x)
            ON CONFLICT(address) DO UPDATE SET balance=excluded.balance, nonce=excluded.nonce, stake=excluded.stake, data=excluded.data
            """;
        d.CommandText = "DELETE FROM accounts WHERE address=@a";
        var pa = Param(c, "@a");
        var pb = Param(c, "@b");
        var pn = Param(c, "@n");
        var ps = Param(c, "@s");
        var px = Param(c, "@x");
        px.DbType = DbType.Binary;
        var da = Param(d, "@a");
        foreach (var (addr, acc) in changes.OrderBy(kv => kv.Key))
        {
            if (acc.IsEmpty) { da.Value = addr.ToArray(); d.ExecuteNonQuery(); continue; }
            pa.Value = addr.ToArray(); pb.Value = unchecked((long)acc.Balance); pn.Value = unchecked((long)acc.Nonce); ps.Value = unchecked((long)acc.Stake);
            px.Value = acc.Data is { Length: > 0 } ? acc.Data : DBNull.Value;
            c.ExecuteNonQuery();
        }
    }

    public BlockHeader Head()
    {
        var head = Meta("head") ?? throw new StoreException("store has no head block");
        using var c = Writer.CreateCommand();
        c.CommandText = "SELECT header FROM blocks WHERE hash=@h";
        Param(c, "@h", head);
        return c.ExecuteScalar() is byte[] b ? BlockHeader.Decode(b) : throw new StoreException("head block is missing from the store");
    }

    public IEnumerable<KeyValuePair<Address, Account>> LoadAccounts()
    {
        using var c = Writer.CreateCommand();
        c.CommandText = "SELECT address,balance,nonce,stake,data FROM accounts";
        using var r = c.ExecuteReader();
        var list = new List<KeyValuePair<Address, Account>>();
        while (r.Read())
            list.Add(new(new Address((byte[])r[0]), new Account(unchecked((ulong)r.GetInt64(1)), unchecked((ulong)r.GetInt64(2)), unchecked((ulong)r.GetInt64(3)), r.IsDBNull(4) ? null : (byte[])r[4])));
        return list;
    }

    /// <summary>One query on a reader connection (the chain's, unless another is given), mapped from its first row.</summary>
    protected T Read<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> map, T none, Func<DbConnection>? open = null)
    {
        using var conn = (open ?? OpenReader)();
        using var c = conn.CreateCommand();
        c.CommandText = sql;
        bind(c);
        using var r = c.ExecuteReader();
        return r.Read() ? map(r) : none;
    }

    /// <summary>Every row of a query, mapped (empty when there is none).</summary>
    protected IReadOnlyList<T> ReadList<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> map, Func<DbConnection>? open = null) =>
        Read<IReadOnlyList<T>>(sql, bind, r =>
        {
            var list = new List<T>();
            do list.Add(map(r)); while (r.Read());
            return list;
        }, [], open);

    public Block? BlockByHeight(ulong height) => Read<Block?>(
        "SELECT b.body FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height=@h",
        c => Param(c, "@h", unchecked((long)height)), r => Block.Decode((byte[])r[0]), null);

    public Block? BlockByHash(Hash hash) => Read<Block?>(
        "SELECT body FROM blocks WHERE hash=@h", c => Param(c, "@h", hash.ToArray()), r => Block.Decode((byte[])r[0]), null);

    public byte[]? RawBlockByHeight(ulong height) => Read<byte[]?>(
        "SELECT b.body FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height=@h",
        c => Param(c, "@h", unchecked((long)height)), r => (byte[])r[0], null);

    public IReadOnlyList<byte[]> RawBlocks(ulong fromHeight, int count, long maxBytes)
    {
        using var conn = OpenReader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT b.body FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height>=@h AND k.height<@end ORDER BY k.height";
        Param(c, "@h", unchecked((long)fromHeight));
        Param(c, "@end", unchecked((long)(fromHeight + (ulong)count)));
        using var r = c.ExecuteReader();
        var list = new List<byte[]>();
        long total = 0;
        while (r.Read())
        {
            var b = (byte[])r[0];
            if (total + b.Length > maxBytes) break;
            total += b.Length;
            list.Add(b);
        }
        return list;
    }

    public BlockHeader? HeaderByHeight(ulong height) => Read<BlockHeader?>(
        "SELECT b.header FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height=@h",
        c => Param(c, "@h", unchecked((long)height)), r => BlockHeader.Decode((byte[])r[0]), null);

    public IReadOnlyList<BlockHeader> Headers(ulong fromHeight, int count)
    {
        using var conn = OpenReader();
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT b.header FROM canonical k JOIN blocks b ON b.hash=k.hash WHERE k.height>=@h ORDER BY k.height LIMIT @n";
        Param(c, "@h", unchecked((long)fromHeight));
        Param(c, "@n", (long)count);
        using var r = c.ExecuteReader();
        var list = new List<BlockHeader>();
        while (r.Read()) list.Add(BlockHeader.Decode((byte[])r[0]));
        return list;
    }

    public TxLocation? Transaction(Hash hash) => Read<TxLocation?>(
        "SELECT block_hash, height, idx, success, fee_paid, error, detail FROM transactions WHERE hash=@h",
        c => Param(c, "@h", hash.ToArray()),
        r =>
        {
            var height = unchecked((ulong)r.GetInt64(1));
            var idx = (int)r.GetInt64(2);
            return new TxLocation(new Hash((byte[])r[0]), height, idx,
                new Receipt(hash, height, idx, r.GetInt64(3) == 1, unchecked((ulong)r.GetInt64(4)), r.IsDBNull(5) ? null : r.GetString(5),
                    r.IsDBNull(6) ? null : ContractReceipt.Decode((byte[])r[6])));
        }, null);

    public virtual void Dispose() => Writer?.Dispose();
}
