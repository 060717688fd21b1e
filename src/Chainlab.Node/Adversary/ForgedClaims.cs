using System.Buffers.Binary;
using Chainlab.Core.Consensus;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// forge-vrf (proof of stake, a validator): in slots it did not win, it makes a block anyway and announces it,
/// one way after another: claiming far more stake than it has (so that its real VRF output would pass a
/// threshold it does not meet), or carrying a made-up VRF proof. Both are signed with its real key, so only
/// the stake and VRF checks stand in the way: honest nodes refuse the block and ban the node.
/// </summary>
public sealed class ForgedClaims : IMisbehaviour
{
    public string Name => "forge-vrf";
    public string What => "claims slots it did not win, with an inflated stake or a made-up VRF proof (proof of stake)";
    public IReadOnlyList<string> Engines => ["pos"];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, byte[]> _forged = new();

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var spec = c.Chain.Spec;
        if (spec.Consensus.Engine != "pos") throw new InvalidOperationException("forge-vrf needs a proof-of-stake chain");
        var engine = new PosEngine(spec);
        var clock = new SlotClock(spec.GenesisTimeMs, spec.BlockTimeMs);
        // A request from the height of a forged block gets that block, whatever we hold there.
        c.Network.Serving.AddBlockLie((peer, from, blocks) => _forged.TryGetValue(from, out var forged) ? [forged] : blocks);
        for (var n = 0; !ct.IsCancellationRequested; n++)
        {
            var now = (ulong)c.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var slot = clock.SlotAt(now) + 1;
            await Task.Delay(TimeSpan.FromMilliseconds(clock.StartOf(slot) - now + 50), c.Time, ct);
            var parent = c.Chain.Head;
            if (parent.Producer.AsSpan().SequenceEqual(c.Key.PublicKey) && clock.SlotAt(parent.TimestampMs) == slot) continue; // won it for real
            var rec = engine.ViewFor(c.Chain.Committed.State, slot);
            var stake = rec.SnapshotStake(c.Key.PublicKey);
            if (stake == 0) continue;
            var proof = Vrf.Prove(c.Key.Seed, PosEngine.Alpha(rec.Randomness, slot));
            var overStake = n % 2 == 0;
            if (!overStake) lock (c.Random) c.Random.NextBytes(proof);
            var prefix = new byte[PosEngine.PrefixSize];
            BinaryPrimitives.WriteUInt64BigEndian(prefix, overStake ? Math.Max(stake, rec.SnapshotTotal) * 1000 : stake);
            proof.CopyTo(prefix, 8);
            var draft = new BlockHeader(parent.Height + 1, parent.Hash, clock.StartOf(slot), c.Key.PublicKey, Block.ComputeTxRoot([]),
                parent.StateRoot, Block.ComputeFilesRoot([]), 0, prefix);
            var block = new Block(draft with { Seal = SignedSeal.Sign(draft, c.Key) }, [], []);
            _forged[block.Height] = block.Encode();
            foreach (var old in _forged.Keys.Where(h => h + 100 < block.Height)) _forged.TryRemove(old, out _);
            c.Log.LogWarning("Misbehaving (forge-vrf): claiming slot {Slot} at height {Height} with {How}", slot, block.Height,
                overStake ? "a thousand times the stake" : "a made-up VRF proof");
            c.Network.Broadcast(new AnnounceBlock(block.Hash, block.Height));
        }
    }
}
