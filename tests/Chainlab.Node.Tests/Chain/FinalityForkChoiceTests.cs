using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;

namespace Chainlab.Node.Tests.Chain;

/// <summary>
/// Fork choice respects finality: once a checkpoint is final on a node, no block at or below it from another
/// branch is taken, and a heavier branch that forks below it never becomes the chain.
/// </summary>
public sealed class FinalityForkChoiceTests : IAsyncLifetime
{
    private readonly KeyPair[] _authorities = Build.Keys(2, seed: 17);
    private TestNode _x = null!, _y = null!, _z = null!;
    private readonly Dictionary<Address, ulong> _nonces = new();

    public async Task InitializeAsync()
    {
        var all = Build.Keys(5, seed: 99); // the keys TestNode funds and signs with
        var spec = TestNode.SpecFor(all[0], all[1..]) with
        {
            Consensus = Build.Authorities(_authorities),
            Finality = new FinalitySpec { CheckpointInterval = 2, VoteDepth = 1 },
        };
        _x = await TestNode.StartAsync(spec: spec);
        _y = await TestNode.StartAsync(spec: spec);
        _z = await TestNode.StartAsync(spec: spec);
    }

    public async Task DisposeAsync()
    {
        await _x.DisposeAndDeleteAsync();
        await _y.DisposeAndDeleteAsync();
        await _z.DisposeAndDeleteAsync();
    }

    /// <summary>Both authorities vote source → target in vote transactions admitted to X's mempool.</summary>
    private void BothVote(ulong source, ulong target)
    {
        Checkpoint At(ulong h) => new(h, _x.Node.Store.HeaderByHeight(h)!.Hash);
        foreach (var k in _authorities)
        {
            var nonce = _nonces.GetValueOrDefault(k.Address);
            _nonces[k.Address] = nonce + 1;
            var tx = Transaction.Create(k, _x.Node.Chain.Spec.ChainId, TxKind.Vote, nonce, 0, Address.Zero, 0,
                VoteBatch.Encode([Vote.Create(k, _x.Node.Chain.Spec.ChainId, At(source), At(target))]));
            var a = _x.Node.Pool.Admit([tx.Raw])[0];
            Assert.True(a.Accepted, a.Result.Detail);
        }
    }

    [Fact]
    public async Task A_block_at_or_below_the_final_checkpoint_from_another_branch_is_refused_and_a_heavier_branch_forking_below_it_never_wins()
    {
        // Y builds a branch of its own from genesis (authority 1); X takes its first two blocks as side blocks. Z
        // builds another, with a transfer in its first block so that it differs from every other.
        var ys = new List<Block>();
        for (var i = 0; i < 8; i++) ys.Add(await _y.Driver.ProduceAsync(_authorities[1]));
        Assert.All(_z.Node.Pool.Admit([_z.Transfer(2, 3, 5, 0).Raw]), a => Assert.True(a.Accepted, a.Result.Detail));
        var z1 = await _z.Driver.ProduceAsync(_authorities[1]);
        for (var i = 0; i < 3; i++) await _x.Driver.ProduceAsync(_authorities[0]); // X: 1, 2 (checkpoint), 3
        Assert.Equal(ImportStatus.Side, (await _x.Driver.ImportAsync(ys[0])).Status);
        Assert.Equal(ImportStatus.Side, (await _x.Driver.ImportAsync(ys[1])).Status);

        // X finalises checkpoint 2: 0 → 2 justifies it, 2 → 4 finalises it.
        BothVote(0, 2);
        await _x.Driver.ProduceAsync(_authorities[0]); // 4 (checkpoint), holding the votes for 2
        await _x.Driver.ProduceAsync(_authorities[0]); // 5: checkpoint 4 joins the record
        BothVote(2, 4);
        await _x.Driver.ProduceAsync(_authorities[0]); // 6
        Assert.Equal(2UL, _x.Node.Chain.LastFinalised()!.Value.Height);

        // Z's block 1 lies below the final checkpoint on another branch: refused.
        var r = await _x.Driver.ImportAsync(z1);
        Assert.Equal(ImportStatus.Rejected, r.Status);
        Assert.Contains("conflicts with the finalised checkpoint", r.Reason);

        // Y's branch grows longer (8 blocks to X's 6) and would win by weight; it forks at genesis, below the final checkpoint.
        var head = _x.Node.Chain.Head.Hash;
        var results = new List<ImportResult>();
        foreach (var b in ys.Skip(2)) results.Add(await _x.Driver.ImportAsync(b));
        Assert.Contains(results, x => x.Status == ImportStatus.Rejected && x.Reason!.Contains("forks at 0, below the finalised checkpoint"));
        Assert.Equal(head, _x.Node.Chain.Head.Hash);
        Assert.Equal(0, _x.Node.Chain.Reorgs.Count);
    }
}
