using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// selfish-mine (proof of work): keeps the blocks it mines to itself and releases them to orphan honest ones,
/// after Eyal and Sirer, "Majority is not Enough" (2014). With a private lead of one, an honest block starts a
/// race and the private block goes out at once; with a lead of two, an honest block makes it publish all and
/// win; with more, each honest block is answered by releasing one. Its own node keeps mining on its private
/// head, and takes the public chain when that gets longer.
/// </summary>
public sealed class SelfishMining : IMisbehaviour
{
    public string Name => "selfish-mine";
    public string What => "withholds the blocks it mines and releases them to orphan honest blocks (proof of work)";
    public IReadOnlyList<string> Engines => ["pow"];

    private ulong _published;
    private bool _race;

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var me = c.Key.PublicKey;
        _published = c.Chain.Head.Height;
        c.Network.Serving.Withhold(h => h > Volatile.Read(ref _published));
        ulong lastPrivate = c.Chain.Head.Height, lastPublic = PublicHeight(c);
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), c.Time, ct);
            var head = c.Chain.Head;
            var s = head.Height;
            var p = PublicHeight(c);
            if (!head.Producer.AsSpan().SequenceEqual(me) || s <= Volatile.Read(ref _published))
            {
                // On the public chain (nothing private): everything we have is public.
                Volatile.Write(ref _published, s);
                _race = false;
            }
            else if (p > lastPublic)
            {
                // The honest miners found a block.
                if (s <= p) { Publish(c, s, "race"); _race = true; }
                else if (s == p + 1) { Publish(c, s, "lead of one left: publish all"); _race = false; }
                else Publish(c, p, "match the honest height");
            }
            else if (s > lastPrivate && _race && s == p + 1)
            {
                Publish(c, s, "won the race");
                _race = false;
            }
            (lastPrivate, lastPublic) = (s, p);
        }
    }

    /// <summary>The height honest peers are at: the highest they announced to us.</summary>
    private static ulong PublicHeight(MisbehaviourContext c) => c.Network.HighestAnnounced;

    private void Publish(MisbehaviourContext c, ulong height, string why)
    {
        if (height <= Volatile.Read(ref _published)) return;
        Volatile.Write(ref _published, height);
        if (c.Chain.Blocks.HeaderByHeight(height) is not { } h) return;
        c.Log.LogWarning("Misbehaving (selfish-mine): releasing blocks up to {Height} {Hash} ({Why})", height, h.Hash.Short, why);
        c.Network.Broadcast(new AnnounceBlock(h.Hash, height));
    }
}
