using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;

namespace Chainlab.Node.Tests.Chain;

/// <summary>
/// Two nodes of one PoA chain with two authorities build competing branches; blocks of the other
/// branch are then imported. Fork choice, reorganisation, returned transactions and atomic storage.
/// </summary>
public sealed class ForkChoiceTests : IAsyncLifetime
{
    private readonly KeyPair[] _authorities = Build.Keys(2, seed: 7);
    private TestNode _x = null!, _y = null!;

    public async Task InitializeAsync()
    {
        var all = Build.Keys(5, seed: 99);
        var spec = TestNode.SpecFor(all[0], all[1..]) with
        {
            Consensus = Build.Authorities(_authorities),
        };
        _x = await TestNode.StartAsync(spec: spec);
        _y = await TestNode.StartAsync(spec: spec);
    }

    public async Task DisposeAsync()
    {
        await _x.DisposeAndDeleteAsync();
        await _y.DisposeAndDeleteAsync();
    }

    private static Task<Block> ProduceAs(TestNode n, KeyPair key) => n.Driver.ProduceAsync(key);

    private static Task<ImportResult> Import(TestNode n, Block b) => n.Driver.ImportAsync(b);

    private static void Admit(TestNode n, params Transaction[] txs) =>
        Assert.All(n.Node.Pool.Admit(txs.Select(t => t.Raw).ToList()), a => Assert.True(a.Accepted, a.Result.Detail));

    [Fact]
    public async Task The_heavier_branch_wins_and_transactions_only_on_the_lighter_one_return_to_the_mempool()
    {
        // X: 2 blocks by authority 0, carrying a transfer from account 0.
        var onlyX = _x.Transfer(0, 1, 100, 0);
        var shared = _x.Transfer(2, 3, 7, 0);
        Admit(_x, onlyX, shared);
        var x1 = await ProduceAs(_x, _authorities[0]);
        var x2 = await ProduceAs(_x, _authorities[0]);
        Assert.Equal(2, x1.Transactions.Count);

        // Y: 3 blocks by authority 1 with a different transfer, and the shared one.
        var onlyY = _y.Transfer(1, 0, 30, 0);
        Admit(_y, onlyY, shared);
        var ys = new List<Block>();
        for (var i = 0; i < 3; i++) ys.Add(await ProduceAs(_y, _authorities[1]));

        // Y's first block is lighter than X's chain: kept aside, nothing changes.
        var xRoot = _x.Node.Chain.Head.StateRoot;
        Assert.Equal(ImportStatus.Side, (await Import(_x, ys[0])).Status);
        Assert.Equal(x2.Hash, _x.Node.Chain.Head.Hash);
        Assert.Equal(xRoot, _x.Node.Chain.Head.StateRoot);
        Assert.Equal(ImportStatus.Known, (await Import(_x, ys[0])).Status);

        // Equal weight: the lower tip hash wins; the third block makes Y's branch heavier in any case.
        await Import(_x, ys[1]);
        Assert.Equal(ImportStatus.Imported, (await Import(_x, ys[2])).Status);
        Assert.Equal(ys[2].Hash, _x.Node.Chain.Head.Hash);
        Assert.Equal(_y.Node.Chain.Head.StateRoot, _x.Node.Chain.Head.StateRoot);
        Assert.Equal(_y.Node.Chain.Account(_x.Keys[0].Address), _x.Node.Chain.Account(_x.Keys[0].Address));
        Assert.True(_x.Node.Chain.Reorgs.Count >= 1);
        Assert.Equal(2UL, _x.Node.Chain.Reorgs.Deepest);

        // The transaction only X had is pending again; the shared one is in Y's branch and not pending.
        Assert.True(_x.Node.Pool.Contains(onlyX.Hash));
        Assert.False(_x.Node.Pool.Contains(shared.Hash));
        Assert.Equal(ys[0].Hash, _x.Node.Store.Transaction(shared.Hash)!.BlockHash);
        Assert.Null(_x.Node.Store.Transaction(onlyX.Hash));
        Assert.Equal(ys[1].Hash, _x.Node.Store.HeaderByHeight(2)!.Hash);

        // X's next block re-includes it, on top of Y's branch.
        var x4 = await ProduceAs(_x, _authorities[0]);
        Assert.Equal(ys[2].Hash, x4.Header.Parent);
        Assert.Contains(x4.Transactions, t => t.Hash == onlyX.Hash);

        // Y takes X's block; X's old blocks are now the lighter branch on both nodes.
        Assert.Equal(ImportStatus.Imported, (await Import(_y, x4)).Status);
        Assert.Equal(ImportStatus.Side, (await Import(_y, x1)).Status);
        Assert.Equal(ImportStatus.Side, (await Import(_y, x2)).Status);
        Assert.Equal(x4.Hash, _y.Node.Chain.Head.Hash);
        Assert.Equal(_x.Node.Chain.Head.StateRoot, _y.Node.Chain.Head.StateRoot);
    }

    [Fact]
    public async Task A_reorganisation_survives_a_restart_with_the_state_root_intact()
    {
        Admit(_x, _x.Transfer(0, 1, 100, 0));
        await ProduceAs(_x, _authorities[0]);
        Admit(_y, _y.Transfer(1, 2, 5, 0), _y.Transfer(3, 0, 9, 0));
        var ys = new List<Block>();
        for (var i = 0; i < 2; i++) ys.Add(await ProduceAs(_y, _authorities[1]));
        foreach (var b in ys) await Import(_x, b);
        Assert.Equal(ys[^1].Hash, _x.Node.Chain.Head.Hash);

        var dir = _x.Dir;
        var spec = _x.Spec;
        await _x.DisposeAsync();
        _x = await TestNode.StartAsync(spec: spec, dir: dir);
        Assert.Equal(ys[^1].Hash, _x.Node.Chain.Head.Hash);
        Assert.Equal(_y.Node.Chain.Head.StateRoot, _x.Node.Chain.Head.StateRoot);
        Assert.Equal(_y.Node.Chain.HeadWeight, _x.Node.Chain.HeadWeight);
    }

    [Fact]
    public async Task A_heavier_branch_with_an_invalid_block_is_refused_and_the_chain_stays_as_it_was()
    {
        // X has two blocks (weight 4). Y's branch has three (weight 6); its third has a wrong state root.
        for (var i = 0; i < 2; i++) await ProduceAs(_x, _authorities[0]);
        var ys = new List<Block>();
        for (var i = 0; i < 3; i++) ys.Add(await ProduceAs(_y, _authorities[1]));
        var h = ys[2].Header with { StateRoot = Hash.Sha256("wrong"u8), Seal = [] };
        var bad = ys[2] with { Header = h with { Seal = _authorities[1].Sign(h.SealingMessage()) } };

        Assert.Equal(ImportStatus.Side, (await Import(_x, ys[0])).Status);
        // Y's second block ties X's branch (4 = 4): the lower tip hash decides, either way is fine here.
        Assert.Contains((await Import(_x, ys[1])).Status, new[] { ImportStatus.Side, ImportStatus.Imported });
        var before = _x.Node.Chain.Head;
        var reorgs = _x.Node.Chain.Reorgs.Count;
        var balances = _x.Keys.Select(k => _x.Node.Chain.Account(k.Address)).ToList();

        var r = await Import(_x, bad);
        Assert.Equal(ImportStatus.Rejected, r.Status);
        Assert.Contains("state root", r.Reason);
        Assert.Equal(before.Hash, _x.Node.Chain.Head.Hash);
        Assert.Equal(before.StateRoot, _x.Node.Chain.Head.StateRoot);
        Assert.Equal(balances, _x.Keys.Select(k => _x.Node.Chain.Account(k.Address)).ToList());
        Assert.Equal(reorgs, _x.Node.Chain.Reorgs.Count);

        // The valid version of that block still wins.
        Assert.Equal(ImportStatus.Imported, (await Import(_x, ys[2])).Status);
        Assert.Equal(ys[2].Hash, _x.Node.Chain.Head.Hash);
        Assert.Equal(_y.Node.Chain.Head.StateRoot, _x.Node.Chain.Head.StateRoot);
    }

    [Fact]
    public async Task A_block_whose_parent_is_unknown_is_an_orphan()
    {
        var y1 = await ProduceAs(_y, _authorities[1]);
        var y2 = await ProduceAs(_y, _authorities[1]);
        var r = await Import(_x, y2);
        Assert.Equal(ImportStatus.Orphan, r.Status);
        Assert.Contains("unknown", r.Reason);
        Assert.Equal(ImportStatus.Imported, (await Import(_x, y1)).Status);
        Assert.Equal(ImportStatus.Imported, (await Import(_x, y2)).Status);
    }
}
