using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Core.State;

/// <summary>
/// The rules of the chain, in one place: stateless checks every transaction must pass anywhere
/// (mempool, block import), and the state changes a valid transaction or block causes.
/// </summary>
public static class StateTransition
{
    /// <summary>Checks that need no state: chain, kind, amount, fee. The signature is checked separately.</summary>
    public static TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (tx.ChainId != spec.ChainId)
            return new(TxError.WrongChain, $"transaction is for chain '{tx.ChainId}', this node runs '{spec.ChainId}'");
        switch (tx.Kind)
        {
            case TxKind.Transfer:
                if (tx.Amount == 0) return new(TxError.ZeroAmount, "a transfer must move a positive amount");
                if (tx.Payload.Length != 0) return new(TxError.Malformed, "a transfer carries no payload");
                break;
            case TxKind.Stake:
            case TxKind.Unstake:
                if (tx.Amount == 0) return new(TxError.ZeroAmount, $"{tx.Kind.ToString().ToLowerInvariant()} needs a positive amount");
                if (!tx.To.IsZero || tx.Payload.Length != 0) return new(TxError.Malformed, $"{tx.Kind} has no recipient and no payload");
                break;
            default:
                if (ConsensusEngines.CheckStateless(tx, spec) is not { } owned)
                    return new(TxError.UnsupportedKind, $"transaction kind {tx.Kind} is not enabled on this chain");
                if (!owned.IsOk) return owned;
                break;
        }
        if (tx.Fee < spec.MinFee) return new(TxError.FeeTooLow, $"fee {tx.Fee} is below the minimum of {spec.MinFee}");
        return TxRejection.Ok;
    }

    /// <summary>What the transaction takes from the sender's balance (amount for transfer/stake, plus fee).</summary>
    public static bool TryDebit(Transaction tx, out ulong debit)
    {
        ulong moved = tx.Kind is TxKind.Transfer or TxKind.Stake ? tx.Amount : 0;
        debit = moved + tx.Fee;
        return debit >= moved; // false on overflow
    }

    /// <summary>Applies one transaction to the overlay, in a block at this height. On rejection nothing is written.</summary>
    public static TxRejection Apply(StateOverlay state, Transaction tx, ChainSpec spec, ulong height = 0)
    {
        var stateless = CheckStateless(tx, spec);
        if (!stateless.IsOk) return stateless;
        var sender = state.Get(tx.Sender);
        if (tx.Nonce < sender.Nonce) return new(TxError.NonceTooLow, $"nonce {tx.Nonce} was already used; next is {sender.Nonce}");
        if (tx.Nonce > sender.Nonce) return new(TxError.NonceGap, $"nonce {tx.Nonce} skips ahead; next is {sender.Nonce}");
        if (!TryDebit(tx, out var debit)) return new(TxError.Overflow, "amount plus fee overflows");
        if (sender.Balance < debit)
            return new(TxError.InsufficientBalance, $"balance {sender.Balance} is less than amount plus fee {debit}");

        var after = sender with { Balance = sender.Balance - debit, Nonce = sender.Nonce + 1 };
        if (ConsensusEngines.Apply(state, tx, after, spec, height) is { } byEngine) return byEngine;
        switch (tx.Kind)
        {
            case TxKind.Transfer:
                if (tx.To == tx.Sender)
                {
                    after = after with { Balance = after.Balance + tx.Amount };
                    state.Set(tx.Sender, after);
                    return TxRejection.Ok;
                }
                var to = state.Get(tx.To);
                if (to.Balance > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "recipient balance would overflow");
                state.Set(tx.Sender, after);
                state.Set(tx.To, to with { Balance = to.Balance + tx.Amount });
                return TxRejection.Ok;
            case TxKind.Stake:
                if (after.Stake > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "stake would overflow");
                state.Set(tx.Sender, after with { Stake = after.Stake + tx.Amount });
                return TxRejection.Ok;
            case TxKind.Unstake:
                if (sender.Stake < tx.Amount) return new(TxError.InsufficientStake, $"stake {sender.Stake} is less than {tx.Amount}");
                if (after.Balance > ulong.MaxValue - tx.Amount) return new(TxError.Overflow, "balance would overflow");
                state.Set(tx.Sender, after with { Stake = after.Stake - tx.Amount, Balance = after.Balance + tx.Amount });
                return TxRejection.Ok;
            default:
                return new(TxError.UnsupportedKind, $"transaction kind {tx.Kind} is not enabled");
        }
    }

    /// <summary>
    /// Executes a block body on the overlay: every transaction must apply, then fees and the reward
    /// go to the producer as the spec says. Returns receipts or the first failure.
    /// </summary>
    public static BlockExecution ExecuteBlock(StateOverlay state, ulong height, Address producer,
        IReadOnlyList<Transaction> txs, ChainSpec spec)
    {
        var receipts = new Receipt[txs.Count];
        ulong fees = 0;
        for (var i = 0; i < txs.Count; i++)
        {
            var tx = txs[i];
            var r = Apply(state, tx, spec, height);
            if (!r.IsOk) return BlockExecution.Failed($"transaction {i} ({tx.Hash.Short}) is invalid: {r.Detail}", r.Error);
            fees += tx.Fee; // fees come from different balances, so their sum can exceed a u64
            if (fees < tx.Fee) return BlockExecution.Failed("total fees overflow", TxError.Overflow);
            receipts[i] = new Receipt(tx.Hash, height, i, true, tx.Fee, null);
        }
        var credit = CreditProducer(state, producer, fees, spec);
        if (!credit.IsOk) return BlockExecution.Failed(credit.Detail, credit.Error);
        return BlockExecution.Succeeded(receipts);
    }

    /// <summary>
    /// Executes a whole block: the producer must be entitled (checked against the state before the block),
    /// the transactions run, the producer is paid, and the engine makes its own changes.
    /// </summary>
    public static BlockExecution ExecuteBlock(StateOverlay state, BlockHeader header, BlockHeader parent,
        IReadOnlyList<Transaction> txs, ChainSpec spec, IConsensusEngine engine)
    {
        if (engine.VerifyProducer(header, parent, state) is { } notEntitled) return BlockExecution.Failed(notEntitled, TxError.Unauthorised);
        engine.BeginBlock(state, header);
        var ex = ExecuteBlock(state, header.Height, Address.FromPublicKey(header.Producer), txs, spec);
        if (ex.Ok) engine.EndBlock(state, header);
        return ex;
    }

    /// <summary>Credits the block reward, and the fees when the spec gives them to the producer.</summary>
    public static TxRejection CreditProducer(StateOverlay state, Address producer, ulong fees, ChainSpec spec)
    {
        ulong credit = spec.BlockReward;
        if (spec.FeePolicy == FeePolicy.Producer)
        {
            credit += fees;
            if (credit < fees) return new(TxError.Overflow, "reward plus fees overflow");
        }
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
