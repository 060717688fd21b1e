using System.Data;
using System.Data.Common;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;

namespace Chainlab.Node.Storage;

/// <summary>File blocks, file records and anchors: the same statements on every SQL backend.</summary>
public abstract partial class SqlChainStore
{
    /// <summary>A read-write connection to the file tables: file writers run beside the chain's single writer.</summary>
    protected abstract DbConnection OpenFileWriter();

    /// <summary>A connection for reading the file tables (the chain's own readers, unless the backend keeps files apart).</summary>
    protected virtual DbConnection OpenFileReader() => OpenReader();

    private T ReadFiles<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> map, T none) => Read(sql, bind, map, none, OpenFileReader);

    /// <summary>The anchors of a block's successful file anchor transactions, in block order.</summary>
    private void InsertAnchors(DbTransaction tx, Block block, IReadOnlyList<Receipt> receipts)
    {
        var anchors = Anchors(block, receipts).ToList();
        if (anchors.Count == 0) return;
        using var c = Writer.CreateCommand();
        c.Transaction = tx;
        c.CommandText = "INSERT INTO file_anchors(height,tx_idx,seq,cid,size,name,media_type,anchored_by,tx_hash) VALUES(@h,@i,@s,@c,@z,@n,@m,@a,@t)";
        Param(c, "@h", unchecked((long)block.Height));
        var (pi, ps, pc, pz, pn, pm, pa, pt) = (Param(c, "@i"), Param(c, "@s"), Param(c, "@c"), Param(c, "@z"), Param(c, "@n"), Param(c, "@m"), Param(c, "@a"), Param(c, "@t"));
        foreach (var (i, seq, tr, f) in anchors)
        {
            pi.Value = i; ps.Value = seq; pc.Value = f.Cid.ToBytes(); pz.Value = unchecked((long)f.Size);
            pn.Value = f.Name; pm.Value = f.MediaType; pa.Value = tr.Sender.ToArray(); pt.Value = tr.Hash.ToArray();
            c.ExecuteNonQuery();
        }
    }

    /// <summary>Every file ref a block's successful file anchor transactions carry: transaction index, position, transaction, ref.</summary>
    internal static IEnumerable<(int TxIndex, int Seq, Transaction Tx, FileRef Ref)> Anchors(Block block, IReadOnlyList<Receipt> receipts)
    {
        for (var i = 0; i < block.Transactions.Count; i++)
        {
            var t = block.Transactions[i];
            if (t.Kind != TxKind.FileAnchor || !receipts[i].Success) continue;
            var refs = FileRef.DecodePayload(t.Payload);
            for (var j = 0; j < refs.Count; j++) yield return (i, j, t, refs[j]);
        }
    }

    public byte[]? FileBlock(Cid cid) => ReadFiles<byte[]?>("SELECT data FROM file_blocks WHERE cid=@c", c => Param(c, "@c", cid.ToBytes()), r => (byte[])r[0], null);

    public bool HasFileBlock(Cid cid) => ReadFiles("SELECT 1 FROM file_blocks WHERE cid=@c", c => Param(c, "@c", cid.ToBytes()), _ => true, false);

    public IFileWriter WriteFile(long nowMs) => new SqlFileWriter(this, nowMs);

    private static StoredFile ReadFile(DbDataReader r) => new(Cid.FromBytes((byte[])r[0]), unchecked((ulong)r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5));

    private const string FileColumns = "cid,size,name,media_type,added_ms,expires_ms";

    public StoredFile? StoredFile(Cid root) => ReadFiles<StoredFile?>($"SELECT {FileColumns} FROM files WHERE cid=@c", c => Param(c, "@c", root.ToBytes()), ReadFile, null);

    public IReadOnlyList<StoredFile> StoredFiles(int limit, int offset) => ReadList(
        $"SELECT {FileColumns} FROM files ORDER BY added_ms DESC, cid LIMIT @n OFFSET @o",
        c => { Param(c, "@n", (long)limit); Param(c, "@o", (long)offset); }, ReadFile, OpenFileReader);

    public long FileBlockBytes() => ReadFiles("SELECT COALESCE(SUM(size),0) FROM file_blocks", _ => { }, r => Convert.ToInt64(r[0]), 0L);

    public long FileBytes(Cid root) => ReadFiles("SELECT COALESCE(SUM(b.size),0) FROM file_refs r JOIN file_blocks b ON b.cid = r.block WHERE r.root=@c",
        c => Param(c, "@c", root.ToBytes()), r => Convert.ToInt64(r[0]), 0L);

    public (int Files, int Blocks) CollectFiles(long nowMs, long orphanBeforeMs, IReadOnlySet<Cid>? pinned = null)
    {
        // Anchors live with the chain, files may live apart (SQLite keeps them in a database of their own):
        // the anchored CIDs are read first, then the due files that none of them names are removed.
        var anchored = pinned ?? ReadList("SELECT DISTINCT cid FROM file_anchors", _ => { }, r => Cid.FromBytes((byte[])r[0])).ToHashSet();
        using var conn = OpenFileWriter();
        using var tx = conn.BeginTransaction();
        var due = new List<byte[]>();
        using (var c = conn.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "SELECT cid FROM files WHERE expires_ms IS NOT NULL AND expires_ms < @v";
            Param(c, "@v", nowMs);
            using var r = c.ExecuteReader();
            while (r.Read()) if (!anchored.Contains(Cid.FromBytes((byte[])r[0]))) due.Add((byte[])r[0]);
        }
        using (var c = conn.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "DELETE FROM files WHERE cid=@c; DELETE FROM file_refs WHERE root=@c";
            var pc = Param(c, "@c");
            foreach (var cid in due) { pc.Value = cid; c.ExecuteNonQuery(); }
        }
        int blocks;
        using (var c = conn.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "DELETE FROM file_blocks WHERE added_ms < @v AND cid NOT IN (SELECT block FROM file_refs)";
            Param(c, "@v", orphanBeforeMs);
            blocks = c.ExecuteNonQuery();
        }
        tx.Commit();
        return (due.Count, blocks);
    }

    private static FileAnchor ReadAnchor(DbDataReader r) => new(unchecked((ulong)r.GetInt64(0)), new Hash((byte[])r[1]), new Address((byte[])r[2]),
        new FileRef(Cid.FromBytes((byte[])r[3]), unchecked((ulong)r.GetInt64(4)), r.GetString(5), r.GetString(6)));

    private const string AnchorColumns = "height,tx_hash,anchored_by,cid,size,name,media_type";

    public IReadOnlyList<FileAnchor> FileAnchors(Address? anchoredBy, int limit, int offset) => ReadList(
        $"SELECT {AnchorColumns} FROM file_anchors {(anchoredBy is null ? "" : "WHERE anchored_by=@a")} ORDER BY height, tx_idx, seq LIMIT @n OFFSET @o",
        c => { if (anchoredBy is { } a) Param(c, "@a", a.ToArray()); Param(c, "@n", (long)limit); Param(c, "@o", (long)offset); }, ReadAnchor);

    public IReadOnlyList<FileAnchor> AnchorsOf(Cid cid) => ReadList(
        $"SELECT {AnchorColumns} FROM file_anchors WHERE cid=@c ORDER BY height, tx_idx, seq", c => Param(c, "@c", cid.ToBytes()), ReadAnchor);

    /// <summary>Writes blocks in transactions of about 4 MiB on a connection of its own.</summary>
    private sealed class SqlFileWriter : IFileWriter
    {
        private const long BatchBytes = 4 * 1024 * 1024;
        private readonly SqlChainStore _store;
        private readonly DbConnection _conn;
        private DbTransaction? _tx;
        private DbCommand? _insert;
        private long _pending;
        private readonly HashSet<Cid> _written = new();
        private readonly HashSet<Cid> _referenced = new();
        private bool _completed;

        private readonly long _nowMs;

        public SqlFileWriter(SqlChainStore store, long nowMs)
        {
            _store = store;
            _nowMs = nowMs;
            _conn = store.OpenFileWriter();
        }

        public bool Put(Cid cid, byte[] block)
        {
            if (!_written.Add(cid)) return false;
            if (_tx is null)
            {
                _tx = _conn.BeginTransaction();
                _insert = _conn.CreateCommand();
                _insert.Transaction = _tx;
                _insert.CommandText = "INSERT INTO file_blocks(cid,data,size,added_ms) VALUES(@c,@d,@z,@t) ON CONFLICT(cid) DO NOTHING";
                Param(_insert, "@c"); Param(_insert, "@d").DbType = DbType.Binary; Param(_insert, "@z"); Param(_insert, "@t");
            }
            _insert!.Parameters[0].Value = cid.ToBytes();
            _insert.Parameters[1].Value = block;
            _insert.Parameters[2].Value = (long)block.Length;
            _insert.Parameters[3].Value = _nowMs;
            var inserted = 0;
            _store.Guard("storing a file block", () => inserted = _insert.ExecuteNonQuery());
            _pending += block.Length;
            if (_pending >= BatchBytes) Flush();
            return inserted > 0;
        }

        public void Reference(Cid cid) => _referenced.Add(cid);

        public void Flush()
        {
            if (_tx is null) return;
            _store.Guard("storing file blocks", () => _tx.Commit());
            _insert!.Dispose();
            _tx.Dispose();
            _tx = null;
            _pending = 0;
        }

        public void Complete(StoredFile file)
        {
            Flush();
            if (!_written.Contains(file.Cid) && !_referenced.Contains(file.Cid) && !_store.HasFileBlock(file.Cid)) throw new InvalidOperationException($"file {file.Cid} has no root block");
            var used = _referenced.Count == 0 ? _written : _written.Concat(_referenced).ToHashSet();
            _store.Guard("recording a file", () =>
            {
                using var tx = _conn.BeginTransaction();
                using (var check = _conn.CreateCommand())
                {
                    check.Transaction = tx;
                    check.CommandText = "SELECT 1 FROM file_blocks WHERE cid=@c";
                    var pc = Param(check, "@c");
                    // Another writer's clean-up, or the collector, may have taken a block this one found already
                    // stored: say so rather than record a hole.
                    foreach (var cid in used)
                    {
                        pc.Value = cid.ToBytes();
                        if (check.ExecuteScalar() is null) throw new StoreException($"block {cid} went missing while file {file.Cid} was written; add it again");
                    }
                }
                using (var c = _conn.CreateCommand())
                {
                    c.Transaction = tx;
                    c.CommandText = $"""
                        INSERT INTO files({FileColumns}) VALUES(@c,@z,@n,@m,@a,@e)
                        ON CONFLICT(cid) DO UPDATE SET expires_ms = CASE WHEN files.expires_ms IS NULL OR excluded.expires_ms IS NULL THEN NULL ELSE excluded.expires_ms END,
                            name = COALESCE(excluded.name, files.name), media_type = COALESCE(excluded.media_type, files.media_type)
                        """;
                    Param(c, "@c", file.Cid.ToBytes()); Param(c, "@z", unchecked((long)file.Size)); Param(c, "@n", file.Name); Param(c, "@m", file.MediaType);
                    Param(c, "@a", file.AddedMs); Param(c, "@e", file.ExpiresMs);
                    c.ExecuteNonQuery();
                }
                using (var c = _conn.CreateCommand())
                {
                    c.Transaction = tx;
                    c.CommandText = "INSERT INTO file_refs(root,block) VALUES(@r,@b) ON CONFLICT DO NOTHING";
                    Param(c, "@r", file.Cid.ToBytes());
                    var pb = Param(c, "@b");
                    foreach (var cid in used) { pb.Value = cid.ToBytes(); c.ExecuteNonQuery(); }
                }
                tx.Commit();
            });
            _completed = true;
        }

        public void Dispose()
        {
            try
            {
                if (_completed) return;
                Flush();
                // Unfinished: the blocks this writer stored that no file uses go at once.
                using var c = _conn.CreateCommand();
                c.CommandText = "DELETE FROM file_blocks WHERE cid=@c AND NOT EXISTS (SELECT 1 FROM file_refs WHERE block=@c)";
                var pc = Param(c, "@c");
                foreach (var cid in _written) { pc.Value = cid.ToBytes(); c.ExecuteNonQuery(); }
            }
            catch (Exception e) when (e is DbException or StoreException) { } // the collector removes what is left
            finally
            {
                _insert?.Dispose();
                _tx?.Dispose();
                _conn.Dispose();
            }
        }
    }
}
