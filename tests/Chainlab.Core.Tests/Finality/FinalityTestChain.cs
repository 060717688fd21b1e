using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;

namespace Chainlab.Core.Tests.Finality;

/// <summary>Made-up checkpoints for the finality tests: a block hash is the hash of its branch name and height.</summary>
internal static class FinalityTestChain
{
    public const string ChainId = "test-chain";

    public static Checkpoint Genesis { get; } = At("main", 0);

    public static Checkpoint At(string branch, ulong height) => new(height, Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{branch}/{height}")));

    public static VoterSet Voters(KeyPair[] keys, params ulong[] weights) =>
        VoterSet.Create(keys.Select((k, i) => (k.PublicKey, weights.Length == 0 ? 1UL : weights[i])));

    /// <summary>A tracker on branch <paramref name="branch"/> with checkpoints up to <paramref name="count"/> intervals, all with one voter set.</summary>
    public static FinalityTracker Tracker(VoterSet voters, ulong interval, int count, string branch = "main", int forkAfter = int.MaxValue)
    {
        var t = new FinalityTracker(ChainId, interval, Genesis, voters);
        for (var i = 1; i <= count; i++) t.AddCheckpoint(At(i <= forkAfter ? "main" : branch, (ulong)i * interval), voters);
        return t;
    }

    public static Checkpoint Cp(this FinalityTracker t, int index) => t.Checkpoints.ElementAt(index);

    /// <summary>Every key in <paramref name="voters"/> votes the link; returns the last outcome.</summary>
    public static VoteOutcome VoteAll(this FinalityTracker t, IEnumerable<KeyPair> voters, Checkpoint source, Checkpoint target)
    {
        VoteOutcome last = new(VoteRefusal.None, "nothing");
        foreach (var k in voters)
        {
            last = t.Include(Vote.Create(k, t.ChainId, source, target));
            Assert.True(last.Counted, last.Reason);
        }
        return last;
    }
}
