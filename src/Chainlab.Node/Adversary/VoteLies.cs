using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// double-vote and surround-vote (finality): the node votes honestly, and for each of its votes the chain counts it
/// also signs a conflicting one and sends it straight to its peers in a Votes frame (its own vote pool never sees
/// it; honest nodes take it into theirs, where it never counts for a block, and hear it). double-vote: another target at the same
/// height (a made-up hash). surround-vote: a link that surrounds the honest one (the source one checkpoint below,
/// the target one above). Honest nodes with a key answer with vote evidence: a proof-of-stake voter is slashed,
/// a proof-of-authority one removed from the authorities.
/// </summary>
public sealed class VoteLie(bool surround) : IMisbehaviour
{
    public string Name => surround ? "surround-vote" : "double-vote";
    public string What => surround
        ? "for each of its counted finality votes, also signs one whose link surrounds it and sends it to its peers"
        : "for each of its counted finality votes, also signs one for another block at the same height and sends it to its peers";
    public IReadOnlyList<string> Engines => ["poa", "pos"];

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var spec = c.Chain.Spec;
        if (!FinalityVoters.Enabled(spec))
        {
            c.Log.LogWarning("Misbehaving ({Name}): this chain has no finality, so there are no votes to lie about", Name);
            return;
        }
        var interval = FinalityVoters.CheckpointInterval(spec)!.Value;
        var lied = new HashSet<Hash>();
        var mine = c.Key.PublicKey;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(200, spec.BlockTimeMs / 2)), c.Time, ct);
            if (FinalityRecord.Read(spec, c.Chain.Committed.State) is not { } tracker) continue;
            foreach (var honest in tracker.Export().Votes.Where(v => v.VoterKey.AsSpan().SequenceEqual(mine) && !lied.Contains(v.Id)))
            {
                lied.Add(honest.Id);
                var made = new byte[32];
                lock (c.Random) c.Random.NextBytes(made);
                Vote lie;
                if (!surround) lie = Vote.Create(c.Key, spec.ChainId, honest.Source, new Checkpoint(honest.Target.Height, new Hash(made)));
                else if (honest.Source.Height >= interval)
                    lie = Vote.Create(c.Key, spec.ChainId, new Checkpoint(honest.Source.Height - interval, new Hash(made)),
                        new Checkpoint(honest.Target.Height + interval, new Hash(made)));
                else continue; // a link from genesis cannot be surrounded from below
                c.Network.Broadcast(new Votes([lie.Raw]));
                c.Log.LogWarning("Misbehaving ({Name}): signed {Lie} beside the counted {Honest}, sent to {Peers} peers", Name, lie, honest, c.Network.Peers.Count);
            }
            if (lied.Count > 10_000) lied.Clear();
        }
    }
}
