using Chainlab.Core.Files;
using System.Diagnostics;
using Chainlab.Core.Crypto;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Chain;

/// <summary>Building blocks: claim, fill from the mempool, seal, and hand the block to the one import pipeline.</summary>
public sealed partial class Blockchain
{
    /// <summary>Produces at the start of a slot (see <see cref="ProduceAt"/>).</summary>
    public (Block? Block, ImportResult Result) Produce(ulong slot, KeyPair key) => ProduceAt(Clock.StartOf(slot), key);

    /// <summary>
    /// Builds, seals and imports a block at nowMs when the engine gives the key the right to produce.
    /// Returns a null block when it does not. (Proof of work seals off the chain loop: see Prepare and Submit.)
    /// </summary>
    public (Block? Block, ImportResult Result) ProduceAt(ulong nowMs, KeyPair key)
    {
        var draft = Prepare(nowMs, key);
        if (draft is null) return (null, ImportResult.Rejected("not eligible now"));
        var seal = Engine.Seal(draft.Header, key, CancellationToken.None);
        if (seal is null) return (null, ImportResult.Rejected("sealing was cancelled"));
        var block = draft with { Header = draft.Header with { Seal = seal } };
        return (block, Submit(block));
    }

    /// <summary>
    /// Claims the right to produce on the head and builds the block on a fork of the state: transactions
    /// from the mempool, producer credit, the engine's end-of-block changes, the state root. The header's
    /// seal holds only the claim's prefix; the caller completes it with the engine and calls <see cref="Submit"/>.
    /// </summary>
    public Block? Prepare(ulong nowMs, KeyPair key)
    {
        var parent = Head;
        var claim = Engine.TryClaim(parent, _world, nowMs, key);
        if (claim is null) return null;
        var height = parent.Height + 1;
        var overlay = new StateOverlay(_world);
        var draft = new BlockHeader(height, parent.Hash, claim.TimestampMs, key.PublicKey, Hash.Zero, Hash.Zero, Hash.Zero, 0, claim.SealPrefix);
        Rules.BeginBlock(overlay, draft);
        var included = new List<Transaction>();
        var receipts = new List<Receipt>();
        ulong fees = 0, gas = 0;
        var blockRefs = new List<byte[]>();
        HashSet<Address>? deferred = null;
        foreach (var tx in _pending.Select(Spec.MaxBlockTransactions, height))
        {
            // A contract transaction that would pass the block gas limit waits for the next block, and so do
            // the sender's later ones (their nonces follow it).
            if (deferred is not null && deferred.Contains(tx.Sender)) continue;
            var claimed = Rules.GasLimit(tx);
            if (gas + claimed > Spec.Contracts.BlockGas) { (deferred ??= new()).Add(tx.Sender); continue; }
            // So does a file anchor that would take the block past its number of file references.
            var refs = tx.Kind == TxKind.FileAnchor ? FileAnchorRules.BlockRefs([tx]) : [];
            if (blockRefs.Count + refs.Count > Limits.MaxFileRefs) { (deferred ??= new()).Add(tx.Sender); continue; }
            var outcome = new TxOutcome();
            // A contract transaction runs on a scratch overlay: if it fails for a reason that is not its own (a
            // fault of this node), it leaves nothing behind, is dropped from the pool and logged, and the block goes on.
            var target = claimed > 0 ? new StateOverlay(overlay) : overlay;
            TxRejection r;
            try { r = Rules.Apply(target, tx, height, claim.TimestampMs, outcome); }
            catch (Exception e) when (claimed > 0 && e is not OperationCanceledException)
            {
                _log.LogError(e, "Transaction {Hash} failed inside this node and is dropped: {Message}", tx.Hash.Short, e.Message);
                _pending.Drop(tx, new TxRejection(TxError.Malformed, $"this node could not run the transaction: {e.Message}"));
                continue;
            }
            if (!r.IsOk) { _pending.Drop(tx, r); continue; }
            if (!ReferenceEquals(target, overlay)) foreach (var (a, acc) in target.Changes) overlay.Set(a, acc);
            var paid = outcome.FeePaid ?? tx.Fee;
            receipts.Add(new Receipt(tx.Hash, height, included.Count, outcome.Success, paid, outcome.Error, outcome.Contract));
            included.Add(tx);
            fees += paid;
            gas += claimed;
            blockRefs.AddRange(refs);
        }
        if (AggregateVotes(overlay, key, height, claim.TimestampMs) is { } votes)
        {
            receipts.Add(new Receipt(votes.Hash, height, included.Count, true, 0, null, null));
            included.Add(votes);
        }
        var credit = Rules.CreditProducer(overlay, key.Address, fees);
        if (!credit.IsOk) { _log.LogError("Cannot credit the producer: {Reason}", credit.Detail); return null; }
        draft = draft with { TxRoot = Block.ComputeTxRoot(included), FilesRoot = Block.ComputeFilesRoot(blockRefs), TxCount = (uint)included.Count };
        Engine.EndBlock(overlay, draft);
        var undo = _world.Apply(overlay.Changes);
        var stateRoot = _world.Root;
        _world.Revert(undo);
        draft = draft with { StateRoot = stateRoot };
        _prepared = new PreparedBlock(draft, new Dictionary<Address, Account>(overlay.Changes), receipts);
        return new Block(draft, included, blockRefs);
    }

    /// <summary>
    /// On a chain with finality: the pooled votes that count against the block's state so far, in one fee-free
    /// vote transaction signed by the producer and applied to the block (so finality is replayed from the chain
    /// alone). None when no vote counts, or when the producer has transactions pending that this block leaves out
    /// (the vote transaction would take their nonce).
    /// </summary>
    private Transaction? AggregateVotes(StateOverlay overlay, KeyPair key, ulong height, ulong timeMs)
    {
        if (!Chainlab.Core.Finality.FinalityVoters.Enabled(Spec)) return null;
        var candidates = Votes.Candidates(4 * Chainlab.Core.Finality.VoteBatch.MaxPerTransaction);
        if (candidates.Count == 0 || Chainlab.Core.Finality.FinalityRecord.Read(Spec, overlay) is not { } tracker) return null;
        var counted = new List<Chainlab.Core.Finality.Vote>();
        foreach (var v in candidates)
        {
            if (counted.Count == Chainlab.Core.Finality.VoteBatch.MaxPerTransaction) break;
            if (tracker.Include(v, signatureChecked: true).Counted) counted.Add(v);
        }
        if (counted.Count == 0) return null;
        var nonce = overlay.Get(key.Address).Nonce;
        if (_pending.NextNonce(key.Address) > nonce) return null;
        var tx = Transaction.Create(key, Spec.ChainId, TxKind.Vote, nonce, 0, Address.Zero, 0, Chainlab.Core.Finality.VoteBatch.Encode(counted));
        var scratch = new StateOverlay(overlay);
        var r = Rules.Apply(scratch, tx, height, timeMs);
        if (r.IsOk)
        {
            foreach (var (a, acc) in scratch.Changes) overlay.Set(a, acc);
            return tx;
        }
        _log.LogWarning("The block's vote transaction was refused: {Reason}", r.Detail);
        return null;
    }

    /// <summary>
    /// The execution of the block this node prepared last. When that block comes back through the import
    /// pipeline sealed, on the same parent, its transactions are not run a second time: the same parent state
    /// and the same transactions (the transaction root) give the same changes, and the state root still checks
    /// them. Contracts make a second run expensive.
    /// </summary>
    private sealed record PreparedBlock(BlockHeader Header, IReadOnlyDictionary<Address, Account> Changes, IReadOnlyList<Receipt> Receipts)
    {
        public bool Matches(BlockHeader h) =>
            h.Height == Header.Height && h.Parent == Header.Parent && h.TimestampMs == Header.TimestampMs &&
            h.Producer.AsSpan().SequenceEqual(Header.Producer) && h.TxRoot == Header.TxRoot && h.StateRoot == Header.StateRoot &&
            h.FilesRoot == Header.FilesRoot && h.TxCount == Header.TxCount;
    }

    private PreparedBlock? _prepared;
    private long _produced;

    /// <summary>Blocks this node produced and imported since it started.</summary>
    public long ProducedBlocks => Interlocked.Read(ref _produced);

    /// <summary>Imports a block this node sealed, through the same pipeline as a peer's block.</summary>
    public ImportResult Submit(Block block)
    {
        var sw = Stopwatch.StartNew();
        var result = Import(block);
        if (result.Status == ImportStatus.Imported)
        {
            Interlocked.Increment(ref _produced);
            _log.LogInformation("Produced block {Height} {Hash} with {Count} txs in {Ms} ms",
                block.Height, block.Hash.Short, block.Transactions.Count, sw.ElapsedMilliseconds);
        }
        else
            _log.LogError("Own block {Height} was not imported: {Reason}", block.Height, result.Reason);
        return result;
    }
}
