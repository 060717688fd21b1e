using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;

namespace Chainlab.Core.Tests.Merkle;

public sealed class MerkleTreeTests
{
    private static Hash[] Items(int n, int seed) =>
        Enumerable.Range(0, n).Select(i => Hash.Sha256(BitConverter.GetBytes(i * 31 + seed))).ToArray();

    // The reference shape from RFC 6962 section 2.1: split at the largest power of two below n.
    private static Hash Rfc6962(ReadOnlySpan<Hash> d)
    {
        if (d.Length == 1) return MerkleTree.LeafHash(d[0]);
        var k = 1; while (k * 2 < d.Length) k *= 2;
        return Hash.Combine(0x01, Rfc6962(d[..k]), Rfc6962(d[k..]));
    }

    [Fact]
    public void Root_matches_the_rfc6962_definition()
    {
        for (var n = 1; n <= 70; n++) Assert.Equal(Rfc6962(Items(n, n)), MerkleTree.Root(Items(n, n)));
        Assert.Equal(Hash.Zero, MerkleTree.Root([]));
    }

    [Fact]
    public void Every_leaf_proof_verifies_and_tampered_ones_fail()
    {
        var rng = new Random(3);
        foreach (var n in new[] { 1, 2, 3, 5, 8, 13, 64, 100, 257 })
        {
            var items = Items(n, 9);
            var root = MerkleTree.Root(items);
            for (var i = 0; i < n; i++)
            {
                var proof = MerkleTree.Prove(items, i);
                Assert.True(MerkleTree.Verify(root, items[i], proof));
                Assert.False(MerkleTree.Verify(root, Hash.Sha256("x"u8), proof));
                if (n > 1)
                {
                    Assert.False(MerkleTree.Verify(root, items[i], proof with { Index = (i + 1) % n }));
                    var path = proof.Path.ToArray();
                    var j = rng.Next(path.Length);
                    path[j] = Hash.Sha256(path[j].ToArray());
                    Assert.False(MerkleTree.Verify(root, items[i], proof with { Path = path }));
                    Assert.False(MerkleTree.Verify(root, items[i], proof with { Path = proof.Path.Skip(1).ToArray() }));
                }
            }
        }
    }

    [Fact]
    public void Duplicating_the_last_leaf_changes_the_root()
    {
        var items = Items(3, 1);
        Assert.NotEqual(MerkleTree.Root(items), MerkleTree.Root([.. items, items[2]]));
    }
}
