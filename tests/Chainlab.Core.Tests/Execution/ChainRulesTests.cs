using Chainlab.Core.Rules;
using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Execution;

public sealed class ChainRulesTests
{
    private readonly KeyPair[] _k = Build.Keys(3);
    private ChainSpec Spec => Build.Spec(_k, balance: 1000, reward: 10);

    private TxRejection Apply(Transaction tx, out StateOverlay overlay)
    {
        overlay = new StateOverlay(Spec.GenesisState());
        return ChainRules.For(Spec).Apply(overlay, tx);
    }

    [Fact]
    public void A_transfer_moves_amount_charges_fee_and_bumps_nonce()
    {
        var r = Apply(Build.Transfer(_k[0], _k[1].Address, 100, 0, fee: 2), out var s);
        Assert.True(r.IsOk, r.Detail);
        Assert.Equal(new Account(898, 1, 0), s.Get(_k[0].Address));
        Assert.Equal(new Account(1100, 0, 0), s.Get(_k[1].Address));
    }

    [Theory]
    [InlineData(FeePolicy.Producer)]
    [InlineData(FeePolicy.Burn)]
    public void Fees_go_to_the_producer_or_to_the_burnt_account_and_the_supply_holds_exactly(FeePolicy policy)
    {
        var spec = Spec with { FeePolicy = policy };
        var state = new StateOverlay(spec.GenesisState());
        var producer = _k[2].Address;
        var txs = new[] { Build.Transfer(_k[0], _k[1].Address, 100, 0, fee: 2), Build.Transfer(_k[1], _k[0].Address, 5, 0, fee: 3) };
        var ex = ChainRules.For(spec).ExecuteTransactions(state, 1, spec.GenesisTimeMs + spec.BlockTimeMs, producer, txs);
        Assert.True(ex.Ok, ex.Error);
        var burnt = policy == FeePolicy.Burn ? 5UL : 0UL;
        Assert.Equal(1000 + spec.BlockReward + 5 - burnt, state.Get(producer).Balance);
        Assert.Equal(burnt, state.Get(SystemAccounts.Burned).Balance);
        // Coins in keyed accounts plus the burnt ones: genesis plus the one reward.
        var inAccounts = _k.Aggregate(0UL, (sum, k) => sum + state.Get(k.Address).Balance);
        Assert.Equal(3000 + spec.BlockReward, inAccounts + state.Get(SystemAccounts.Burned).Balance);
    }

    [Fact]
    public void No_transfer_may_send_coins_to_the_chains_reserved_accounts()
    {
        foreach (var reserved in new[] { SystemAccounts.Burned, SystemAccounts.Validators, SystemAccounts.Authorities })
        {
            var r = ChainRules.For(Spec).CheckStateless(Build.Transfer(_k[0], reserved, 5, 0));
            Assert.Equal(TxError.Malformed, r.Error);
            Assert.Contains("reserved", r.Detail);
        }
    }

    [Theory]
    [InlineData(TxError.NonceTooLow)]
    [InlineData(TxError.NonceGap)]
    [InlineData(TxError.InsufficientBalance)]
    [InlineData(TxError.FeeTooLow)]
    [InlineData(TxError.ZeroAmount)]
    [InlineData(TxError.WrongChain)]
    [InlineData(TxError.Overflow)]
    [InlineData(TxError.InsufficientStake)]
    [InlineData(TxError.UnsupportedKind)]
    public void Each_rejection_cause_is_reported_and_changes_nothing(TxError expected)
    {
        var spec = Spec;
        var baseState = spec.GenesisState();
        var first = new StateOverlay(baseState);
        Assert.True(ChainRules.For(spec).Apply(first, Build.Transfer(_k[0], _k[1].Address, 1, 0)).IsOk);
        baseState.Apply(first.Changes);
        var to = _k[1].Address;
        var tx = expected switch
        {
            TxError.NonceTooLow => Build.Transfer(_k[0], to, 1, 0),
            TxError.NonceGap => Build.Transfer(_k[0], to, 1, 5),
            TxError.InsufficientBalance => Build.Transfer(_k[0], to, 999, 1),
            TxError.FeeTooLow => Build.Transfer(_k[0], to, 1, 1, fee: 0),
            TxError.ZeroAmount => Build.Transfer(_k[0], to, 0, 1),
            TxError.WrongChain => Build.Transfer(_k[0], to, 1, 1, chain: "other"),
            TxError.Overflow => Build.Transfer(_k[0], to, ulong.MaxValue, 1, fee: 2),
            TxError.InsufficientStake => Transaction.Create(_k[0], "test-chain", TxKind.Unstake, 1, 1, Address.Zero, 5),
            TxError.UnsupportedKind => Transaction.Create(_k[0], "test-chain", TxKind.Deploy, 1, 1, Address.Zero, 0, [1]),
            _ => throw new InvalidOperationException(),
        };
        var before = baseState.Root;
        var overlay = new StateOverlay(baseState);
        var r = ChainRules.For(spec).Apply(overlay, tx);
        Assert.Equal(expected, r.Error);
        Assert.False(string.IsNullOrWhiteSpace(r.Detail));
        Assert.Empty(overlay.Changes);
        Assert.Equal(before, baseState.Root);
    }

    [Fact]
    public void Stake_and_unstake_move_between_balance_and_stake()
    {
        var spec = Spec;
        var s = new StateOverlay(spec.GenesisState());
        Assert.True(ChainRules.For(spec).Apply(s, Transaction.Create(_k[0], "test-chain", TxKind.Stake, 0, 1, Address.Zero, 300)).IsOk);
        Assert.Equal(new Account(699, 1, 300), s.Get(_k[0].Address));
        Assert.True(ChainRules.For(spec).Apply(s, Transaction.Create(_k[0], "test-chain", TxKind.Unstake, 1, 1, Address.Zero, 100)).IsOk);
        Assert.Equal(new Account(798, 2, 200), s.Get(_k[0].Address));
    }

    [Fact]
    public void Block_execution_pays_reward_and_fees_to_the_producer_and_undo_restores_the_root()
    {
        var spec = Spec;
        var world = spec.GenesisState();
        var genesisRoot = world.Root;
        var txs = new[] { Build.Transfer(_k[1], _k[2].Address, 10, 0, fee: 3), Build.Transfer(_k[2], _k[1].Address, 5, 0, fee: 4) };
        var overlay = new StateOverlay(world);
        var ex = ChainRules.For(spec).ExecuteTransactions(overlay, 1, 0, _k[0].Address, txs);
        Assert.True(ex.Ok, ex.Error);
        Assert.Equal(2, ex.Receipts.Count);
        Assert.Equal(1000UL + 10 + 7, overlay.Get(_k[0].Address).Balance);
        var undo = world.Apply(overlay.Changes);
        Assert.NotEqual(genesisRoot, world.Root);
        world.Revert(undo);
        Assert.Equal(genesisRoot, world.Root);
    }

    [Fact]
    public void Known_receipts_are_used_only_where_they_equal_what_the_transactions_did_here_and_the_state_is_the_same_either_way()
    {
        var spec = Spec;
        var txs = new[] { Build.Transfer(_k[1], _k[2].Address, 10, 0, fee: 3), Build.Transfer(_k[2], _k[1].Address, 5, 0, fee: 4), Build.Transfer(_k[1], _k[0].Address, 1, 1, fee: 2) };
        var plain = new StateOverlay(spec.GenesisState());
        var first = ChainRules.For(spec).ExecuteTransactions(plain, 1, 0, _k[0].Address, txs);
        Assert.True(first.Ok, first.Error);
        // Another node's receipts, one of them differing in its fee: the equal ones are reused, the other made anew.
        var known = first.Receipts.ToArray();
        known[1] = known[1] with { FeePaid = 99 };
        var again = new StateOverlay(spec.GenesisState());
        var second = ChainRules.For(spec).ExecuteTransactions(again, 1, 0, _k[0].Address, txs, known);
        Assert.True(second.Ok, second.Error);
        Assert.Same(known[0], second.Receipts[0]);
        Assert.Same(known[2], second.Receipts[2]);
        Assert.NotSame(known[1], second.Receipts[1]);
        Assert.Equal(first.Receipts, second.Receipts);
        Assert.Equal(plain.Changes.OrderBy(kv => kv.Key.ToString()), again.Changes.OrderBy(kv => kv.Key.ToString()));
        // Receipts of another length (another block) are not looked at; a transaction that fails here fails all the same.
        var third = ChainRules.For(spec).ExecuteTransactions(new StateOverlay(spec.GenesisState()), 1, 0, _k[0].Address, txs, known[..2]);
        Assert.Equal(first.Receipts, third.Receipts);
        Assert.DoesNotContain(third.Receipts, r => known.Contains(r, ReferenceEqualityComparer.Instance));
        var broken = ChainRules.For(spec).ExecuteTransactions(new StateOverlay(spec.GenesisState()), 1, 0, _k[0].Address, [txs[0], txs[0]], [first.Receipts[0], first.Receipts[0]]);
        Assert.False(broken.Ok);
    }

    [Fact]
    public void A_block_with_one_bad_transaction_fails_as_a_whole()
    {
        var spec = Spec;
        var overlay = new StateOverlay(spec.GenesisState());
        var txs = new[] { Build.Transfer(_k[1], _k[2].Address, 10, 0), Build.Transfer(_k[1], _k[2].Address, 10, 0) };
        var ex = ChainRules.For(spec).ExecuteTransactions(overlay, 1, 0, _k[0].Address, txs);
        Assert.False(ex.Ok);
        Assert.Equal(TxError.NonceTooLow, ex.Cause);
    }

    [Theory]
    [InlineData("poa", new[] { TxKind.Transfer, TxKind.Stake, TxKind.Unstake, TxKind.AuthorityChange, TxKind.FileAnchor })]
    [InlineData("pos", new[] { TxKind.Transfer, TxKind.Stake, TxKind.Unstake, TxKind.Evidence, TxKind.FileAnchor })]
    [InlineData("pow", new[] { TxKind.Transfer, TxKind.Stake, TxKind.Unstake, TxKind.FileAnchor })]
    public void Each_engine_contributes_the_kinds_it_owns(string engine, TxKind[] kinds)
    {
        var spec = Spec with { Consensus = Spec.Consensus with { Engine = engine, InitialDifficulty = 1, RetargetInterval = 10 } };
        var rules = ChainRules.For(spec);
        Assert.Equal(kinds, rules.Kinds);
        Assert.Equal(engine == "pos", rules.Engine.PunishesEquivocation);
        var evidence = Transaction.Create(_k[0], "test-chain", TxKind.Evidence, 0, 1, Address.Zero, 0, [1]);
        Assert.Equal(engine == "pos" ? TxError.InvalidEvidence : TxError.UnsupportedKind, rules.CheckStateless(evidence).Error);
    }

    /// <summary>A made-up kind: burns its amount. All a new kind needs is a class like this and its registration.</summary>
    private sealed class BurnRules : ITransactionRules
    {
        public TxKind Kind => TxKind.Deploy;
        public bool CheckedAtAdmission => false;
        public ulong Moved(Transaction tx) => tx.Amount;
        public TxRejection CheckStateless(Transaction tx, ChainSpec spec) =>
            tx.Amount == 0 ? new(TxError.ZeroAmount, "burn something") : TxRejection.Ok;
        public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
        {
            state.Set(tx.Sender, after);
            return TxRejection.Ok;
        }
    }

    [Fact]
    public void A_new_kind_is_one_rules_class_registered_with_the_chain()
    {
        var spec = Spec;
        var burn = Transaction.Create(_k[0], "test-chain", TxKind.Deploy, 0, 1, Address.Zero, 100);
        Assert.Equal(TxError.UnsupportedKind, ChainRules.For(spec).Apply(new StateOverlay(spec.GenesisState()), burn).Error);
        var rules = new ChainRules(spec, ConsensusEngines.For(spec), [new BurnRules()]);
        var s = new StateOverlay(spec.GenesisState());
        Assert.True(rules.Apply(s, burn).IsOk);
        Assert.Equal(new Account(899, 1, 0), s.Get(_k[0].Address)); // fee and amount gone, nonce advanced
        Assert.Equal(TxError.ZeroAmount, rules.CheckStateless(Transaction.Create(_k[0], "test-chain", TxKind.Deploy, 1, 1, Address.Zero, 0)).Error);
    }

    [Fact]
    public void Genesis_hash_depends_on_the_spec()
    {
        var a = Spec.GenesisBlock().Hash;
        Assert.Equal(a, Spec.GenesisBlock().Hash);
        Assert.NotEqual(a, (Spec with { BlockReward = 11 }).GenesisBlock().Hash);
        Assert.NotEqual(a, (Spec with { ChainId = "x" }).GenesisBlock().Hash);
    }

    [Fact]
    public void Spec_json_round_trips_and_rejects_unknown_fields()
    {
        var json = Spec.ToJson();
        var back = ChainSpec.FromJson(json);
        Assert.Equal(Spec.GenesisBlock().Hash, back.GenesisBlock().Hash);
        Assert.Throws<FormatException>(() => ChainSpec.FromJson(json.Replace("\"chainId\"", "\"bogus\": 1, \"chainId\"")));
        Assert.Throws<FormatException>(() => ChainSpec.FromJson("{"));
    }
}
