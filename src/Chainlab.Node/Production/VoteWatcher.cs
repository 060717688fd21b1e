using Chainlab.Core.Finality;
using Chainlab.Core.Model;

namespace Chainlab.Node.Production;

/// <summary>
/// Watches the finality votes a node hears (in its vote pool, and in vote transactions taken by its mempool or
/// refused) and finds the
/// pairs that break a slashing condition: a double vote or a surround vote of one voter. Each offence (voter and
/// the higher target height) is answered once. Memory is bounded: the newest <see cref="PerVoter"/> votes of at
/// most <see cref="MaxVoters"/> voters. Signatures are checked before a vote is kept, so forged votes cost their
/// sender a refused transaction and nothing more.
/// </summary>
public sealed class VoteWatcher(string chainId)
{
    public const int PerVoter = 32;
    public const int MaxVoters = 4096;
    private readonly Dictionary<string, List<Vote>> _byVoter = new();
    private readonly HashSet<(string Voter, ulong Height)> _answered = new();
    private readonly object _gate = new();

    /// <summary>The evidence these votes give with the votes heard before, each offence once.</summary>
    public List<VoteEvidence> Hear(IEnumerable<Vote> votes)
    {
        var found = new List<VoteEvidence>();
        foreach (var v in votes) if (Hear(v) is { } e) found.Add(e);
        return found;
    }

    /// <summary>Evidence against the vote's voter when the vote conflicts with one heard before, else null.</summary>
    public VoteEvidence? Hear(Vote vote)
    {
        if (vote.ChainId != chainId) return null;
        var voter = Convert.ToHexString(vote.VoterKey);
        lock (_gate)
        {
            if (_byVoter.TryGetValue(voter, out var heard) && heard.Any(vote.SameContent)) return null;
        }
        if (!vote.VerifySignature()) return null;
        lock (_gate)
        {
            if (!_byVoter.TryGetValue(voter, out var heard))
            {
                if (_byVoter.Count >= MaxVoters) return null;
                _byVoter[voter] = heard = new();
            }
            VoteEvidence? evidence = null;
            foreach (var earlier in heard)
            {
                if (SlashingConditions.Find(earlier, vote) == Offence.None) continue;
                var height = Math.Max(earlier.Target.Height, vote.Target.Height);
                if (!_answered.Add((voter, height))) continue;
                evidence = new VoteEvidence(earlier, vote);
                break;
            }
            heard.Add(vote);
            if (heard.Count > PerVoter) heard.Remove(heard.MinBy(v => v.Target.Height)!);
            return evidence;
        }
    }
}
