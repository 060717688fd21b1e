using Chainlab.Core.Rules;
using Chainlab.Core.Execution;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Tests.Mempool;

public sealed class TransactionPoolTests
{
    private readonly KeyPair[] _k = Build.Keys(6);
    private readonly ChainSpec _spec;
    private readonly WorldState _state;
    private readonly NodeEvents _events = new();

    /// <summary>A chain that is only a committed state: what the pool reads of it.</summary>
    private sealed class StateOnly(ChainSpec spec, WorldState state) : IChainReader
    {
        private readonly BlockHeader _head = spec.GenesisBlock().Header;
        public ChainSpec Spec => spec;
        public CommittedHead Committed => new(_head, state.Freeze());
        public Hash GenesisHash => _head.Hash;
        public BlockHeader Head => _head;
        public IBlockReader Blocks => throw new NotSupportedException();
        public bool IsKnown(in Hash hash, ulong height) => false;
        public string EngineName => "poa";
        public ulong CapClaim(ulong claimed) => claimed;
        public object ConsensusInfo() => new();
        public long CommittedTransactions => 0;
        public ulong HeadWeight => 0;
        public int SideBlocks => 0;
        public (long Count, ulong LastDepth, ulong Deepest) Reorgs => default;
        public long Equivocations => 0;
        public ulong? FinalizedHeight => null;
        public Task<(Account Account, StateProof Proof, BlockHeader Head)> ProveAccountAsync(Address address) => throw new NotSupportedException();
    }

    public TransactionPoolTests()
    {
        _spec = Build.Spec(_k, balance: 1000);
        _state = _spec.GenesisState();
    }

    private TransactionPool Pool(int capacity = 1000, int perSender = 100, ChainSpec? spec = null) =>
        new(ChainRules.For(spec ?? _spec), new StateOnly(spec ?? _spec, _state), new MempoolOptions { Capacity = capacity, PerSenderLimit = perSender }, _events);

    private static TxError Admit(TransactionPool p, Transaction tx) => p.Admit([tx.Raw])[0].Result.Error;

    [Fact]
    public void Selection_keeps_nonce_order_per_sender_and_prefers_higher_fees()
    {
        var p = Pool();
        var to = _k[5].Address;
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], to, 1, 0, fee: 1)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], to, 1, 1, fee: 50)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[1], to, 1, 0, fee: 10)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[2], to, 1, 0, fee: 5)));
        var picked = p.Select(10, 1);
        Assert.Equal(4, picked.Count);
        // k1 (fee 10) first, then k2 (5), then k0's nonce 0 (fee 1) which unlocks its nonce 1 (fee 50).
        Assert.Equal([_k[1].Address, _k[2].Address, _k[0].Address, _k[0].Address], picked.Select(t => t.Sender));
        Assert.Equal([0UL, 1UL], picked.Where(t => t.Sender == _k[0].Address).Select(t => t.Nonce));
        Assert.Equal(2, p.Select(2, 1).Count);
    }

    [Fact]
    public void Nonce_gap_nonce_reuse_duplicates_and_overspending_are_refused()
    {
        var p = Pool();
        var to = _k[5].Address;
        var first = Build.Transfer(_k[0], to, 600, 0);
        Assert.Equal(TxError.None, Admit(p, first));
        Assert.Equal(TxError.Duplicate, Admit(p, first));
        Assert.Equal(TxError.NonceTooLow, Admit(p, Build.Transfer(_k[0], to, 1, 0, fee: 2)));
        Assert.Equal(TxError.NonceGap, Admit(p, Build.Transfer(_k[0], to, 1, 2)));
        // 1000 - 601 pending leaves 399: 400 + 1 fee is too much even though the balance alone covers it.
        Assert.Equal(TxError.InsufficientBalance, Admit(p, Build.Transfer(_k[0], to, 400, 1)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], to, 398, 1)));
        Assert.Equal(2, p.Count);
        Assert.Equal(2UL, p.NextNonce(_k[0].Address));
    }

    [Fact]
    public void A_per_sender_limit_of_one_gives_one_pending_transaction_per_wallet()
    {
        var p = Pool(perSender: 1);
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], _k[1].Address, 1, 0)));
        Assert.Equal(TxError.SenderLimit, Admit(p, Build.Transfer(_k[0], _k[1].Address, 1, 1)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[1], _k[0].Address, 1, 0)));
    }

    [Fact]
    public void When_full_the_lowest_fee_tail_is_evicted_only_for_a_better_fee()
    {
        var p = Pool(capacity: 3);
        var to = _k[5].Address;
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], to, 1, 0, fee: 5)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[1], to, 1, 0, fee: 2)));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[2], to, 1, 0, fee: 7)));
        Assert.Equal(TxError.MempoolFull, Admit(p, Build.Transfer(_k[3], to, 1, 0, fee: 2)));
        var better = Build.Transfer(_k[3], to, 1, 0, fee: 3);
        Assert.Equal(TxError.None, Admit(p, better));
        Assert.Equal(3, p.Count);
        var evicted = Build.Transfer(_k[1], to, 1, 0, fee: 2);
        Assert.False(p.Contains(evicted.Hash));
        Assert.StartsWith("mempool-full", p.RejectionReason(evicted.Hash));
    }

    [Fact]
    public void A_batch_with_bad_signatures_and_garbage_rejects_only_those()
    {
        var p = Pool();
        var good = Build.Transfer(_k[0], _k[1].Address, 1, 0);
        var tampered = (byte[])Build.Transfer(_k[2], _k[1].Address, 1, 0).Raw.Clone();
        tampered[^1] ^= 1;
        var results = p.Admit([good.Raw, tampered, [1, 2, 3], Build.Transfer(_k[3], _k[1].Address, 1, 0).Raw, new byte[Limits.MaxTransactionBytes + 1]]);
        Assert.Equal([TxError.None, TxError.BadSignature, TxError.Malformed, TxError.None, TxError.TooLarge], results.Select(r => r.Result.Error));
        Assert.Equal(2, p.Count);
    }

    [Fact]
    public void Inclusion_delay_holds_transactions_back_until_their_height()
    {
        var p = Pool(spec: _spec with { InclusionDelay = 2 });
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], _k[1].Address, 1, 0)));
        Assert.Empty(p.Select(10, 1));
        Assert.Single(p.Select(10, 2));
    }

    [Fact]
    public void Committed_transactions_leave_the_pool_when_the_chain_says_their_block_connected()
    {
        var p = Pool();
        var txs = Enumerable.Range(0, 5).Select(i => Build.Transfer(_k[0], _k[1].Address, 1, (ulong)i)).ToArray();
        Assert.All(p.Admit(txs.Select(t => t.Raw).ToList()), a => Assert.True(a.Accepted));
        var overlay = new StateOverlay(_state);
        foreach (var t in txs[..3]) Assert.True(ChainRules.For(_spec).Apply(overlay, t).IsOk);
        _state.Apply(overlay.Changes);
        _events.Publish(new BlockConnected(new Block(new BlockHeader(1, Hash.Zero, 0, new byte[32], Hash.Zero, Hash.Zero, Hash.Zero, 3, []), txs[..3], []), []));
        Assert.Equal(2, p.Count);
        Assert.Equal(5UL, p.NextNonce(_k[0].Address));
        Assert.Equal(TxError.None, Admit(p, Build.Transfer(_k[0], _k[1].Address, 1, 5)));
    }
}
