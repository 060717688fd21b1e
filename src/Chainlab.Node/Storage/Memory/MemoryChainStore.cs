using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage.Memory;

/// <summary>
/// The chain store kept in process memory: the same contract as the SQL backends (one atomic commit per
/// block or reorganisation, undo data, branch weights, a single writer), for in-process networks, the
/// simulator and fast tests. Its data lives in a <see cref="MemoryChainData"/>, which outlives the store
/// object so that a node can be "restarted" on the same data.
/// </summary>
public sealed partial class MemoryChainStore : IChainStore, IFileStore
{
    /// <summary>The schema this binary writes; the memory store has the same version as the SQL ones.</summary>
    public const int CurrentSchema = 5;

    private readonly MemoryChainData _d;
    private bool _disposed;

    /// <summary>A store on fresh, empty data.</summary>
    public MemoryChainStore() : this(new MemoryChainData()) { }

    /// <summary>A store on fresh data that keeps blocks once with the other stores sharing them (the simulator).</summary>
    public MemoryChainStore(SharedBlocks shared) : this(new MemoryChainData { Shared = shared }) { }

    /// <summary>Opens existing data; refuses data that another open store holds or a newer schema wrote.</summary>
    public MemoryChainStore(MemoryChainData data)
    {
        lock (data.Gate)
        {
            if (data.SchemaVersion > CurrentSchema)
                throw new StoreException($"database schema version {data.SchemaVersion} is newer than this binary supports ({CurrentSchema}): upgrade chainlab");
            if (data.Open) throw new StoreException("memory store is locked: another node has it open");
            data.Open = true;
            data.SchemaVersion = CurrentSchema;
        }
        _d = data;
    }

    public string Describe => "memory";

    public Hash? GenesisHash { get { lock (_d.Gate) return _d.Genesis; } }

    public void InitGenesis(Block genesis, WorldState state)
    {
        lock (_d.Gate)
        {
            if (_d.Genesis is not null) throw new StoreException("store already holds a chain");
            _d.Blocks[genesis.Hash] = _d.Store(genesis, 0);
            _d.Canonical.Add(genesis.Hash);
            _d.Receipts.Add([]);
            foreach (var (addr, acc) in state.All) _d.Accounts[addr] = acc;
            _d.Genesis = genesis.Hash;
        }
    }

    public void Commit(IReadOnlyList<BlockDisconnect> disconnect, IReadOnlyList<BlockCommit> connect)
    {
        if (connect.Count == 0) throw new ArgumentException("a commit must end on a new head block", nameof(connect));
        lock (_d.Gate)
        {
            // Check everything first, so that a refused commit changes nothing (as a rolled-back transaction). The
            // index describes blocks, not this chain: describing an arriving block that is then refused stores nothing.
            var leaving = disconnect.Select(d => d.Block.Hash).ToHashSet();
            var arriving = connect.Select(c => c.Block.Hash).ToHashSet();
            foreach (var c in connect)
            {
                var b = c.Block;
                if (c.Receipts.Count != b.Transactions.Count)
                    throw new StoreException($"storing block {b.Height}: {c.Receipts.Count} receipts for {b.Transactions.Count} transactions");
                var described = _d.Index.Describe(b);
                if (described.Repeats) throw AlreadyStored(b, b);
                foreach (var other in _d.Index.ConflictsOf(described))
                    if (arriving.Contains(other) || (_d.IsCanonical(other) && !leaving.Contains(other)))
                        throw AlreadyStored(b, _d.Blocks.TryGetValue(other, out var o) ? o.Block : connect.First(x => x.Block.Hash == other).Block);
            }
            var tip = (ulong)_d.Canonical.Count - 1;
            for (var i = 0; i < disconnect.Count; i++)
                if (disconnect[i].Block.Hash != _d.Canonical[(int)(tip - (ulong)i)])
                    throw new StoreException($"block {disconnect[i].Block.Height} to disconnect is not the canonical tip");
            for (var i = 0; i < connect.Count; i++)
                if (connect[i].Block.Height != tip + 1 - (ulong)disconnect.Count + (ulong)i)
                    throw new StoreException($"block {connect[i].Block.Height} does not extend the stored chain");

            foreach (var d in disconnect)
            {
                Put(d.Undo);
                _d.Canonical.RemoveAt(_d.Canonical.Count - 1);
                _d.Receipts.RemoveAt(_d.Receipts.Count - 1);
                if (_d.AnchorHeights.Count > 0 && _d.AnchorHeights[^1] == _d.Canonical.Count) _d.AnchorHeights.RemoveAt(_d.AnchorHeights.Count - 1);
                _d.Undo.Remove(d.Block.Height);
            }
            foreach (var c in connect)
            {
                var b = c.Block;
                if (!_d.Blocks.ContainsKey(b.Hash)) _d.Blocks[b.Hash] = _d.Store(b, c.TotalWeight);
                _d.Canonical.Add(b.Hash);
                _d.Receipts.Add(_d.Keep(b.Hash, c.Receipts));
                if (_d.Index.Describe(b).Anchors) _d.AnchorHeights.Add(_d.Canonical.Count - 1);
                Put(c.Changes);
                _d.Undo[b.Height] = new Dictionary<Address, Account>(c.Undo);
            }
        }
    }

    // A transaction of this block is already on the chain (in the block given, or twice in this one).
    private static StoreException AlreadyStored(Block block, Block holder)
    {
        var seen = new HashSet<Hash>();
        var inHolder = ReferenceEquals(block, holder) ? null : holder.Transactions.Select(t => t.Hash).ToHashSet();
        var tx = block.Transactions.First(t => inHolder?.Contains(t.Hash) ?? !seen.Add(t.Hash));
        return new StoreException($"storing block {block.Height}: transaction {tx.Hash.Short} is already stored");
    }

    private void Put(IReadOnlyDictionary<Address, Account> values)
    {
        foreach (var (addr, acc) in values)
            if (acc.IsEmpty) _d.Accounts.Remove(addr);
            else _d.Accounts[addr] = acc;
    }

    public BlockHeader Head()
    {
        lock (_d.Gate)
            return _d.Canonical.Count == 0 ? throw new StoreException("store has no head block") : _d.Blocks[_d.Canonical[^1]].Block.Header;
    }

    public IEnumerable<KeyValuePair<Address, Account>> LoadAccounts()
    {
        lock (_d.Gate) return _d.Accounts.ToList();
    }

    public IReadOnlyDictionary<Address, Account> Undo(ulong height)
    {
        lock (_d.Gate)
            return _d.Undo.TryGetValue(height, out var u) ? u : throw new StoreException($"undo data for block {height} is missing");
    }

    public ulong? TotalWeight(Hash hash)
    {
        lock (_d.Gate) return _d.Blocks.TryGetValue(hash, out var b) ? b.TotalWeight : null;
    }

    private MemoryChainData.StoredBlock? Canonical(ulong height) =>
        height < (ulong)_d.Canonical.Count ? _d.Blocks[_d.Canonical[(int)height]] : null;

    public Block? BlockByHeight(ulong height) { lock (_d.Gate) return Canonical(height)?.Block; }

    public byte[]? RawBlockByHeight(ulong height) { lock (_d.Gate) return Canonical(height)?.Raw; }

    public IReadOnlyList<byte[]> RawBlocks(ulong fromHeight, int count, long maxBytes)
    {
        var list = new List<byte[]>();
        long total = 0;
        lock (_d.Gate)
            for (var h = fromHeight; h < fromHeight + (ulong)Math.Max(0, count) && Canonical(h) is { } b; h++)
            {
                if (total + b.Raw.Length > maxBytes) break;
                total += b.Raw.Length;
                list.Add(b.Raw);
            }
        return list;
    }

    public Block? BlockByHash(Hash hash) { lock (_d.Gate) return _d.Blocks.TryGetValue(hash, out var b) ? b.Block : null; }

    public BlockHeader? HeaderByHeight(ulong height) { lock (_d.Gate) return Canonical(height)?.Block.Header; }

    public IReadOnlyList<BlockHeader> Headers(ulong fromHeight, int count)
    {
        var list = new List<BlockHeader>();
        lock (_d.Gate)
            for (var h = fromHeight; list.Count < count && Canonical(h) is { } b; h++) list.Add(b.Block.Header);
        return list;
    }

    public TxLocation? Transaction(Hash hash) { lock (_d.Gate) return _d.Transaction(hash); }

    public IReadOnlyList<StoredEvent> ContractEvents(Address contract, ulong fromHeight, int limit, int offset = 0)
    {
        lock (_d.Gate)
        {
            var list = new List<StoredEvent>();
            for (var h = fromHeight; h < (ulong)_d.Canonical.Count && list.Count < offset + limit; h++)
            {
                var block = _d.Blocks[_d.Canonical[(int)h]].Block;
                var receipts = _d.Receipts[(int)h]; // none for a genesis block's transactions, as before
                for (var i = 0; i < Math.Min(block.Transactions.Count, receipts.Count); i++)
                {
                    var tx = block.Transactions[i];
                    if (receipts[i].Contract is not { } c) continue;
                    for (var s = 0; s < c.Events.Count; s++)
                        if (c.Events[s].Contract == contract)
                            list.Add(new StoredEvent(h, tx.Hash, s, contract, c.Events[s].Name, c.Events[s].Value));
                }
            }
            return list.Skip(offset).Take(limit).ToList();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_d.Gate) _d.Open = false;
    }
}
