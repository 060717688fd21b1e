using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

/// <summary>
/// The theorem of docs/consensus.md ("Finality"), checked directly: two branches share a prefix and then part; seeded
/// random voters with random weights vote random links on either branch or both (an honest voter keeps to one branch,
/// a faulty one does not). Whenever each branch finalises a checkpoint past the fork, the voters whose counted votes
/// break a slashing condition weigh at least a third of the total.
/// </summary>
public sealed class AccountableSafetyTests
{
    private const ulong Interval = 4;
    private static readonly KeyPair[] Pool = Build.Keys(9, seed: 2026);

    [Fact]
    public void Whenever_two_conflicting_checkpoints_are_final_voters_with_at_least_a_third_of_the_weight_can_be_slashed()
    {
        var conflicts = 0;
        var surroundsSeen = false;
        for (var trial = 0; trial < 400; trial++)
        {
            var rng = new Random(trial);
            var n = rng.Next(3, Pool.Length + 1);
            var keys = Pool[..n];
            var weights = keys.Select(_ => (ulong)rng.Next(1, 100)).ToArray();
            var voters = Voters(keys, weights);
            var fork = rng.Next(0, 3);
            var a = Tracker(voters, Interval, fork + 6, "a", fork);
            var b = Tracker(voters, Interval, fork + 6, "b", fork);
            var counted = new List<Vote>();

            for (var round = 0; round < 24; round++)
            {
                var branch = rng.Next(2) == 0 ? a : b;
                var justified = branch.Checkpoints.Where(branch.IsJustified).ToList();
                var source = rng.Next(3) == 0 ? justified[rng.Next(justified.Count)] : branch.LastJustified;
                var later = branch.Checkpoints.Where(c => c.Height > source.Height).ToList();
                if (later.Count == 0) continue;
                var target = rng.Next(4) == 0 ? later[rng.Next(later.Count)] : later[0];
                var turnout = rng.NextDouble() * 0.5 + 0.5;
                foreach (var k in keys.Where(_ => rng.NextDouble() < turnout))
                {
                    var vote = Vote.Create(k, ChainId, source, target);
                    // A vote on the shared prefix lands on both branches.
                    var onBoth = target.Height <= (ulong)fork * Interval;
                    var landed = false;
                    foreach (var t in onBoth ? [a, b] : new[] { branch })
                        landed |= t.Include(vote, signatureChecked: true).Counted;
                    if (landed) counted.Add(vote);
                }
            }

            var forkHeight = (ulong)fork * Interval;
            var finalA = a.Checkpoints.Where(c => c.Height > forkHeight && a.IsFinalised(c)).ToList();
            var finalB = b.Checkpoints.Where(c => c.Height > forkHeight && b.IsFinalised(c)).ToList();
            if (finalA.Count == 0 || finalB.Count == 0) continue;
            conflicts++;

            var slashable = new HashSet<string>();
            foreach (var x in counted)
                foreach (var y in counted)
                {
                    var offence = SlashingConditions.Find(x, y);
                    if (offence == Offence.None) continue;
                    slashable.Add(Convert.ToHexString(x.VoterKey));
                    surroundsSeen |= offence == Offence.SurroundVote;
                }
            var slashed = keys.Select((k, i) => slashable.Contains(Convert.ToHexString(k.PublicKey)) ? weights[i] : 0UL).Aggregate(0UL, (s, w) => s + w);
            // The doc proves more than a third; the issue asks for at least a third. Check the stronger claim.
            Assert.True(slashed * 3 > voters.Total,
                $"trial {trial}: {finalA[0]} and {finalB[0]} are both final, but the slashable voters weigh only {slashed} of {voters.Total}");
        }
        // The check above must have had something to check, of both kinds of offence.
        Assert.True(conflicts >= 20, $"only {conflicts} trials finalised conflicting checkpoints");
        Assert.True(surroundsSeen, "no trial produced a surround vote");
    }

    [Fact]
    public void Voters_who_each_keep_to_one_branch_never_finalise_conflicting_checkpoints()
    {
        for (var trial = 0; trial < 100; trial++)
        {
            var rng = new Random(10_000 + trial);
            var keys = Pool;
            var voters = Voters(keys, keys.Select(_ => (ulong)rng.Next(1, 100)).ToArray());
            var a = Tracker(voters, Interval, 6, "a", 0);
            var b = Tracker(voters, Interval, 6, "b", 0);
            var side = keys.ToDictionary(k => k, _ => rng.Next(2) == 0 ? a : b);
            for (var round = 0; round < 12; round++)
                foreach (var t in new[] { a, b })
                {
                    var source = t.LastJustified;
                    var next = t.Checkpoints.FirstOrDefault(c => c.Height == source.Height + Interval);
                    if (next == default) continue;
                    foreach (var k in keys.Where(k => side[k] == t))
                        t.Include(Vote.Create(k, ChainId, source, next), signatureChecked: true);
                }
            Assert.False(a.LastFinalised.Height > 0 && b.LastFinalised.Height > 0, $"trial {trial}: both branches finalised");
        }
    }
}
