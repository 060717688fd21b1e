using Chainlab.Core.Rules;
using System.Diagnostics;
using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Events;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Chain;

/// <summary>
/// The chain's state owner. Only the chain loop calls <see cref="Import"/> and <see cref="Produce"/>,
/// so state mutation has exactly one writer. Every block, made here or received, goes through
/// <see cref="Import"/>. Building blocks is in Blockchain.Production.cs.
/// </summary>
public sealed partial class Blockchain : IChainReader, IBlockImport
{
    private readonly IChainStore _store;
    private readonly WorldState _world;
    private readonly NodeEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private CommittedHead _committed;
    private readonly SignatureChecks _signatures;
    private readonly EquivocationWatch _equivocations;
    private IPendingTransactions _pending = IPendingTransactions.None;

    /// <summary>Receipts a block is known to have produced on another node of this process (NodeOptions.KnownReceipts).</summary>
    public Func<Hash, IReadOnlyList<Receipt>?>? KnownReceipts { get; init; }

    public Blockchain(ChainRules rules, IChainStore store, WorldState world, BlockHeader head, ChainLoop loop,
        NodeEvents events, TimeProvider time, ILogger log, Func<Transaction, bool>? verifySignature = null, int parallelism = int.MaxValue)
    {
        Rules = rules; _store = store; _world = world; Loop = loop;
        GenesisHash = store.GenesisHash ?? throw new StoreException("the store holds no chain");
        _committed = new CommittedHead(head, world.Freeze());
        var spec = rules.Spec;
        _headWeight = store.TotalWeight(head.Hash) ?? 0;
        _events = events; _time = time; _log = log;
        _signatures = new SignatureChecks(() => Pending, verifySignature, parallelism);
        _equivocations = new EquivocationWatch(events, spec.BlockTimeMs, log);
        Clock = new SlotClock(spec.GenesisTimeMs, spec.BlockTimeMs);
    }

    public ChainRules Rules { get; }

    /// <summary>Where blocks made here take their transactions from (the node's mempool, set once it exists).</summary>
    public IPendingTransactions Pending
    {
        get => Volatile.Read(ref _pending);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (Interlocked.CompareExchange(ref _pending, value, IPendingTransactions.None) != IPendingTransactions.None)
                throw new InvalidOperationException("the chain already has its pending transactions");
        }
    }
    /// <summary>Where blocks made here take their finality votes from (the node's vote pool, on chains with finality).</summary>
    public IPendingVotes Votes { get; set; } = IPendingVotes.None;
    /// <summary>The single writer: Import, Produce and everything that touches the live state run here.</summary>
    public ChainLoop Loop { get; }
    public Hash GenesisHash { get; }
    public IBlockReader Blocks => _store;
    public string EngineName => Engine.Name;

    public ulong CapClaim(ulong claimed) =>
        Engine.MaxHeightAt((ulong)_time.GetUtcNow().ToUnixTimeMilliseconds()) is { } max ? Math.Min(claimed, Math.Max(max, Head.Height)) : claimed;

    /// <summary>Imports a block on the chain loop (for callers off the loop: peers, the API).</summary>
    public Task<ImportResult> ImportAsync(Block block) => Loop.Run(() => Import(block));

    /// <summary>An account with its proof against the head's state root; runs on the chain loop, where the trie lives.</summary>
    public Task<(Account Account, StateProof Proof, BlockHeader Head)> ProveAccountAsync(Address address) => Loop.Run(() => ProveAccount(address));
    public ChainSpec Spec => Rules.Spec;
    public IConsensusEngine Engine => Rules.Engine;
    public SlotClock Clock { get; }
    /// <summary>The committed head block: what every reader off the chain loop sees.</summary>
    public BlockHeader Head => Committed.Header;

    /// <summary>
    /// The committed head with its frozen state, published after each commit. API reads and admission use
    /// it, so they never see a block half built, half executed or half undone.
    /// </summary>
    public CommittedHead Committed => Volatile.Read(ref _committed);
    private long _committedTransactions;

    /// <summary>Transactions committed since this process started.</summary>
    public long CommittedTransactions => Interlocked.Read(ref _committedTransactions);

    /// <summary>Blocks further than this below the head are final: a branch forking deeper is refused.</summary>
    public const int MaxReorgDepth = 1000;

    private long _finalizedHeight = -1;
    /// <summary>The height of the last finalised checkpoint of the canonical chain, or null on a chain without finality.</summary>
    public ulong? FinalizedHeight => Chainlab.Core.Finality.FinalityVoters.Enabled(Spec) ? (ulong)Math.Max(0, Interlocked.Read(ref _finalizedHeight)) : null;
    private const int MaxSideBlocks = 4096;

    private sealed record SideBlock(Block Block, ulong TotalWeight);
    // Valid-looking blocks on branches lighter than the canonical one, by hash. Their state is not computed
    // until their branch becomes the heaviest.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash, SideBlock> _side = new();
    private ulong _headWeight;
    private long _reorgs;
    private ulong _lastReorgDepth, _deepestReorg;

    /// <summary>Reorganisations since start, the depth of the last one and the deepest one.</summary>
    public (long Count, ulong LastDepth, ulong Deepest) Reorgs => (Interlocked.Read(ref _reorgs), _lastReorgDepth, _deepestReorg);
    public ulong HeadWeight => Volatile.Read(ref _headWeight);
    public int SideBlocks => _side.Count;

    /// <summary>Is this block the head, on the canonical chain at that height, or kept on a side branch? Safe from any thread.</summary>
    public bool IsKnown(in Hash hash, ulong height) =>
        Head.Hash == hash || _side.ContainsKey(hash) || (height <= Head.Height && _store.HeaderByHeight(height)?.Hash == hash);

    private static bool Heavier(ulong weight, in Hash tip, ulong otherWeight, in Hash otherTip) =>
        weight > otherWeight || (weight == otherWeight && tip.CompareTo(otherTip) < 0);

    /// <summary>
    /// The import pipeline for every block, produced here or received. Header checks against the parent
    /// (height, time, seal, roots, limits), then fork choice: a block extending the head is executed and
    /// committed; one on a lighter branch is kept aside; one that makes another branch heaviest triggers a
    /// reorganisation that executes that branch. Execution checks signatures, runs the transactions and
    /// compares the state root, and each outcome is one atomic commit.
    /// </summary>
    public ImportResult Import(Block block)
    {
        var head = Head;
        var h = block.Header;
        if (IsKnown(h.Hash, h.Height)) return ImportResult.Known;
        if (h.Height + MaxReorgDepth < head.Height)
            return ImportResult.Rejected($"block {h.Height} forks more than {MaxReorgDepth} blocks below the head {head.Height}");

        BlockHeader parent;
        ulong parentWeight;
        if (h.Parent == head.Hash) (parent, parentWeight) = (head, _headWeight);
        else if (_side.TryGetValue(h.Parent, out var sideParent)) (parent, parentWeight) = (sideParent.Block.Header, sideParent.TotalWeight);
        else if (h.Height >= 1 && _store.HeaderByHeight(h.Height - 1) is { } canonicalParent && canonicalParent.Hash == h.Parent)
            (parent, parentWeight) = (canonicalParent, _store.TotalWeight(canonicalParent.Hash) ?? 0);
        else return ImportResult.Orphan($"parent {h.Parent.Short} of block {h.Height} is unknown");

        if (CheckHeader(block, parent) is { } error) return error;
        if (Engine.PunishesEquivocation) _equivocations.Note(h, Head.TimestampMs);
        var weight = parentWeight + Engine.Weight(h, parent);

        if (h.Parent == head.Hash)
        {
            var started = Stopwatch.GetTimestamp();
            var (commit, connectError) = Connect(block, parent, weight);
            if (commit is null) return ImportResult.Rejected(connectError!);
            var executed = Stopwatch.GetTimestamp();
            try { _store.Commit(commit); }
            catch
            {
                _world.Revert(commit.Undo);
                throw;
            }
            SetHead(h, weight);
            Interlocked.Add(ref _committedTransactions, block.Transactions.Count);
            _events.Publish(new BlockConnected(block, commit.Receipts,
                Stopwatch.GetElapsedTime(started, executed).TotalSeconds, Stopwatch.GetElapsedTime(executed).TotalSeconds));
            _events.Publish(new HeadChanged(h));
            return ImportResult.Imported;
        }

        // Finality: no block at or below the last finalised checkpoint can join another branch, and no branch that
        // forks below it can ever become canonical (decision 0007, point 1).
        if (LastFinalised() is { } final && h.Height <= final.Height)
            return ImportResult.Rejected($"block {h.Height} {h.Hash.Short} conflicts with the finalised checkpoint {final}: blocks at or below it are final");

        if (!Heavier(weight, h.Hash, _headWeight, head.Hash))
        {
            AddSide(block, weight);
            _log.LogInformation("Side block {Height} {Hash} kept (branch weight {Weight}, ours {Ours})", h.Height, h.Hash.Short, weight, _headWeight);
            return ImportResult.Side;
        }
        return Reorganise(block, weight);
    }

    /// <summary>Equivocations seen since start.</summary>
    public long Equivocations => _equivocations.Seen;

    /// <summary>
    /// Checks that need only the block and its parent's header. A block that fails one of the checks of the
    /// block against itself (seal, roots, counts) is forged: every node runs them before it keeps or serves a
    /// block, so no honest node sends one. A time ahead of our clock is only a refusal (clocks differ).
    /// </summary>
    private ImportResult? CheckHeader(Block block, BlockHeader parent)
    {
        if (CheckItself(block, parent) is { } forged) return ImportResult.ForgedBlock(forged);
        var now = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        if (block.Header.TimestampMs > now + Spec.BlockTimeMs) return ImportResult.Rejected("timestamp is in the future");
        return null;
    }

    private string? CheckItself(Block block, BlockHeader parent)
    {
        var h = block.Header;
        if (h.Height != parent.Height + 1) return $"height {h.Height} does not follow its parent's {parent.Height}";
        if (h.TxCount != block.Transactions.Count) return "header tx count does not match the body";
        if (block.Transactions.Count > Spec.MaxBlockTransactions)
            return $"block has {block.Transactions.Count} transactions; the limit is {Spec.MaxBlockTransactions}";
        if (Engine.VerifySeal(h, parent) is { } sealError) return sealError;
        if (block.ComputedTxRoot() != h.TxRoot) return "transaction root does not match";
        if (Block.ComputeFilesRoot(block.FileRefs) != h.FilesRoot) return "files root does not match";
        // The block lists exactly the references of its file anchors, in order.
        IReadOnlyList<byte[]> refs;
        try { refs = Core.Execution.FileAnchorRules.BlockRefs(block.Transactions); }
        catch (Core.Encoding.DecodeException e) { return $"a file anchor is malformed: {e.Message}"; }
        if (refs.Count != block.FileRefs.Count || refs.Zip(block.FileRefs).Any(p => !p.First.AsSpan().SequenceEqual(p.Second)))
            return "file references do not match the block's file anchors";
        return null;
    }

    /// <summary>
    /// Executes a block on top of the current state: signatures, transactions, state root. On success the
    /// in-memory state holds the block's changes and the commit to store is returned; on failure the state is
    /// unchanged and the reason is returned.
    /// </summary>
    private (BlockCommit? Commit, string? Error) Connect(Block block, BlockHeader parent, ulong totalWeight)
    {
        var h = block.Header;
        if (_signatures.FirstBad(block) is { } bad) return (null, $"transaction {bad.Hash.Short} has a bad signature");

        var overlay = new StateOverlay(_world);
        BlockExecution ex;
        if (_prepared is { } prepared && prepared.Matches(h))
        {
            if (Engine.VerifyProducer(h, parent, _world) is { } notEntitled) return (null, notEntitled);
            foreach (var (a, acc) in prepared.Changes) overlay.Set(a, acc);
            ex = BlockExecution.Succeeded(prepared.Receipts);
        }
        else ex = Rules.ExecuteBlock(overlay, h, parent, block.Transactions, KnownReceipts?.Invoke(block.Hash));
        _prepared = null;
        if (!ex.Ok) return (null, ex.Error);
        var undo = _world.Apply(overlay.Changes);
        if (_world.Root != h.StateRoot)
        {
            var error = $"state root {h.StateRoot.Short} does not match the computed {_world.Root.Short}";
            _world.Revert(undo);
            return (null, error);
        }
        return (new BlockCommit(block, ex.Receipts, overlay.Changes, undo, totalWeight), null);
    }

    /// <summary>The last finalised checkpoint of the canonical chain (its finality record), or null on a chain without finality.</summary>
    public Chainlab.Core.Finality.Checkpoint? LastFinalised() =>
        Chainlab.Core.Finality.FinalityVoters.Enabled(Spec) && Chainlab.Core.Finality.FinalityRecord.Read(Spec, _world) is { } t ? t.LastFinalised : null;

    /// <summary>Starts checking the signatures of a block that will be imported next (see <see cref="SignatureChecks"/>).</summary>
    public void VerifyAhead(Block block) => _signatures.CheckAhead(block);

    /// <summary>
    /// Makes the branch ending in tip canonical: undo our blocks down to the common ancestor, execute the
    /// branch's blocks, then store all of it in one commit. If a branch block is invalid the state goes back
    /// to the old chain and the bad block (with its descendants) is forgotten.
    /// </summary>
    private ImportResult Reorganise(Block tip, ulong tipWeight)
    {
        var sw = Stopwatch.StartNew();
        var oldHead = Head;
        var branch = new List<(Block Block, ulong Weight)> { (tip, tipWeight) };
        while (_side.TryGetValue(branch[^1].Block.Header.Parent, out var s)) branch.Add((s.Block, s.TotalWeight));
        branch.Reverse();
        var forkHeight = branch[0].Block.Height - 1;
        if (_store.HeaderByHeight(forkHeight)?.Hash != branch[0].Block.Header.Parent)
            return ImportResult.Orphan($"branch of block {tip.Height} does not join the canonical chain");
        if (LastFinalised() is { } final && forkHeight < final.Height)
        {
            ForgetWithDescendants(branch[0].Block.Hash);
            _log.LogWarning("A heavier branch to {Height} {Hash} forks at {Fork}, below the finalised checkpoint {Final}: refused", tip.Height, tip.Hash.Short, forkHeight, final);
            return ImportResult.Rejected($"the branch of block {tip.Height} forks at {forkHeight}, below the finalised checkpoint {final}");
        }

        // Undo our blocks, newest first, keeping what each undo overwrote so it can be put back.
        var disconnected = new List<(BlockDisconnect D, Dictionary<Address, Account> Redo, ulong Weight)>();
        for (var height = oldHead.Height; height > forkHeight; height--)
        {
            var block = _store.BlockByHeight(height) ?? throw new StoreException($"canonical block {height} is missing");
            var undo = _store.Undo(height);
            var redo = undo.Keys.ToDictionary(a => a, a => _world.Get(a));
            _world.Revert(undo);
            disconnected.Add((new BlockDisconnect(block, undo), redo, _store.TotalWeight(block.Hash) ?? 0));
        }

        var commits = new List<BlockCommit>();
        void RestoreOldChain()
        {
            for (var i = commits.Count - 1; i >= 0; i--) _world.Revert(commits[i].Undo);
            for (var i = disconnected.Count - 1; i >= 0; i--) _world.Apply(disconnected[i].Redo);
        }
        var parent = _store.HeaderByHeight(forkHeight)!;
        foreach (var (block, weight) in branch)
        {
            var (commit, error) = Connect(block, parent, weight);
            parent = block.Header;
            if (commit is not null) { commits.Add(commit); continue; }
            RestoreOldChain();
            ForgetWithDescendants(block.Hash);
            _log.LogWarning("Branch block {Height} {Hash} is invalid ({Reason}); staying on {Head}", block.Height, block.Hash.Short, error, oldHead.Hash.Short);
            return ImportResult.Rejected($"block {block.Height} on the branch is invalid: {error}");
        }
        try { _store.Commit(disconnected.Select(d => d.D).ToList(), commits); }
        catch
        {
            RestoreOldChain();
            throw;
        }

        foreach (var (block, _) in branch) _side.TryRemove(block.Hash, out _);
        foreach (var (d, _, weight) in disconnected) AddSide(d.Block, weight);
        SetHead(tip.Header, tipWeight);
        var depth = oldHead.Height - forkHeight;
        Interlocked.Increment(ref _reorgs);
        _lastReorgDepth = depth;
        _deepestReorg = Math.Max(_deepestReorg, depth);
        Interlocked.Add(ref _committedTransactions, commits.Sum(c => c.Block.Transactions.Count));

        var included = new HashSet<Hash>(branch.SelectMany(b => b.Block.Transactions).Select(t => t.Hash));
        var orphaned = disconnected.SelectMany(d => d.D.Block.Transactions).Where(t => !included.Contains(t.Hash)).ToList();
        _log.LogWarning("Reorganised: {Depth} blocks off from {Old} ({OldHeight}), {Count} on to {New} ({NewHeight}); {Orphans} transactions back to the mempool, {Ms} ms",
            depth, oldHead.Hash.Short, oldHead.Height, branch.Count, tip.Hash.Short, tip.Height, orphaned.Count, sw.ElapsedMilliseconds);
        foreach (var (d, _, _) in disconnected) _events.Publish(new BlockDisconnected(d.Block));
        foreach (var c in commits) _events.Publish(new BlockConnected(c.Block, c.Receipts));
        _events.Publish(new Reorganised(oldHead, tip.Header, depth, orphaned));
        _events.Publish(new HeadChanged(tip.Header));
        return ImportResult.Imported;
    }

    private void SetHead(BlockHeader h, ulong weight)
    {
        Volatile.Write(ref _headWeight, weight);
        Volatile.Write(ref _committed, new CommittedHead(h, _world.Freeze()));
        if (LastFinalised() is { } final)
        {
            var before = Interlocked.Exchange(ref _finalizedHeight, (long)final.Height);
            if ((long)final.Height > before) _events.Publish(new Events.Finalised(final));
        }
        // Side blocks below the reorg limit can never win again.
        if (_side.Count > 0 && h.Height > MaxReorgDepth)
            foreach (var stale in _side.Where(kv => kv.Value.Block.Height + MaxReorgDepth < h.Height).Select(kv => kv.Key).ToList())
                _side.TryRemove(stale, out _);
    }

    private void AddSide(Block block, ulong weight)
    {
        if (_side.Count >= MaxSideBlocks)
            _side.TryRemove(_side.MinBy(kv => kv.Value.Block.Height).Key, out _);
        _side[block.Hash] = new SideBlock(block, weight);
    }

    private void ForgetWithDescendants(Hash hash)
    {
        var doomed = new HashSet<Hash> { hash };
        bool grew;
        do
        {
            grew = false;
            foreach (var (k, v) in _side)
                if (!doomed.Contains(k) && doomed.Contains(v.Block.Header.Parent)) { doomed.Add(k); grew = true; }
        } while (grew);
        foreach (var d in doomed) _side.TryRemove(d, out _);
    }

    /// <summary>The consensus engine's view of the committed head (for status and the CLI).</summary>
    public object ConsensusInfo()
    {
        var c = Committed;
        return Engine.Describe(c.Header, c.State, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>An account at the committed head (any thread).</summary>
    public Account Account(in Address address) => Committed.State.Get(address);

    /// <summary>The committed head state (any thread).</summary>
    public IAccountReader State => Committed.State;

    /// <summary>An account at the committed head, with its proof against the head's state root. Chain loop only (the trie lives there).</summary>
    private (Account Account, StateProof Proof, BlockHeader Head) ProveAccount(in Address address) =>
        (_world.Get(address), _world.Prove(address), Head);
}
