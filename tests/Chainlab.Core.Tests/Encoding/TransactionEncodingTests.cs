using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;

namespace Chainlab.Core.Tests.Encoding;

public sealed class TransactionEncodingTests
{
    [Fact]
    public void Random_transactions_round_trip_byte_for_byte()
    {
        var rng = new Random(42);
        var keys = Build.Keys(8);
        for (var i = 0; i < 300; i++)
        {
            var payload = new byte[rng.Next(0, 3) == 0 ? rng.Next(0, 2000) : 0];
            rng.NextBytes(payload);
            var kind = (TxKind)rng.Next(1, 9);
            var tx = Transaction.Create(keys[rng.Next(keys.Length)], "c" + rng.Next(1000), kind,
                (ulong)rng.NextInt64(), (ulong)rng.NextInt64(), keys[rng.Next(keys.Length)].Address, (ulong)rng.NextInt64(), payload);
            var back = Transaction.Decode(tx.Raw);
            Assert.Equal(tx.Raw, back.Raw);
            Assert.Equal(tx.Hash, back.Hash);
            Assert.Equal(tx.Nonce, back.Nonce);
            Assert.Equal(tx.Amount, back.Amount);
            Assert.Equal(tx.To, back.To);
            Assert.Equal(kind, back.Kind);
            Assert.True(back.VerifySignature());
        }
    }

    [Fact]
    public void Decode_rejects_truncated_trailing_and_unknown_input()
    {
        var k = Build.Keys(2);
        var raw = Build.Transfer(k[0], k[1].Address, 5, 0).Raw;
        for (var cut = 0; cut < raw.Length; cut += 5)
            Assert.Throws<DecodeException>(() => Transaction.Decode(raw.AsSpan(0, cut)));
        Assert.Throws<DecodeException>(() => Transaction.Decode([.. raw, 0]));
        var badVersion = (byte[])raw.Clone(); badVersion[0] = 2;
        Assert.Contains("version", Assert.Throws<DecodeException>(() => Transaction.Decode(badVersion)).Message);
        var badKind = (byte[])raw.Clone(); badKind[1] = 99;
        Assert.Contains("kind", Assert.Throws<DecodeException>(() => Transaction.Decode(badKind)).Message);
        // A length prefix that lies: chain id claims 4 GB.
        var lying = (byte[])raw.Clone(); lying[2] = 0xff;
        Assert.Throws<DecodeException>(() => Transaction.Decode(lying));
        Assert.Throws<DecodeException>(() => Transaction.Decode(new byte[Limits.MaxTransactionBytes + 1]));
    }

    [Fact]
    public void Tampering_with_any_signed_field_breaks_the_signature()
    {
        var k = Build.Keys(2);
        var raw = Build.Transfer(k[0], k[1].Address, 5, 0).Raw;
        var rng = new Random(7);
        for (var i = 0; i < 100; i++)
        {
            var t = (byte[])raw.Clone();
            var pos = rng.Next(2, raw.Length);
            t[pos] ^= (byte)(1 << rng.Next(8));
            Transaction tx;
            try { tx = Transaction.Decode(t); } catch (DecodeException) { continue; }
            Assert.False(tx.VerifySignature());
        }
    }

    [Fact]
    public void Blocks_round_trip_and_reject_lies_about_counts()
    {
        var k = Build.Keys(3);
        var txs = Enumerable.Range(0, 20).Select(i => Build.Transfer(k[i % 3], k[(i + 1) % 3].Address, 1, (ulong)i)).ToArray();
        var header = new BlockHeader(7, Hash.Sha256("p"u8), 123, k[0].PublicKey, Block.ComputeTxRoot(txs), Hash.Zero, Hash.Zero, 20, new byte[64]);
        var block = new Block(header, txs, [new byte[] { 1, 2, 3 }]);
        var bytes = block.Encode();
        var back = Block.Decode(bytes);
        Assert.Equal(block.Hash, back.Hash);
        Assert.Equal(bytes, back.Encode());
        Assert.Equal(20, back.Transactions.Count);
        Assert.Throws<DecodeException>(() => Block.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<DecodeException>(() => Block.Decode([.. bytes, 9]));
        // Claim a huge transaction count right after the header.
        var headerLen = 4 + header.Encode().Length;
        var lying = (byte[])bytes.Clone();
        lying[headerLen] = 0x7f;
        Assert.Throws<DecodeException>(() => Block.Decode(lying));
    }

    [Fact]
    public void A_blocks_transaction_root_is_computed_once_per_block_and_a_copy_with_other_transactions_has_its_own()
    {
        var k = Build.Keys(3);
        var txs = Enumerable.Range(0, 300).Select(i => Build.Transfer(k[i % 3], k[(i + 1) % 3].Address, 1, (ulong)i)).ToArray();
        var header = new BlockHeader(7, Hash.Sha256("p"u8), 123, k[0].PublicKey, Block.ComputeTxRoot(txs), Hash.Zero, Hash.Zero, 300, new byte[64]);
        var block = new Block(header, txs, []);
        var twin = new Block(header, txs, []);
        Assert.Equal(header.TxRoot, block.ComputedTxRoot());
        Assert.Equal(block.ComputedTxRoot(), block.ComputedTxRoot());
        // The memo is no part of a block's equality: one that computed its root equals one that did not.
        Assert.Equal(twin, block);
        Assert.Equal(twin.GetHashCode(), block.GetHashCode());
        var fewer = block with { Transactions = txs[..299] };
        Assert.Equal(Block.ComputeTxRoot(txs[..299]), fewer.ComputedTxRoot());
        Assert.NotEqual(block.ComputedTxRoot(), fewer.ComputedTxRoot());
        Assert.NotEqual(block, fewer);
        // Roots of many sizes agree with a root computed leaf by leaf from the definition (pooled arrays come back dirty).
        for (var n = 0; n <= 40; n++)
        {
            var leaves = txs[..n].Select(t => Chainlab.Core.Merkle.MerkleTree.LeafHash(t.Hash)).ToList();
            while (leaves.Count > 1)
                leaves = leaves.Chunk(2).Select(p => p.Length == 2 ? Hash.Combine(Chainlab.Core.Merkle.MerkleTree.NodePrefix, p[0], p[1]) : p[0]).ToList();
            Assert.Equal(n == 0 ? Hash.Zero : leaves[0], Block.ComputeTxRoot(txs[..n]));
        }
    }
}
