using Chainlab.Core.Crypto;

namespace Chainlab.Core.Merkle;

/// <summary>
/// Binary Merkle tree over an ordered list of leaves, shaped as in RFC 6962: leaf = H(0x00 ‖ item),
/// node = H(0x01 ‖ left ‖ right), and an unpaired last node is promoted unchanged (never duplicated,
/// which avoids Bitcoin's CVE-2012-2459 ambiguity). The empty tree's root is all zeros.
/// </summary>
public static class MerkleTree
{
    public const byte LeafPrefix = 0x00;
    public const byte NodePrefix = 0x01;

    public static Hash LeafHash(in Hash item)
    {
        Span<byte> buf = stackalloc byte[1 + Hash.Size];
        buf[0] = LeafPrefix;
        item.WriteTo(buf[1..]);
        return Hash.Sha256(buf);
    }

    public static Hash Root(ReadOnlySpan<Hash> items)
    {
        if (items.Length == 0) return Hash.Zero;
        // A pooled working level: a block's thousands of leaves would otherwise be a large-object allocation per root.
        var level = System.Buffers.ArrayPool<Hash>.Shared.Rent(items.Length);
        try
        {
            for (var i = 0; i < items.Length; i++) level[i] = LeafHash(items[i]);
            var n = items.Length;
            while (n > 1)
            {
                var m = 0;
                for (var i = 0; i < n; i += 2)
                    level[m++] = i + 1 < n ? Hash.Combine(NodePrefix, level[i], level[i + 1]) : level[i];
                n = m;
            }
            return level[0];
        }
        finally { System.Buffers.ArrayPool<Hash>.Shared.Return(level); }
    }

    /// <summary>The sibling hashes from the leaf up to the root for the item at index.</summary>
    public static MerkleProof Prove(ReadOnlySpan<Hash> items, int index)
    {
        if ((uint)index >= (uint)items.Length) throw new ArgumentOutOfRangeException(nameof(index));
        var level = new Hash[items.Length];
        for (var i = 0; i < items.Length; i++) level[i] = LeafHash(items[i]);
        var path = new List<Hash>();
        int n = level.Length, pos = index;
        while (n > 1)
        {
            var sibling = pos ^ 1;
            if (sibling < n) path.Add(level[sibling]);
            var m = 0;
            for (var i = 0; i < n; i += 2)
                level[m++] = i + 1 < n ? Hash.Combine(NodePrefix, level[i], level[i + 1]) : level[i];
            n = m;
            pos >>= 1;
        }
        return new MerkleProof(index, items.Length, path);
    }

    /// <summary>Checks that item sits at proof.Index in a tree of proof.LeafCount leaves with this root.</summary>
    public static bool Verify(in Hash root, in Hash item, MerkleProof proof)
    {
        if (proof.LeafCount <= 0 || (uint)proof.Index >= (uint)proof.LeafCount) return false;
        var h = LeafHash(item);
        int n = proof.LeafCount, pos = proof.Index, used = 0;
        while (n > 1)
        {
            var sibling = pos ^ 1;
            if (sibling < n)
            {
                if (used >= proof.Path.Count) return false;
                h = (pos & 1) == 0 ? Hash.Combine(NodePrefix, h, proof.Path[used]) : Hash.Combine(NodePrefix, proof.Path[used], h);
                used++;
            }
            n = (n + 1) / 2;
            pos >>= 1;
        }
        return used == proof.Path.Count && h == root;
    }
}
