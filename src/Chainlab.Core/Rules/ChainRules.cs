using Chainlab.Core.Consensus;
using Chainlab.Core.Execution;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Rules;

/// <summary>
/// The rules of one chain, in one place: the consensus engine its spec names and the rules of every
/// transaction kind it accepts (the base kinds, and those the engine contributes). Admission, block
/// building and block import all ask this object, so a rule exists once.
/// </summary>
public sealed class ChainRules
{
    private readonly Dictionary<TxKind, ITransactionRules> _kinds = new();

    /// <param name="spec">The chain.</param>
    /// <param name="engine">Its consensus engine, which contributes the kinds it owns.</param>
    /// <param name="extraKinds">Further kinds (a test's, or a feature's switched on by the node).</param>
    public ChainRules(ChainSpec spec, IConsensusEngine engine, IEnumerable<ITransactionRules>? extraKinds = null)
    {
        Spec = spec; Engine = engine;
        foreach (var r in BaseKinds()) _kinds[r.Kind] = r;
        foreach (var r in engine.TransactionRules) _kinds[r.Kind] = r; // an engine may replace a base kind (stake in PoS)
        if (Finality.FinalityVoters.Enabled(spec))
        {
            _kinds[TxKind.Vote] = new Finality.VoteRules();
            _kinds[TxKind.VoteEvidence] = new Finality.VoteEvidenceRules();
        }
        foreach (var r in extraKinds ?? []) _kinds[r.Kind] = r;
    }

    /// <summary>The rules of the chain a spec describes, with a new engine instance.</summary>
    public static ChainRules For(ChainSpec spec) => new(spec, ConsensusEngines.For(spec));

    private static IEnumerable<ITransactionRules> BaseKinds() => [new TransferRules(), new StakeRules(), new UnstakeRules(), new FileAnchorRules()];

    public ChainSpec Spec { get; }
    public IConsensusEngine Engine { get; }

    /// <summary>The kinds this chain accepts, in kind order.</summary>
    public IEnumerable<TxKind> Kinds => _kinds.Keys.Order();

    /// <summary>Checks that need no state: chain, kind, the kind's own shape, fee. The signature is checked separately.</summary>
    public TxRejection CheckStateless(Transaction tx)
    {
        if (tx.ChainId != Spec.ChainId)
            return new(TxError.WrongChain, $"transaction is for chain '{tx.ChainId}', this node runs '{Spec.ChainId}'");
        if (!_kinds.TryGetValue(tx.Kind, out var rules))
            return new(TxError.UnsupportedKind, $"transaction kind {tx.Kind} is not enabled on this chain");
        var own = rules.CheckStateless(tx, Spec);
        if (!own.IsOk) return own;
        if (tx.Fee < Spec.MinFee && !rules.FeeFree) return new(TxError.FeeTooLow, $"fee {tx.Fee} is below the minimum of {Spec.MinFee}");
        return TxRejection.Ok;
    }

    /// <summary>The gas limit a transaction claims (0 for kinds that run no code); a block's sum is capped by the spec.</summary>
    public ulong GasLimit(Transaction tx) => _kinds.TryGetValue(tx.Kind, out var rules) ? rules.GasLimit(tx) : 0;

    /// <summary>What the transaction takes from the sender's balance: the moved amount plus the fee. False on overflow or an unknown kind.</summary>
    public bool TryDebit(Transaction tx, out ulong debit)
    {
        var moved = _kinds.TryGetValue(tx.Kind, out var rules) ? rules.Moved(tx) : 0;
        debit = moved + tx.Fee;
        return rules is not null && debit >= moved;
    }

    /// <summary>
    /// Applies one transaction to the overlay, in a block at this height and time. On rejection nothing is
    /// written; otherwise <paramref name="outcome"/>, when given, receives what the receipt records.
    /// </summary>
    public TxRejection Apply(StateOverlay state, Transaction tx, ulong height = 0, ulong timeMs = 0, TxOutcome? outcome = null)
    {
        var stateless = CheckStateless(tx);
        if (!stateless.IsOk) return stateless;
        var sender = state.Get(tx.Sender);
        if (tx.Nonce < sender.Nonce) return new(TxError.NonceTooLow, $"nonce {tx.Nonce} was already used; next is {sender.Nonce}");
        if (tx.Nonce > sender.Nonce) return new(TxError.NonceGap, $"nonce {tx.Nonce} skips ahead; next is {sender.Nonce}");
        if (!TryDebit(tx, out var debit)) return new(TxError.Overflow, "amount plus fee overflows");
        if (sender.Balance < debit)
            return new(TxError.InsufficientBalance, $"balance {sender.Balance} is less than amount plus fee {debit}");
        var after = sender with { Balance = sender.Balance - debit, Nonce = sender.Nonce + 1 };
        return _kinds[tx.Kind].Apply(state, tx, after, new TxContext(Spec, height, timeMs, outcome));
    }

    /// <summary>
    /// The kind's own rules checked at admission against the head state, on a throwaway overlay, for the
    /// kinds that ask for it (authority changes, stake, evidence), so a refusal comes back to the sender at
    /// once instead of silently at block time. <paramref name="after"/> is the sender with every pending
    /// debit and this one taken and the nonce advanced.
    /// </summary>
    public TxRejection CheckAdmission(IAccountReader head, Transaction tx, Account after)
    {
        if (!_kinds.TryGetValue(tx.Kind, out var rules)) return new(TxError.UnsupportedKind, $"transaction kind {tx.Kind} is not enabled on this chain");
        return rules.CheckedAtAdmission ? rules.Apply(new StateOverlay(head), tx, after, new TxContext(Spec, 0)) : TxRejection.Ok;
    }

    /// <summary>
    /// Executes a block body on the overlay: every transaction must apply, then fees and the reward
    /// go to the producer as the spec says. Returns receipts or the first failure. <c>like</c> is receipts this block
    /// is known to have produced elsewhere (the simulator's other nodes), or null: each transaction still runs here,
    /// and where its outcome equals the known receipt to the last field that receipt is used instead of an equal new one.
    /// </summary>
    public BlockExecution ExecuteTransactions(StateOverlay state, ulong height, ulong timeMs, Address producer, IReadOnlyList<Transaction> txs,
        IReadOnlyList<Receipt>? like = null)
    {
        if (like is not null && like.Count != txs.Count) like = null;
        var receipts = new Receipt[txs.Count];
        var outcome = new TxOutcome(); // cleared for each transaction: a thousand simulated nodes run every block
        ulong fees = 0, gas = 0;
        for (var i = 0; i < txs.Count; i++)
        {
            var tx = txs[i];
            gas += GasLimit(tx);
            if (gas > Spec.Contracts.BlockGas)
                return BlockExecution.Failed($"the block's transactions claim more than the block gas limit of {Spec.Contracts.BlockGas}", TxError.TooLarge);
            outcome.Clear();
            var r = Apply(state, tx, height, timeMs, outcome);
            if (!r.IsOk) return BlockExecution.Failed($"transaction {i} ({tx.Hash.Short}) is invalid: {r.Detail}", r.Error);
            var paid = outcome.FeePaid ?? tx.Fee;
            fees += paid; // fees come from different balances, so their sum can exceed a u64
            if (fees < paid) return BlockExecution.Failed("total fees overflow", TxError.Overflow);
            receipts[i] = like?[i] is { } known && known.TxHash == tx.Hash && known.Height == height && known.Index == i && known.Success == outcome.Success
                && known.FeePaid == paid && known.Error == outcome.Error && ReferenceEquals(known.Contract, outcome.Contract)
                ? known
                : new Receipt(tx.Hash, height, i, outcome.Success, paid, outcome.Error, outcome.Contract);
        }
        var credit = CreditProducer(state, producer, fees);
        if (!credit.IsOk) return BlockExecution.Failed(credit.Detail, credit.Error);
        return BlockExecution.Succeeded(receipts);
    }

    /// <summary>
    /// Executes a whole block: the producer must be entitled (checked against the state before the block),
    /// the engine opens the block, the transactions run, the producer is paid, and the engine closes it.
    /// </summary>
    public BlockExecution ExecuteBlock(StateOverlay state, BlockHeader header, BlockHeader parent, IReadOnlyList<Transaction> txs,
        IReadOnlyList<Receipt>? like = null)
    {
        if (Engine.VerifyProducer(header, parent, state) is { } notEntitled) return BlockExecution.Failed(notEntitled, TxError.Unauthorised);
        BeginBlock(state, header);
        var ex = ExecuteTransactions(state, header.Height, header.TimestampMs, Address.FromPublicKey(header.Producer), txs, like);
        if (ex.Ok) Engine.EndBlock(state, header);
        return ex;
    }

    /// <summary>
    /// Opens a block before its transactions, the one way for import and production alike: the engine's changes
    /// (a new epoch, authority changes taking effect), then the finality record's (a checkpoint joins it).
    /// </summary>
    public void BeginBlock(StateOverlay state, BlockHeader header)
    {
        Engine.BeginBlock(state, header);
        Finality.FinalityRecord.BeginBlock(Spec, state, header);
    }

    /// <summary>Credits the block reward, and the fees when the spec gives them to the producer (else burns them).</summary>
    public TxRejection CreditProducer(StateOverlay state, Address producer, ulong fees)
    {
        ulong credit = Spec.BlockReward;
        if (Spec.FeePolicy == FeePolicy.Producer)
        {
            credit += fees;
            if (credit < fees) return new(TxError.Overflow, "reward plus fees overflow");
        }
        else if (!SystemAccounts.Burn(state, fees)) return new(TxError.Overflow, "the burnt total would overflow");
        if (credit == 0) return TxRejection.Ok;
        var p = state.Get(producer);
        if (p.Balance > ulong.MaxValue - credit) return new(TxError.Overflow, "producer balance would overflow");
        state.Set(producer, p with { Balance = p.Balance + credit });
        return TxRejection.Ok;
    }
}

/// <summary>The result of executing a block body.</summary>
public sealed record BlockExecution(bool Ok, IReadOnlyList<Receipt> Receipts, string? Error, TxError Cause)
{
    public static BlockExecution Succeeded(IReadOnlyList<Receipt> receipts) => new(true, receipts, null, TxError.None);
    public static BlockExecution Failed(string error, TxError cause) => new(false, [], error, cause);
}
