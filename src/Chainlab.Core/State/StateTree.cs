using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>
/// The state commitment: a compact sparse Merkle trie over 256-bit keys (SHA-256 of the address).
/// A subtree holding exactly one leaf is represented by that leaf, whatever its depth; a subtree
/// holding two or more is a branch split on the next key bit. So the shape depends only on the set
/// of keys (never on history), the depth is about log2(n) for hashed keys, and an update rehashes
/// O(log n) nodes. Leaf = H(0x00 ‖ key ‖ valueHash); branch = H(0x01 ‖ left ‖ right); empty = zeros.
/// See docs/decisions/0001-state-commitment.md.
/// </summary>
public sealed class StateTree
{
    private abstract class Node { public Hash Cached; public bool Dirty = true; }
    private sealed class Leaf(Hash key, Hash value) : Node { public readonly Hash Key = key; public Hash Value = value; }
    private sealed class Branch : Node { public Node? Left, Right; }

    private Node? _root;

    public int Count { get; private set; }

    public static Hash LeafHash(in Hash key, in Hash value)
    {
        Span<byte> buf = stackalloc byte[1 + 2 * Hash.Size];
        buf[0] = 0x00;
        key.WriteTo(buf.Slice(1, 32));
        value.WriteTo(buf.Slice(33, 32));
        return Hash.Sha256(buf);
    }

    public static Hash KeyOf(in Address address)
    {
        Span<byte> b = stackalloc byte[Address.Size];
        address.WriteTo(b);
        return Hash.Sha256(b);
    }

    /// <summary>Inserts or replaces the value hash at key.</summary>
    public void Set(in Hash key, in Hash value) => _root = Insert(_root, key, value, 0);

    /// <summary>Removes key if present.</summary>
    public void Remove(in Hash key) => _root = Delete(_root, key, 0);

    public Hash Root => _root is null ? Hash.Zero : HashOf(_root);

    private Node Insert(Node? node, in Hash key, in Hash value, int depth)
    {
        switch (node)
        {
            case null:
                Count++;
                return new Leaf(key, value);
            case Leaf leaf when leaf.Key == key:
                leaf.Value = value;
                leaf.Dirty = true;
                return leaf;
            case Leaf leaf:
            {
                // Split until the two keys part ways.
                var branch = new Branch();
                if (leaf.Key.Bit(depth) == 0) branch.Left = leaf; else branch.Right = leaf;
                return Insert(branch, key, value, depth);
            }
            case Branch b:
                if (key.Bit(depth) == 0) b.Left = Insert(b.Left, key, value, depth + 1);
                else b.Right = Insert(b.Right, key, value, depth + 1);
                b.Dirty = true;
                return b;
            default: throw new InvalidOperationException();
        }
    }

    private Node? Delete(Node? node, in Hash key, int depth)
    {
        switch (node)
        {
            case null: return null;
            case Leaf leaf:
                if (leaf.Key != key) return leaf;
                Count--;
                return null;
            case Branch b:
                if (key.Bit(depth) == 0) b.Left = Delete(b.Left, key, depth + 1);
                else b.Right = Delete(b.Right, key, depth + 1);
                b.Dirty = true;
                // Keep the canonical shape: a subtree with one leaf collapses to that leaf.
                if (b.Left is null && b.Right is null) return null;
                if (b.Left is null && b.Right is Leaf r) return r;
                if (b.Right is null && b.Left is Leaf l) return l;
                return b;
            default: throw new InvalidOperationException();
        }
    }

    private static Hash HashOf(Node node)
    {
        if (!node.Dirty) return node.Cached;
        node.Cached = node switch
        {
            Leaf l => LeafHash(l.Key, l.Value),
            Branch b => Hash.Combine(0x01, b.Left is null ? Hash.Zero : HashOf(b.Left), b.Right is null ? Hash.Zero : HashOf(b.Right)),
            _ => throw new InvalidOperationException(),
        };
        node.Dirty = false;
        return node.Cached;
    }

    /// <summary>
    /// A proof for key: sibling hashes from the root down, and what sits at the end of the path
    /// (the key's own leaf, another leaf, or nothing).
    /// </summary>
    public StateProof Prove(in Hash key)
    {
        var siblings = new List<Hash>();
        var node = _root;
        var depth = 0;
        while (node is Branch b)
        {
            var goLeft = key.Bit(depth) == 0;
            var sibling = goLeft ? b.Right : b.Left;
            siblings.Add(sibling is null ? Hash.Zero : HashOf(sibling));
            node = goLeft ? b.Left : b.Right;
            depth++;
        }
        return node is Leaf leaf
            ? new StateProof(siblings, leaf.Key, leaf.Value)
            : new StateProof(siblings, null, null);
    }

    /// <summary>
    /// Verifies a proof. With value set it proves key ↦ value; with value null it proves that key
    /// is absent.
    /// </summary>
    public static bool Verify(in Hash root, in Hash key, Hash? value, StateProof proof)
    {
        var depth = proof.Siblings.Count;
        if (depth > 256) return false;
        Hash h;
        if (value is { } v)
        {
            if (proof.LeafKey != key || proof.LeafValue != v) return false;
            h = LeafHash(key, v);
        }
        else if (proof.LeafKey is { } other)
        {
            if (other == key || proof.LeafValue is null) return false;
            for (var i = 0; i < depth; i++) if (other.Bit(i) != key.Bit(i)) return false;
            h = LeafHash(other, proof.LeafValue.Value);
        }
        else h = Hash.Zero;

        for (var i = depth - 1; i >= 0; i--)
            h = key.Bit(i) == 0 ? Hash.Combine(0x01, h, proof.Siblings[i]) : Hash.Combine(0x01, proof.Siblings[i], h);
        return h == root;
    }
}
