using Chainlab.Core.Crypto;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.State;

public sealed class StateTreeTests
{
    private static Hash K(int i) => Hash.Sha256(BitConverter.GetBytes(i));
    private static Hash V(int i, int gen) => Hash.Sha256(BitConverter.GetBytes(i * 1000 + gen));

    [Fact]
    public void Root_depends_only_on_contents_not_on_history()
    {
        var rng = new Random(5);
        var a = new StateTree();
        var model = new Dictionary<int, int>();
        for (var step = 0; step < 3000; step++)
        {
            var k = rng.Next(300);
            if (rng.Next(4) == 0) { a.Remove(K(k)); model.Remove(k); }
            else { var g = rng.Next(10); a.Set(K(k), V(k, g)); model[k] = g; }
            if (step % 250 == 0)
            {
                var fresh = new StateTree();
                foreach (var (mk, mg) in model.OrderBy(_ => rng.Next())) fresh.Set(K(mk), V(mk, mg));
                Assert.Equal(fresh.Root, a.Root);
                Assert.Equal(model.Count, a.Count);
            }
        }
        foreach (var k in model.Keys.ToList()) a.Remove(K(k));
        Assert.Equal(Hash.Zero, a.Root);
    }

    [Fact]
    public void Inclusion_and_absence_proofs_verify_and_tampered_ones_fail()
    {
        var t = new StateTree();
        for (var i = 0; i < 500; i++) t.Set(K(i), V(i, 0));
        var root = t.Root;
        for (var i = 0; i < 500; i += 7)
        {
            var p = t.Prove(K(i));
            Assert.True(StateTree.Verify(root, K(i), V(i, 0), p));
            Assert.False(StateTree.Verify(root, K(i), V(i, 1), p));
            Assert.False(StateTree.Verify(root, K(i), null, p));
            if (p.Siblings.Count > 0)
            {
                var s = p.Siblings.ToArray(); s[^1] = Hash.Sha256(s[^1].ToArray());
                Assert.False(StateTree.Verify(root, K(i), V(i, 0), p with { Siblings = s }));
            }
        }
        for (var i = 1000; i < 1100; i++)
        {
            var p = t.Prove(K(i));
            Assert.True(StateTree.Verify(root, K(i), null, p));
            Assert.False(StateTree.Verify(root, K(i), V(i, 0), p));
        }
        var depth = t.Prove(K(3)).Siblings.Count;
        Assert.InRange(depth, 1, 40); // about log2(500) + a few, never 256
    }

    [Fact]
    public void Empty_tree_proves_absence()
    {
        var t = new StateTree();
        Assert.True(StateTree.Verify(Hash.Zero, K(1), null, t.Prove(K(1))));
        t.Set(K(1), V(1, 1));
        Assert.True(StateTree.Verify(t.Root, K(1), V(1, 1), t.Prove(K(1))));
        Assert.True(StateTree.Verify(t.Root, K(2), null, t.Prove(K(2))));
    }
}
