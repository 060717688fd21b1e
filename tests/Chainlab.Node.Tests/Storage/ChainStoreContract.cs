using Chainlab.Core.Rules;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Storage;
using Chainlab.Node.Storage.Postgres;
using Chainlab.Node.Storage.Sqlite;

namespace Chainlab.Node.Tests.Storage;

/// <summary>One storage contract, run against every backend.</summary>
public abstract class ChainStoreContract
{
    /// <summary>A new, empty store location.</summary>
    protected abstract string NewLocation();
    protected abstract IChainStore Open(string location);

    /// <summary>Writes a schema version into the store's meta table, as a newer binary would.</summary>
    protected abstract void ForceSchemaVersion(string location, int version);

    private readonly KeyPair[] _k = Build.Keys(4, seed: 31);

    private (Block Genesis, WorldState State) Genesis()
    {
        var spec = Build.Spec(_k);
        return (spec.GenesisBlock(), spec.GenesisState());
    }

    private Block NextBlock(BlockHeader parent, params Transaction[] txs)
    {
        var h = new BlockHeader(parent.Height + 1, parent.Hash, parent.TimestampMs + 1000, _k[0].PublicKey,
            Block.ComputeTxRoot(txs), Hash.Sha256(BitConverter.GetBytes(parent.Height)), Block.ComputeFilesRoot([]), (uint)txs.Length, new byte[64]);
        return new Block(h, txs, []);
    }

    private static BlockCommit CommitOf(Block b, Dictionary<Address, Account> changes, Dictionary<Address, Account> undo) =>
        new(b, b.Transactions.Select((t, i) => new Receipt(t.Hash, b.Height, i, true, t.Fee, null)).ToList(), changes, undo, 2 * b.Height);

    [Fact]
    public void A_new_store_takes_genesis_and_returns_it()
    {
        var loc = NewLocation();
        using var s = Open(loc);
        Assert.Null(s.GenesisHash);
        var (g, state) = Genesis();
        s.InitGenesis(g, state);
        Assert.Equal(g.Hash, s.GenesisHash);
        Assert.Equal(g.Hash, s.Head().Hash);
        // Four funded accounts and the authority record, whose data must come back byte for byte.
        var loaded = s.LoadAccounts().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(5, loaded.Count);
        var record = state.Get(Chainlab.Core.State.SystemAccounts.Authorities);
        Assert.NotNull(record.Data);
        Assert.Equal(record.Data, loaded[Chainlab.Core.State.SystemAccounts.Authorities].Data);
        Assert.Equal(g.Encode(), s.RawBlockByHeight(0));
    }

    [Fact]
    public void A_committed_block_is_readable_every_way_and_survives_reopening()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var txs = Enumerable.Range(0, 50).Select(i => Build.Transfer(_k[i % 4], _k[(i + 1) % 4].Address, 1, (ulong)(i / 4))).ToArray();
        var b1 = NextBlock(g.Header, txs);
        var b2 = NextBlock(b1.Header);
        var fresh = KeyPair.FromRandom(new Random(8)).Address;
        using (var s = Open(loc))
        {
            s.InitGenesis(g, state);
            s.Commit(CommitOf(b1, new() { [_k[0].Address] = new Account(5, 13, 0), [fresh] = new Account(7, 0, 0) },
                new() { [_k[0].Address] = new Account(1_000_000, 0, 0), [fresh] = Account.Empty }));
            s.Commit(CommitOf(b2, new() { [fresh] = Account.Empty }, new() { [fresh] = new Account(7, 0, 0) }));
        }
        using (var s = Open(loc))
        {
            Assert.Equal(b2.Hash, s.Head().Hash);
            Assert.Equal(b1.Hash, s.BlockByHeight(1)!.Hash);
            Assert.Equal(b1.Encode(), s.BlockByHash(b1.Hash)!.Encode());
            Assert.Equal(b2.Encode(), s.RawBlockByHeight(2));
            Assert.Null(s.BlockByHeight(3));
            Assert.Equal([0UL, 1UL, 2UL], s.Headers(0, 10).Select(h => h.Height));
            Assert.Equal([1UL], s.Headers(1, 1).Select(h => h.Height));
            Assert.Equal(b1.Header.Hash, s.HeaderByHeight(1)!.Hash);
            var loc7 = s.Transaction(txs[7].Hash)!;
            Assert.Equal((b1.Hash, 1UL, 7), (loc7.BlockHash, loc7.Height, loc7.Index));
            Assert.True(loc7.Receipt.Success);
            Assert.Equal(txs[7].Fee, loc7.Receipt.FeePaid);
            Assert.Null(s.Transaction(Hash.Sha256("nope"u8)));
            var accounts = s.LoadAccounts().ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal(new Account(5, 13, 0), accounts[_k[0].Address]);
            Assert.False(accounts.ContainsKey(fresh)); // emptied accounts are deleted
        }
    }

    [Fact]
    public void A_reorganisation_replaces_blocks_transactions_and_accounts_in_one_commit()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var onB = Build.Transfer(_k[0], _k[1].Address, 1, 0);
        var onC = Build.Transfer(_k[2], _k[3].Address, 1, 0);
        var b1 = NextBlock(g.Header, onB);
        var c1 = NextBlock(g.Header, onC);
        var c2 = NextBlock(c1.Header);
        using (var s = Open(loc))
        {
            s.InitGenesis(g, state);
            s.Commit(CommitOf(b1, new() { [_k[0].Address] = new Account(10, 1, 0) }, new() { [_k[0].Address] = new Account(1_000_000, 0, 0) }));
            Assert.Equal(new Account(1_000_000, 0, 0), s.Undo(1)[_k[0].Address]);
            s.Commit([new BlockDisconnect(b1, s.Undo(1))],
            [
                CommitOf(c1, new() { [_k[2].Address] = new Account(20, 1, 0) }, new() { [_k[2].Address] = new Account(1_000_000, 0, 0) }),
                CommitOf(c2, new(), new()),
            ]);
        }
        using (var s = Open(loc))
        {
            Assert.Equal(c2.Hash, s.Head().Hash);
            Assert.Equal(c1.Hash, s.HeaderByHeight(1)!.Hash);
            Assert.Null(s.Transaction(onB.Hash));
            Assert.Equal(c1.Hash, s.Transaction(onC.Hash)!.BlockHash);
            var accounts = s.LoadAccounts().ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal(new Account(1_000_000, 0, 0), accounts[_k[0].Address]);
            Assert.Equal(new Account(20, 1, 0), accounts[_k[2].Address]);
            Assert.Equal(new Account(1_000_000, 0, 0), s.Undo(1)[_k[2].Address]);
            Assert.Equal(4UL, s.TotalWeight(c2.Hash));
            Assert.Equal(2UL, s.TotalWeight(b1.Hash)); // the abandoned block stays stored, off the chain
        }
    }

    [Fact]
    public void Contract_receipts_storage_entries_and_events_are_kept_and_undone_by_a_reorganisation()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var contract = Chainlab.Contracts.ContractState.ContractAddress(_k[0].Address, 0);
        var call = ContractTx.Invoke(_k[0], 0, contract, "put");
        var b1 = NextBlock(g.Header, call);
        var c1 = NextBlock(g.Header);
        var c2 = NextBlock(c1.Header);
        var slot = Chainlab.Contracts.ContractState.SlotAddress(contract, "k"u8);
        var scratch = new StateOverlay(StateSnapshot.Empty);
        Chainlab.Contracts.ContractState.Set(scratch, contract, "k"u8, Chainlab.Contracts.ContractValue.Of(7).Encode());
        var entry = scratch.Get(slot);
        var events = new List<ContractEvent> { new(contract, "Put", Chainlab.Contracts.ContractValue.Of("k").Encode()), new(contract, "Again", [0]) };
        var receipt = new Receipt(call.Hash, 1, 0, false, 1234, "contract:3: no",
            new ContractReceipt(1234, Chainlab.Contracts.ContractValue.Of(5).Encode(), events, contract));
        using (var s = Open(loc))
        {
            s.InitGenesis(g, state);
            s.Commit([], [new BlockCommit(b1, [receipt], new Dictionary<Address, Account> { [slot] = entry }, new Dictionary<Address, Account> { [slot] = Account.Empty }, 2)]);
        }
        using (var s = Open(loc))
        {
            var stored = s.Transaction(call.Hash)!.Receipt;
            Assert.False(stored.Success);
            Assert.Equal("contract:3: no", stored.Error);
            Assert.Equal(1234UL, stored.Contract!.GasUsed);
            Assert.Equal(contract, stored.Contract.Created);
            Assert.Equal(receipt.Contract!.Encode(), stored.Contract.Encode());
            var listed = s.ContractEvents(contract, 0, 10);
            Assert.Equal(["Put", "Again"], listed.Select(e => e.Name));
            Assert.All(listed, e => Assert.Equal(1UL, e.Height));
            Assert.Empty(s.ContractEvents(contract, 2, 10));
            Assert.Equal(["Again"], s.ContractEvents(contract, 1, 10, offset: 1).Select(e => e.Name));
            Assert.Equal(["Put"], s.ContractEvents(contract, 0, 1).Select(e => e.Name));
            Assert.Empty(s.ContractEvents(_k[1].Address, 0, 10));
            Assert.Equal(entry, s.LoadAccounts().Single(kv => kv.Key == slot).Value);
            s.Commit([new BlockDisconnect(b1, s.Undo(1))], [CommitOf(c1, new(), new()), CommitOf(c2, new(), new())]);
        }
        using (var s = Open(loc))
        {
            Assert.Empty(s.ContractEvents(contract, 0, 10));
            Assert.DoesNotContain(s.LoadAccounts(), kv => kv.Key == slot);
            Assert.Null(s.Transaction(call.Hash));
        }
    }

    private static (Cid Root, List<(Cid Cid, byte[] Block)> Blocks) FileBlocks(int seed, int count = 3)
    {
        var blocks = Enumerable.Range(0, count).Select(i =>
        {
            var b = new byte[1000 + i]; new Random(seed * 100 + i).NextBytes(b);
            return (Cid.Of(1, Cid.Raw, b), b);
        }).ToList();
        var root = new PbNode(blocks.Select(b => new PbLink(b.Item1, "", (ulong)b.b.Length)).ToList(), new UnixFsData(UnixFsType.File, null, (ulong)blocks.Sum(b => b.b.Length), blocks.Select(b => (ulong)b.b.Length).ToList()).Encode()).Encode();
        var rootCid = Cid.Of(1, Cid.DagPb, root);
        blocks.Add((rootCid, root));
        return (rootCid, blocks);
    }

    private static void Write(IFileStore s, (Cid Root, List<(Cid Cid, byte[] Block)> Blocks) file, long? expires, long added = 1000, bool complete = true)
    {
        using var w = s.WriteFile(added);
        foreach (var (c, b) in file.Blocks) w.Put(c, b);
        if (complete) w.Complete(new StoredFile(file.Root, 3003, "f.bin", "application/octet-stream", added, expires));
    }

    [Fact]
    public void File_blocks_and_records_are_kept_across_reopening_and_an_unfinished_file_leaves_nothing()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var a = FileBlocks(1);
        var b = FileBlocks(2);
        using (var s = Open(loc))
        {
            s.InitGenesis(g, state);
            Write(s, a, expires: null);
            Write(s, b, expires: null, complete: false); // the upload stopped half-way
            Assert.Null(s.StoredFile(b.Root));
            Assert.All(b.Blocks, x => Assert.False(s.HasFileBlock(x.Cid)));
        }
        using (var s = Open(loc))
        {
            Assert.All(a.Blocks, x => Assert.Equal(x.Block, s.FileBlock(x.Cid)));
            var f = s.StoredFile(a.Root)!;
            Assert.Equal((3003UL, "f.bin", "application/octet-stream", 1000L, (long?)null), (f.Size, f.Name, f.MediaType, f.AddedMs, f.ExpiresMs));
            Assert.Equal([a.Root], s.StoredFiles(10, 0).Select(x => x.Cid));
            Assert.Empty(s.StoredFiles(10, 1));
            Assert.Equal(a.Blocks.Sum(x => (long)x.Block.Length), s.FileBlockBytes());
            Assert.Null(s.FileBlock(b.Root));

            // An unfinished writer that shares a block with a kept file leaves that block alone.
            var sharing = (Root: b.Root, Blocks: new List<(Cid, byte[])> { a.Blocks[0], b.Blocks[0] });
            Write(s, sharing, expires: null, complete: false);
            Assert.True(s.HasFileBlock(a.Blocks[0].Cid));
            Assert.False(s.HasFileBlock(b.Blocks[0].Cid));
        }
    }

    [Fact]
    public void A_writer_that_has_flushed_lets_another_write_and_what_it_flushed_still_goes_if_it_never_completes()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var waiting = FileBlocks(9);
        var other = FileBlocks(10);
        using var s = Open(loc);
        s.InitGenesis(g, state);
        using (var w = s.WriteFile(1000))
        {
            foreach (var (c, b) in waiting.Blocks.Take(2)) w.Put(c, b);
            w.Flush(); // as an upload does before it waits for room in the quota
            Assert.All(waiting.Blocks.Take(2), x => Assert.True(s.HasFileBlock(x.Cid)));
            Write(s, other, expires: null); // another writer, meanwhile, writes and records its file
            w.Put(waiting.Blocks[2].Cid, waiting.Blocks[2].Block);
        } // never completed
        Assert.All(waiting.Blocks, x => Assert.False(s.HasFileBlock(x.Cid)));
        Assert.All(other.Blocks, x => Assert.Equal(x.Block, s.FileBlock(x.Cid)));
    }

    [Fact]
    public void A_block_a_file_references_rather_than_puts_outlives_the_file_that_brought_it()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var first = FileBlocks(7);
        var second = FileBlocks(8);
        using var s = Open(loc);
        s.InitGenesis(g, state);
        Write(s, first, expires: 5_000);
        // The second file found the first's leaves already stored: it puts only its own blocks and references those.
        using (var w = s.WriteFile(1000))
        {
            foreach (var (c, b) in second.Blocks) w.Put(c, b);
            foreach (var (c, _) in first.Blocks.Take(3)) w.Reference(c);
            w.Complete(new StoredFile(second.Root, 3003, "s.bin", null, 1000, null));
        }
        Assert.Equal((1, 1), s.CollectFiles(nowMs: 6_000, orphanBeforeMs: 2_000)); // the first file and its root go
        Assert.Null(s.StoredFile(first.Root));
        Assert.False(s.HasFileBlock(first.Root));
        Assert.All(first.Blocks.Take(3), x => Assert.Equal(x.Block, s.FileBlock(x.Cid)));
        Assert.All(second.Blocks, x => Assert.True(s.HasFileBlock(x.Cid)));

        // A referenced block that is gone by the time the file is recorded is an error, not a hole.
        using var gone = s.WriteFile(1000);
        gone.Reference(first.Root);
        Assert.ThrowsAny<StoreException>(() => gone.Complete(new StoredFile(second.Root, 3003, null, null, 1000, 1)));
        Assert.Null(s.StoredFile(second.Root)!.ExpiresMs); // the record was left as it was
    }

    [Fact]
    public void Collection_removes_expired_files_and_orphan_blocks_but_keeps_what_a_kept_or_anchored_file_uses()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var kept = FileBlocks(3);
        var expiring = FileBlocks(4);
        var anchored = FileBlocks(5);
        using var s = Open(loc);
        s.InitGenesis(g, state);
        Write(s, kept, expires: null);
        Write(s, expiring, expires: 5_000);
        Write(s, anchored, expires: 5_000);
        var sharedExpiring = (Root: FileBlocks(6).Root, Blocks: new List<(Cid, byte[])> { kept.Blocks[0], FileBlocks(6).Blocks[3] });
        Write(s, sharedExpiring, expires: 5_000);
        // Re-adding a file refreshes its expiry, and a kept file stays kept.
        Write(s, kept, expires: 9_000);
        Assert.Null(s.StoredFile(kept.Root)!.ExpiresMs);

        var anchor = FileTx.Anchor(_k[1], 0, 5, refs: new FileRef(anchored.Root, 3003, "a.bin", "application/octet-stream"));
        var b1 = NextBlock(g.Header, anchor);
        s.Commit(CommitOf(b1, new(), new()));
        var listed = s.FileAnchors(_k[1].Address, 10, 0).Single();
        Assert.Equal((1UL, anchor.Hash, _k[1].Address, anchored.Root, "a.bin"), (listed.Height, listed.TxHash, listed.AnchoredBy, listed.Ref.Cid, listed.Ref.Name));
        Assert.Empty(s.FileAnchors(_k[2].Address, 10, 0));
        Assert.Single(s.FileAnchors(null, 10, 0));
        Assert.Single(s.AnchorsOf(anchored.Root));

        Assert.Equal((0, 0), s.CollectFiles(nowMs: 4_000, orphanBeforeMs: 0)); // nothing due yet
        Assert.Equal(anchored.Blocks.Sum(x => (long)x.Block.Length), s.FileBytes(anchored.Root));
        Assert.Equal(0, s.FileBytes(FileBlocks(99).Root));
        // A pinned set given by the caller replaces the anchors: the anchored file, not in it, would go.
        Assert.Equal((0, 0), s.CollectFiles(nowMs: 4_000, orphanBeforeMs: 0, pinned: new HashSet<Cid>()));
        var (files, blocks) = s.CollectFiles(nowMs: 6_000, orphanBeforeMs: long.MaxValue);
        Assert.Equal((2, 4 + 1), (files, blocks)); // "expiring" (4 blocks) and the shared one's own block
        Assert.Null(s.StoredFile(expiring.Root));
        Assert.All(expiring.Blocks, x => Assert.False(s.HasFileBlock(x.Cid)));
        Assert.True(s.HasFileBlock(kept.Blocks[0].Cid));
        Assert.NotNull(s.StoredFile(anchored.Root));
        Assert.All(anchored.Blocks, x => Assert.True(s.HasFileBlock(x.Cid)));

        // The anchor goes with its block in a reorganisation; then the file's time is up too.
        var c1 = NextBlock(g.Header);
        var c2 = NextBlock(c1.Header);
        s.Commit([new BlockDisconnect(b1, s.Undo(1))], [CommitOf(c1, new(), new()), CommitOf(c2, new(), new())]);
        Assert.Empty(s.FileAnchors(null, 10, 0));
        Assert.Equal((1, 4), s.CollectFiles(nowMs: 6_000, orphanBeforeMs: long.MaxValue));
        Assert.NotNull(s.StoredFile(kept.Root));
    }

    [Fact]
    public void A_transaction_is_stored_once_on_the_chain_and_moves_with_a_reorganisation()
    {
        var (g, state) = Genesis();
        var tx = Build.Transfer(_k[0], _k[1].Address, 1, 0);
        var other = Build.Transfer(_k[2], _k[3].Address, 1, 0);
        var b1 = NextBlock(g.Header, tx);
        var c1 = NextBlock(g.Header, other);
        var c2 = NextBlock(c1.Header, tx);
        using var s = Open(NewLocation());
        s.InitGenesis(g, state);
        s.Commit(CommitOf(b1, new(), new()));
        // Twice in one block, or once more in a block on top of the one holding it: refused, nothing changes.
        Assert.Throws<StoreException>(() => s.Commit(CommitOf(NextBlock(g.Header, other, other), new(), new())));
        Assert.Throws<StoreException>(() => s.Commit(CommitOf(NextBlock(b1.Header, tx), new(), new())));
        // Twice in the blocks of one commit: refused too.
        Assert.Throws<StoreException>(() => s.Commit([new BlockDisconnect(b1, s.Undo(1))], [CommitOf(c1, new(), new()), CommitOf(NextBlock(c1.Header, other), new(), new())]));
        Assert.Equal(b1.Hash, s.Head().Hash);
        Assert.Equal(b1.Hash, s.Transaction(tx.Hash)!.BlockHash);
        Assert.Null(s.Transaction(other.Hash));
        // A reorganisation that takes the holding block away may put the transaction back in a block of its own.
        s.Commit([new BlockDisconnect(b1, s.Undo(1))], [CommitOf(c1, new(), new()), CommitOf(c2, new(), new())]);
        var at = s.Transaction(tx.Hash)!;
        Assert.Equal((c2.Hash, 2UL, 0), (at.BlockHash, at.Height, at.Index));
        Assert.Equal(tx.Hash, at.Receipt.TxHash);
        Assert.Equal(c1.Hash, s.Transaction(other.Hash)!.BlockHash);
        // And back: the first branch again (heavier by a block), the transaction where it was first.
        var b2 = NextBlock(b1.Header);
        var b3 = NextBlock(b2.Header);
        s.Commit([new BlockDisconnect(c2, s.Undo(2)), new BlockDisconnect(c1, s.Undo(1))], [CommitOf(b1, new(), new()), CommitOf(b2, new(), new()), CommitOf(b3, new(), new())]);
        Assert.Equal(b1.Hash, s.Transaction(tx.Hash)!.BlockHash);
        Assert.Null(s.Transaction(other.Hash));
    }

    [Fact]
    public void A_block_that_fails_midway_leaves_no_trace()
    {
        var loc = NewLocation();
        var (g, state) = Genesis();
        var tx = Build.Transfer(_k[0], _k[1].Address, 1, 0);
        var b1 = NextBlock(g.Header, tx);
        using var s = Open(loc);
        s.InitGenesis(g, state);
        s.Commit(CommitOf(b1, new() { [_k[0].Address] = new Account(1, 1, 0) }, new()));
        // The same transaction again violates the transactions primary key after the block row went in.
        var bad = NextBlock(b1.Header, tx);
        Assert.Throws<StoreException>(() => s.Commit(CommitOf(bad, new() { [_k[0].Address] = new Account(999, 9, 0) }, new())));
        Assert.Equal(b1.Hash, s.Head().Hash);
        Assert.Null(s.BlockByHash(bad.Hash));
        Assert.Null(s.BlockByHeight(2));
        Assert.Equal(new Account(1, 1, 0), s.LoadAccounts().Single(kv => kv.Key == _k[0].Address).Value);
        // And the store still works.
        var b2 = NextBlock(b1.Header);
        s.Commit(CommitOf(b2, new(), new()));
        Assert.Equal(b2.Hash, s.Head().Hash);
    }

    [Fact]
    public void A_newer_schema_is_refused_with_a_clear_message()
    {
        var loc = NewLocation();
        using (var s = Open(loc)) s.InitGenesis(Genesis().Genesis, Genesis().State);
        ForceSchemaVersion(loc, 99);
        var e = Assert.Throws<StoreException>(() => Open(loc));
        Assert.Contains("newer than this binary", e.Message);
    }

    [Fact]
    public void A_second_writer_on_the_same_store_is_refused()
    {
        var loc = NewLocation();
        using var s = Open(loc);
        var e = Assert.Throws<StoreException>(() => Open(loc));
        Assert.Contains("locked", e.Message);
    }
}

public sealed class SqliteChainStoreTests : ChainStoreContract, IDisposable
{
    private readonly List<string> _dirs = new();

    protected override string NewLocation()
    {
        var d = TestNode.NewDir();
        _dirs.Add(d);
        return Path.Combine(d, "chain.db");
    }

    protected override IChainStore Open(string location) => new SqliteChainStore(location);

    protected override void ForceSchemaVersion(string location, int version)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE meta SET value=$v WHERE key='schema_version'";
        cmd.Parameters.AddWithValue("$v", BitConverter.GetBytes(version));
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var d in _dirs) TempDir.Delete(d);
    }
}

[Trait("Category", Categories.Process)]
[Collection("postgres")]
public sealed class PostgresChainStoreTests(PostgresCluster pg) : ChainStoreContract
{
    protected override string NewLocation() => pg.FreshSchema();
    protected override IChainStore Open(string location) => new PostgresChainStore(location);

    protected override void ForceSchemaVersion(string location, int version)
    {
        using var c = new Npgsql.NpgsqlConnection(location);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE meta SET value=@v WHERE key='schema_version'";
        cmd.Parameters.AddWithValue("v", BitConverter.GetBytes(version));
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void Unreachable_server_and_refused_credentials_are_one_clear_line()
    {
        var refused = Assert.Throws<StoreException>(() => new PostgresChainStore(pg.ConnectionString("x1", password: "wrong")));
        Assert.Contains("refused the credentials", refused.Message);
        var port = Chainlab.Cli.Processes.LoopbackPort.Free();
        var down = Assert.Throws<StoreException>(() => new PostgresChainStore($"Host=127.0.0.1;Port={port};Username=u;Password=p;Database=postgres;Timeout=3"));
        Assert.Contains("unreachable", down.Message);
        Assert.DoesNotContain('\n', down.Message);
    }
}

public sealed class MemoryChainStoreTests : ChainStoreContract
{
    // The memory store's "locations": data that outlives each store opened on it, as a database file does.
    private readonly Dictionary<string, Chainlab.Node.Storage.Memory.MemoryChainData> _data = new();

    protected override string NewLocation()
    {
        var name = $"mem{_data.Count}";
        _data[name] = new Chainlab.Node.Storage.Memory.MemoryChainData();
        return name;
    }

    protected override IChainStore Open(string location) => new Chainlab.Node.Storage.Memory.MemoryChainStore(_data[location]);

    protected override void ForceSchemaVersion(string location, int version) => _data[location].SchemaVersion = version;
}

/// <summary>The contract again, with every location's blocks kept once in one <see cref="Chainlab.Node.Storage.Memory.SharedBlocks"/> (the simulator's stores).</summary>
public sealed class SharedMemoryChainStoreTests : ChainStoreContract
{
    private readonly Chainlab.Node.Storage.Memory.SharedBlocks _shared = new();
    private readonly Dictionary<string, Chainlab.Node.Storage.Memory.MemoryChainData> _data = new();

    protected override string NewLocation()
    {
        var name = $"shared{_data.Count}";
        _data[name] = new Chainlab.Node.Storage.Memory.MemoryChainData { Shared = _shared };
        return name;
    }

    protected override IChainStore Open(string location) => new Chainlab.Node.Storage.Memory.MemoryChainStore(_data[location]);

    protected override void ForceSchemaVersion(string location, int version) => _data[location].SchemaVersion = version;

    [Fact]
    public void Two_stores_that_commit_one_block_hold_one_copy_of_it_and_its_bytes()
    {
        var keys = Build.Keys(2, seed: 5);
        var spec = Build.Spec(keys);
        var g = spec.GenesisBlock();
        var txs = Enumerable.Range(0, 20).Select(i => Build.Transfer(keys[0], keys[1].Address, 1, (ulong)i)).ToArray();
        var h = new BlockHeader(1, g.Hash, g.Header.TimestampMs + 1000, keys[0].PublicKey, Block.ComputeTxRoot(txs), Hash.Sha256([1]), Block.ComputeFilesRoot([]), (uint)txs.Length, new byte[64]);
        var commit = (Block b) => new BlockCommit(b, b.Transactions.Select((t, i) => new Receipt(t.Hash, 1, i, true, t.Fee, null)).ToList(), new Dictionary<Address, Account>(), new Dictionary<Address, Account>(), 2);
        using var a = Open(NewLocation());
        using var b = Open(NewLocation());
        a.InitGenesis(g, spec.GenesisState());
        b.InitGenesis(g, spec.GenesisState());
        // Each node decoded its own copy from the wire.
        a.Commit(commit(new Block(h, txs, [])));
        b.Commit(commit(Block.Decode(new Block(h, txs, []).Encode())));
        Assert.Same(a.BlockByHeight(1), b.BlockByHeight(1));
        Assert.Same(a.RawBlockByHeight(1), b.RawBlockByHeight(1));
        Assert.Same(a.Transaction(txs[3].Hash)!.Receipt, b.Transaction(txs[3].Hash)!.Receipt);
        Assert.Equal(2, _shared.Count);
        // A node whose execution gave another outcome keeps its own receipts (and the others keep theirs).
        using var odd = Open(NewLocation());
        odd.InitGenesis(g, spec.GenesisState());
        var failed = commit(new Block(h, txs, [])) with { Receipts = txs.Select((t, i) => new Receipt(t.Hash, 1, i, false, t.Fee, "odd")).ToList() };
        odd.Commit(failed);
        Assert.Equal("odd", odd.Transaction(txs[3].Hash)!.Receipt.Error);
        Assert.Null(a.Transaction(txs[3].Hash)!.Receipt.Error);
        Assert.Same(a.BlockByHeight(1), odd.BlockByHeight(1));
    }

    [Fact]
    public void Decoding_bytes_a_store_holds_hands_back_its_copy_and_any_other_bytes_are_decoded_and_refused_as_usual()
    {
        var keys = Build.Keys(2, seed: 6);
        var spec = Build.Spec(keys);
        var g = spec.GenesisBlock();
        var txs = Enumerable.Range(0, 5).Select(i => Build.Transfer(keys[0], keys[1].Address, 1, (ulong)i)).ToArray();
        var h = new BlockHeader(1, g.Hash, g.Header.TimestampMs + 1000, keys[0].PublicKey, Block.ComputeTxRoot(txs), Hash.Sha256([1]), Block.ComputeFilesRoot([]), (uint)txs.Length, new byte[64]);
        var raw = new Block(h, txs, []).Encode();
        // Nothing stored yet: decoded as Block.Decode does, a new copy each time.
        Assert.NotSame(_shared.Decode(raw), _shared.Decode(raw));
        using var a = Open(NewLocation());
        a.InitGenesis(g, spec.GenesisState());
        a.Commit(new BlockCommit(Block.Decode(raw), txs.Select((t, i) => new Receipt(t.Hash, 1, i, true, t.Fee, null)).ToList(), new Dictionary<Address, Account>(), new Dictionary<Address, Account>(), 2));
        var held = a.BlockByHeight(1);
        Assert.Same(held, _shared.Decode((byte[])raw.Clone()));
        var reused = _shared.Reused;
        // The same header with one byte of a transaction changed: not the held block (its bytes differ), decoded anew.
        var other = (byte[])raw.Clone();
        other[^10] ^= 1;
        var decoded = _shared.Decode(other);
        Assert.NotSame(held, decoded);
        Assert.Equal(held!.Hash, decoded.Hash);
        Assert.Equal(reused, _shared.Reused);
        // Bytes that are no block are refused as Block.Decode refuses them.
        Assert.Throws<Chainlab.Core.Encoding.DecodeException>(() => _shared.Decode(raw[..^3]));
        Assert.Throws<Chainlab.Core.Encoding.DecodeException>(() => _shared.Decode([1, 2]));
        // The bytes a received Blocks message keeps: the held array for the same bytes, a copy of any others.
        Assert.Same(a.RawBlockByHeight(1), _shared.Bytes((byte[])raw.Clone()));
        var kept = _shared.Bytes(other);
        Assert.NotSame(other, kept);
        Assert.Equal(other, kept);
        Assert.Equal([1, 2], _shared.Bytes([1, 2]));
        var frame = Chainlab.Node.Network.Protocol.MessageCodec.Encode(new Chainlab.Node.Network.Protocol.Blocks([raw, other]));
        var message = (Chainlab.Node.Network.Protocol.Blocks)Chainlab.Node.Network.Protocol.MessageCodec.DecodeBody(
            Chainlab.Node.Network.Protocol.MessageType.Blocks, frame.AsSpan(Chainlab.Node.Network.Protocol.WireLimits.FrameHeaderBytes), _shared.Bytes);
        Assert.Same(a.RawBlockByHeight(1), message.Raw[0]);
        Assert.Equal(other, message.Raw[1]);
    }
}
