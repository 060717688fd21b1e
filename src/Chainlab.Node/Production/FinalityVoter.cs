using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;
using Chainlab.Node.Mempool;

namespace Chainlab.Node.Production;

/// <summary>
/// A voter's side of finality (decision 0007, point 10): once the committed head is <c>voteDepth</c> blocks past
/// a checkpoint it has not voted for, and its key is in that checkpoint's voter set, it votes from the last
/// justified checkpoint to it. The vote goes into its journal first (on disk, flushed), which refuses any vote
/// that would make a double or surround vote with one it signed before, so no restart can make it sign a
/// slashable pair; then it is published: into the node's vote pool and out to every peer in a Votes frame, from
/// where producers put it into a block's vote transaction.
/// </summary>
/// <remarks>
/// It runs on the node's scheduler and waits on the node's clock (a head change, or 2 s): a simulator's voters then
/// vote at the same virtual moments in every run. (It used to run on the thread pool and wait on a semaphore's
/// wall-clock time-out, which made finality runs of the simulator differ from run to run.)
/// </remarks>
public sealed class FinalityVoter(IChainReader chain, NodeEvents events, KeyPair key, Action<Vote> publish, VoteJournal journal, ILogger log, TimeProvider? time = null)
{
    private readonly object _gate = new();
    private bool _moved;
    private TaskCompletionSource? _wake;

    public async Task RunAsync(CancellationToken ct)
    {
        var spec = chain.Spec;
        if (!FinalityVoters.Enabled(spec)) return;
        var depth = spec.Finality!.VoteDepth;
        var clock = time ?? TimeProvider.System;
        using var _ = events.Subscribe<HeadChanged>(__ =>
        {
            TaskCompletionSource? w;
            lock (_gate) { _moved = true; w = _wake; _wake = null; }
            w?.TrySetResult();
        });
        while (!ct.IsCancellationRequested)
        {
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            bool moved;
            lock (_gate)
            {
                moved = _moved;
                _moved = false;
                if (!moved) _wake = next;
            }
            if (!moved)
            {
                // The head moved, 2 s passed or the node stops: all complete the one task awaited here.
                using (clock.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), next, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan))
                using (ct.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), next))
                    await next.Task;
                lock (_gate) { if (_wake == next) _wake = null; _moved = false; }
                if (ct.IsCancellationRequested) return;
            }
            try { TryVote(spec, depth); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Voting failed: {Message}", e.Message); }
        }
    }

    /// <summary>Votes once for the newest checkpoint that is deep enough and not voted for yet, if it may.</summary>
    public Vote? TryVote(ChainSpec spec, ulong depth)
    {
        var committed = chain.Committed;
        if (FinalityRecord.Read(spec, committed.State) is not { } tracker) return null;
        var target = tracker.Checkpoints.LastOrDefault(c => c.Height + depth <= committed.Header.Height && c.Height > tracker.LastJustified.Height);
        if (target == default || target.Height <= journal.HighestTarget) return null;
        if (tracker.VotersOf(target) is not { } voters || !voters.Contains(key.PublicKey)) return null;
        var vote = Vote.Create(key, spec.ChainId, tracker.LastJustified, target);
        if (journal.Refuses(vote) is { } why)
        {
            log.LogWarning("Not voting {Vote}: {Why}", vote, why);
            return null;
        }
        journal.Add(vote);
        publish(vote);
        log.LogInformation("Voted {Source} -> {Target}", vote.Source, vote.Target);
        return vote;
    }
}

/// <summary>
/// The votes this node's key has signed, one hex line each in <c>votes.journal</c> in the data folder (or in
/// memory only, for a node without one), written and flushed before a vote leaves the node.
/// </summary>
public sealed class VoteJournal
{
    private readonly string? _path;
    private readonly List<Vote> _votes = new();
    private readonly object _gate = new();

    public VoteJournal(string? path)
    {
        _path = path;
        if (path is null || !File.Exists(path)) return;
        foreach (var line in File.ReadAllLines(path))
            if (line.Length > 0) _votes.Add(Vote.Decode(Convert.FromHexString(line)));
    }

    public const string FileName = "votes.journal";

    /// <summary>The highest target height voted for (0 when none).</summary>
    public ulong HighestTarget { get { lock (_gate) return _votes.Count == 0 ? 0 : _votes.Max(v => v.Target.Height); } }

    /// <summary>Why signing this vote would be slashable with one signed before, or null.</summary>
    public string? Refuses(Vote vote)
    {
        lock (_gate)
            foreach (var earlier in _votes)
                if (SlashingConditions.Find(earlier, vote) is var o && o != Offence.None)
                    return $"with our earlier {earlier} it would be a {(o == Offence.DoubleVote ? "double" : "surround")} vote";
        return null;
    }

    public void Add(Vote vote)
    {
        lock (_gate)
        {
            if (_path is not null)
                using (var f = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
                {
                    f.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(vote.Raw) + "\n"));
                    f.Flush(flushToDisk: true);
                }
            _votes.Add(vote);
        }
    }
}
