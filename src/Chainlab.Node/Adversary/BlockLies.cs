using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Adversary;

/// <summary>
/// double-sign: for every block this node produced, the first peer to ask for it gets it, and every later one
/// gets a second block for the same slot, signed by the same key, with another state root. Honest nodes see two
/// signed headers for one slot: on proof of stake they submit the pair as evidence and the producer is slashed;
/// on proof of authority (no slashing) fork choice keeps one and the bad twin is refused.
/// </summary>
public sealed class DoubleSign : IMisbehaviour
{
    public string Name => "double-sign";
    public string What => "signs a second block for each of its slots and serves it to every peer but the first that asks";
    public IReadOnlyList<string> Engines => ["poa", "pos"];

    public Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        // Blocks served once (the real one went out), then their twins.
        var twins = new Dictionary<Hash, byte[]?>();
        var mine = c.Key.PublicKey;
        c.Network.Serving.AddBlockLie((peer, _, blocks) =>
        {
            return blocks.Select(raw =>
            {
                var b = Block.Decode(raw);
                if (!b.Header.Producer.AsSpan().SequenceEqual(mine) || b.Header.Seal.Length < 64) return raw;
                lock (twins)
                {
                    if (!twins.TryGetValue(b.Hash, out var twin)) { twins[b.Hash] = null; return raw; }
                    if (twin is not null) return twin;
                    var root = new byte[32];
                    lock (c.Random) c.Random.NextBytes(root);
                    var draft = b.Header with { StateRoot = new Hash(root), Seal = b.Header.Seal[..^64] };
                    twin = (b with { Header = draft with { Seal = SignedSeal.Sign(draft, c.Key) } }).Encode();
                    c.Log.LogWarning("Misbehaving (double-sign): block {Height} {Hash} has a twin for the same slot, served to {Peer}", b.Height, b.Hash.Short, peer.Id);
                    if (twins.Count > 1000) twins.Clear();
                    return twins[b.Hash] = twin;
                }
            }).ToList();
        });
        return Task.Delay(Timeout.Infinite, ct);
    }
}

/// <summary>
/// invalid-blocks (sync poisoning): every block this node serves is made invalid, one way after another by
/// height: another state root, another transaction root, a broken seal, a time an hour ahead, or re-signed by
/// this node (a block out of turn, or from a key that is no authority or validator). Honest nodes refuse each,
/// lower the node's score, ban it, and take their blocks from someone else.
/// </summary>
public sealed class InvalidBlocks : IMisbehaviour
{
    public string Name => "invalid-blocks";
    public string What => "serves every block it is asked for made invalid: wrong state or tx root, bad seal, future time, wrong producer";

    public Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        c.Network.Serving.AddBlockLie((peer, _, blocks) => blocks.Select(raw => Spoil(Block.Decode(raw), c).Encode()).ToList());
        return Task.Delay(Timeout.Infinite, ct);
    }

    private static Block Spoil(Block b, MisbehaviourContext c)
    {
        var h = b.Header;
        var random = new byte[32];
        lock (c.Random) c.Random.NextBytes(random);
        var prefix = h.Seal.Length >= 64 ? h.Seal[..^64] : h.Seal;
        BlockHeader Resign(BlockHeader d) => d with { Producer = c.Key.PublicKey, Seal = SignedSeal.Sign(d with { Producer = c.Key.PublicKey, Seal = prefix }, c.Key) };
        var spoilt = (h.Height % 5) switch
        {
            0 => Resign(h with { StateRoot = new Hash(random) }),
            1 => Resign(h with { TxRoot = new Hash(random) }),
            2 => h with { Seal = h.Seal.Select((x, i) => i == h.Seal.Length - 1 ? (byte)(x ^ 1) : x).ToArray() },
            3 => Resign(h with { TimestampMs = h.TimestampMs + 3_600_000 }),
            _ => Resign(h),
        };
        return b with { Header = spoilt };
    }
}

/// <summary>
/// forged-seals: every block this node serves keeps its body and header but carries a broken seal (a
/// signature or proof of work that does not check). Only the seal check stands between such a block and an
/// honest chain: honest nodes refuse it and ban the node; a node with the check switched off (a test setting)
/// takes it.
/// </summary>
public sealed class ForgedSeals : IMisbehaviour
{
    public string Name => "forged-seals";
    public string What => "serves every block it is asked for with a broken seal";

    public Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        // Forged hash by real hash: each forged block's parent is the forged one before it (in this window or an
        // earlier one), so what it serves is one chain, as real blocks are.
        var forgedOf = new System.Collections.Concurrent.ConcurrentDictionary<Hash, Hash>();
        c.Network.Serving.AddBlockLie((peer, _, blocks) =>
        {
            var served = new List<byte[]>(blocks.Count);
            foreach (var raw in blocks)
            {
                var b = Block.Decode(raw);
                var seal = b.Header.Seal.ToArray();
                if (seal.Length == 0) return blocks;
                seal[^1] ^= 0x5a;
                var parent = forgedOf.TryGetValue(b.Header.Parent, out var p) ? p : b.Header.Parent;
                var forged = b with { Header = b.Header with { Parent = parent, Seal = seal } };
                forgedOf[b.Hash] = forged.Hash;
                served.Add(forged.Encode());
            }
            if (forgedOf.Count > 100_000) forgedOf.Clear();
            return served;
        });
        return Task.Delay(Timeout.Infinite, ct);
    }
}
