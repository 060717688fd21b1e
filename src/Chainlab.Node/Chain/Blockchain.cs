using System.Diagnostics;
using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Storage;
using Microsoft.Extensions.Logging;

namespace Chainlab.Node.Chain;

/// <summary>
/// The chain's state owner. Only the chain loop calls <see cref="Import"/> and <see cref="Produce"/>,
/// so state mutation has exactly one writer. Every block, made here or received, goes through
/// <see cref="Import"/>.
/// </summary>
public sealed class Blockchain
{
    private readonly IChainStore _store;
    private readonly WorldState _world;
    private readonly TransactionPool _pool;
    private readonly EventHub _events;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private BlockHeader _head;

    public Blockchain(ChainSpec spec, IConsensusEngine engine, IChainStore store, WorldState world, BlockHeader head,
        TransactionPool pool, EventHub events, TimeProvider time, ILogger log)
    {
        Spec = spec; Engine = engine; _store = store; _world = world; _head = head;
        _pool = pool; _events = events; _time = time; _log = log;
        Clock = new SlotClock(spec.GenesisTimeMs, spec.BlockTimeMs);
    }

    public ChainSpec Spec { get; }
    public IConsensusEngine Engine { get; }
    public SlotClock Clock { get; }
    public BlockHeader Head => Volatile.Read(ref _head);
    private long _committedTransactions;

    /// <summary>Transactions committed since this process started.</summary>
    public long CommittedTransactions => Interlocked.Read(ref _committedTransactions);

    /// <summary>The import pipeline: header and seal, roots, signatures, execution, state root, one atomic commit.</summary>
    public ImportResult Import(Block block)
    {
        var head = Head;
        var h = block.Header;
        if (h.Hash == head.Hash || (h.Height <= head.Height && _store.HeaderByHeight(h.Height)?.Hash == h.Hash))
            return ImportResult.Known;
        if (h.Parent != head.Hash)
            return ImportResult.Rejected($"parent {h.Parent.Short} is not the head {head.Hash.Short}");
        if (h.Height != head.Height + 1) return ImportResult.Rejected($"height {h.Height} does not follow {head.Height}");
        if (h.TxCount != block.Transactions.Count) return ImportResult.Rejected("header tx count does not match the body");
        if (block.Transactions.Count > Spec.MaxBlockTransactions)
            return ImportResult.Rejected($"block has {block.Transactions.Count} transactions; the limit is {Spec.MaxBlockTransactions}");
        var now = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        if (h.TimestampMs > now + Spec.BlockTimeMs) return ImportResult.Rejected("timestamp is in the future");
        if (Engine.VerifySeal(h, head) is { } sealError) return ImportResult.Rejected(sealError);
        if (Block.ComputeTxRoot(block.Transactions) != h.TxRoot) return ImportResult.Rejected("transaction root does not match");
        if (Block.ComputeFilesRoot(block.FileRefs) != h.FilesRoot) return ImportResult.Rejected("files root does not match");

        // Signatures: a transaction in our mempool has bytes identical to one already verified.
        var unverified = _pool.NotPending(block.Transactions);
        var bad = -1;
        Parallel.For(0, unverified.Count, (i, state) =>
        {
            if (!unverified[i].VerifySignature()) { Volatile.Write(ref bad, i); state.Stop(); }
        });
        if (bad >= 0) return ImportResult.Rejected($"transaction {unverified[bad].Hash.Short} has a bad signature");

        var overlay = new StateOverlay(_world);
        var ex = StateTransition.ExecuteBlock(overlay, h.Height, Address.FromPublicKey(h.Producer), block.Transactions, Spec);
        if (!ex.Ok) return ImportResult.Rejected(ex.Error!);
        var undo = _world.Apply(overlay.Changes);
        if (_world.Root != h.StateRoot)
        {
            _world.Revert(undo);
            return ImportResult.Rejected($"state root {h.StateRoot.Short} does not match the computed {_world.Root.Short}");
        }
        try
        {
            _store.Commit(new BlockCommit(block, ex.Receipts, overlay.Changes, undo));
        }
        catch
        {
            _world.Revert(undo);
            throw;
        }
        Volatile.Write(ref _head, h);
        Interlocked.Add(ref _committedTransactions, block.Transactions.Count);
        _pool.OnBlockCommitted(block);
        _events.Publish(new ChainEvent("head", new HeadEvent(h.Height, h.Hash.ToString(), h.TxCount, h.TimestampMs, h.StateRoot.ToString())));
        return ImportResult.Imported;
    }

    /// <summary>
    /// Builds a block for the slot on a fork of the state, seals it and imports it through the same
    /// pipeline as a peer's block. Returns null when the key is not eligible for the slot.
    /// </summary>
    public (Block? Block, ImportResult Result) Produce(ulong slot, KeyPair key)
    {
        var parent = Head;
        if (!Engine.IsEligible(parent, slot, key.PublicKey)) return (null, ImportResult.Rejected("not eligible in this slot"));
        var sw = Stopwatch.StartNew();
        var height = parent.Height + 1;
        var overlay = new StateOverlay(_world);
        var included = new List<Transaction>();
        ulong fees = 0;
        foreach (var tx in _pool.Select(Spec.MaxBlockTransactions, height))
        {
            var r = StateTransition.Apply(overlay, tx, Spec);
            if (!r.IsOk) { _pool.Drop(tx, r); continue; }
            included.Add(tx);
            fees += tx.Fee;
        }
        var credit = StateTransition.CreditProducer(overlay, key.Address, fees, Spec);
        if (!credit.IsOk) return (null, ImportResult.Rejected(credit.Detail));
        var undo = _world.Apply(overlay.Changes);
        var stateRoot = _world.Root;
        _world.Revert(undo);

        var unsealed = new BlockHeader(height, parent.Hash, Clock.StartOf(slot), key.PublicKey,
            Block.ComputeTxRoot(included), stateRoot, Block.ComputeFilesRoot([]), (uint)included.Count, []);
        var header = unsealed with { Seal = Engine.Seal(unsealed, key) };
        var block = new Block(header, included, []);
        var result = Import(block);
        if (result.Status == ImportStatus.Imported)
            _log.LogInformation("Produced block {Height} {Hash} with {Count} txs in {Ms} ms",
                height, header.Hash.Short, included.Count, sw.ElapsedMilliseconds);
        else
            _log.LogError("Own block {Height} was not imported: {Reason}", height, result.Reason);
        return (block, result);
    }

    public Account Account(in Address address) => _world.Get(address);
    public StateProof ProveAccount(in Address address) => _world.Prove(address);
}
