using Chainlab.Core.Execution;
using Chainlab.Core.Rules;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;

namespace Chainlab.Node.Tests.Chain;

public sealed class ImportPipelineTests : IAsyncLifetime
{
    private TestNode _n = null!;
    public async Task InitializeAsync() => _n = await TestNode.StartAsync();
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    /// <summary>
    /// Builds, by hand and without importing it, a valid child of genesis (where these tests build),
    /// so a test can spoil one field at a time.
    /// </summary>
    private async Task<Block> ValidNextBlock(params Transaction[] txs)
    {
        var chain = _n.Node.Chain;
        var head = chain.Head;
        var slot = chain.Clock.SlotAt(head.TimestampMs) + 1;
        _n.Time.SetTo(DateTimeOffset.FromUnixTimeMilliseconds((long)chain.Clock.StartOf(slot)));
        return await _n.Node.Loop.Run(() =>
        {
            var overlay = new Chainlab.Core.State.StateOverlay(new AccountsView(chain));
            ulong fees = 0;
            foreach (var t in txs) { Assert.True(chain.Rules.Apply(overlay, t).IsOk); fees += t.Fee; }
            chain.Rules.CreditProducer(overlay, _n.Authority.Address, fees);
            var world = chain.Spec.GenesisState();
            foreach (var (a, acc) in overlay.Changes) world.Put(a, acc);
            var unsealed = new BlockHeader(head.Height + 1, head.Hash, chain.Clock.StartOf(slot), _n.Authority.PublicKey,
                Block.ComputeTxRoot(txs), world.Root, Block.ComputeFilesRoot([]), (uint)txs.Length, []);
            return new Block(unsealed with { Seal = chain.Engine.Seal(unsealed, _n.Authority, default)! }, txs, []);
        });
    }

    private sealed class AccountsView(Blockchain chain) : Chainlab.Core.State.IAccountReader
    {
        public Chainlab.Core.State.Account Get(in Address address) => chain.Account(address);
    }

    private async Task<ImportResult> Import(Block b) => await _n.Node.Loop.Run(() => _n.Node.Chain.Import(b));

    private static Block Reseal(Block b, KeyPair key, Func<BlockHeader, BlockHeader> change)
    {
        var h = change(b.Header with { Seal = [] });
        return b with { Header = h with { Seal = key.Sign(h.SealingMessage()) } };
    }

    [Fact]
    public async Task A_valid_block_imports_and_a_second_import_is_known()
    {
        var b = await ValidNextBlock(_n.Transfer(0, 1, 10, 0));
        Assert.Equal(ImportStatus.Imported, (await Import(b)).Status);
        Assert.Equal(ImportStatus.Known, (await Import(b)).Status);
        Assert.Equal(1UL, _n.Node.Chain.Head.Height);
    }

    [Fact]
    public async Task Blocks_with_wrong_roots_seals_or_bodies_are_rejected_and_change_nothing()
    {
        var good = await ValidNextBlock(_n.Transfer(0, 1, 10, 0), _n.Transfer(1, 2, 5, 0));
        var headBefore = _n.Node.Chain.Head;
        var balanceBefore = _n.Node.Chain.Account(_n.Keys[1].Address);
        var stranger = KeyPair.Generate();
        var cases = new (string Why, Block Block, string Expect)[]
        {
            ("state root", Reseal(good, _n.Authority, h => h with { StateRoot = Hash.Sha256("x"u8) }), "state root"),
            ("tx root", Reseal(good, _n.Authority, h => h with { TxRoot = Hash.Sha256("x"u8) }), "transaction root"),
            ("forged seal", good with { Header = good.Header with { Seal = stranger.Sign(good.Header.SealingMessage()) } }, "seal"),
            ("short seal", good with { Header = good.Header with { Seal = new byte[10] } }, "seal"),
            ("non-authority", Reseal(good, stranger, h => h with { Producer = stranger.PublicKey }), "authority"),
            ("tx count", Reseal(good, _n.Authority, h => h with { TxCount = 1 }), "count"),
            ("dropped tx", good with { Transactions = good.Transactions.Take(1).ToList() }, ""),
            ("wrong parent", Reseal(good, _n.Authority, h => h with { Parent = Hash.Sha256("p"u8) }), "parent"),
            ("future", Reseal(good, _n.Authority, h => h with { TimestampMs = h.TimestampMs + 3_600_000 }), "future"),
            ("off-slot time", Reseal(good, _n.Authority, h => h with { TimestampMs = h.TimestampMs + 1 }), "slot"),
        };
        foreach (var (why, block, expect) in cases)
        {
            var r = await Import(block);
            Assert.True(r.Status is ImportStatus.Rejected or ImportStatus.Orphan, $"{why} was not rejected");
            Assert.Contains(expect, r.Reason!);
            Assert.Equal(headBefore.Hash, _n.Node.Chain.Head.Hash);
            Assert.Equal(balanceBefore, _n.Node.Chain.Account(_n.Keys[1].Address));
        }
        Assert.Equal(ImportStatus.Imported, (await Import(good)).Status);
    }

    [Fact]
    public async Task A_block_lists_exactly_the_references_of_its_file_anchors_under_its_files_root()
    {
        var file = new Chainlab.Core.Files.FileRef(Chainlab.Core.Files.Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"), 12, "hello.txt", "text/plain");
        var refs = Chainlab.Core.Execution.FileAnchorRules.BlockRefs([FileTx.Anchor(_n.Keys[0], 0, 1, refs: file)]);
        // References without the anchor that names them.
        var plain = await ValidNextBlock(_n.Transfer(0, 1, 10, 0));
        var r = await Import(Reseal(plain with { FileRefs = refs }, _n.Authority, h => h with { FilesRoot = Block.ComputeFilesRoot(refs) }));
        Assert.Equal(ImportStatus.Rejected, r.Status);
        Assert.Contains("file references", r.Reason!);

        // An anchor whose references the block leaves out; then the same block listing them.
        var withAnchor = await ValidNextBlock(FileTx.Anchor(_n.Keys[0], 0, 1, refs: file));
        r = await Import(withAnchor);
        Assert.Equal(ImportStatus.Rejected, r.Status);
        Assert.Contains("file references", r.Reason!);
        var good = Reseal(withAnchor with { FileRefs = refs }, _n.Authority, h => h with { FilesRoot = Block.ComputeFilesRoot(refs) });
        Assert.Equal(ImportStatus.Imported, (await Import(good)).Status);
        Assert.Single(_n.Node.Store.FileAnchors(_n.Keys[0].Address, 10, 0));
    }

    [Fact]
    public async Task A_block_with_a_bad_signature_or_an_overspend_is_rejected()
    {
        var tampered = _n.Transfer(0, 1, 10, 0).Raw;
        tampered[^3] ^= 1;
        var badSig = Transaction.Decode(tampered);
        var chain = _n.Node.Chain;
        var head = chain.Head;
        var slot = chain.Clock.SlotAt(head.TimestampMs) + 1;
        _n.Time.SetTo(DateTimeOffset.FromUnixTimeMilliseconds((long)chain.Clock.StartOf(slot)));
        var unsealed = new BlockHeader(1, head.Hash, chain.Clock.StartOf(slot), _n.Authority.PublicKey,
            Block.ComputeTxRoot([badSig]), head.StateRoot, Block.ComputeFilesRoot([]), 1, []);
        var block = new Block(unsealed with { Seal = chain.Engine.Seal(unsealed, _n.Authority, default)! }, [badSig], []);
        chain.VerifyAhead(block); // checking ahead (as sync does) must not let a bad signature through
        var r = await Import(block);
        Assert.Contains("bad signature", r.Reason);

        var over = _n.Transfer(0, 1, 5_000_000, 0);
        unsealed = unsealed with { TxRoot = Block.ComputeTxRoot([over]) };
        block = new Block(unsealed with { Seal = chain.Engine.Seal(unsealed, _n.Authority, default)! }, [over], []);
        Assert.Contains("balance", (await Import(block)).Reason);
        Assert.Equal(0UL, chain.Head.Height);
    }
}
