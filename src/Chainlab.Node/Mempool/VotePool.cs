using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;
using Chainlab.Node.Events;

namespace Chainlab.Node.Mempool;

/// <summary>
/// The finality votes a node has heard and not yet seen in a block: from its own voter, from peers (the Votes
/// frame) and from vote transactions. Producers take the ones that count against their parent's record into a
/// vote transaction of their block (<see cref="Blockchain.Prepare"/>), so finality is replayed from the chain alone.
/// A vote is kept when its signature holds (checked in parallel for a batch), it is for this chain, its target lies
/// above the last final checkpoint and at most one interval above the head, and its voter is in the voter set of
/// a checkpoint the head's record holds: a peer cannot fill the pool with votes of made-up keys. At most
/// <see cref="Capacity"/> votes; the lowest targets go first when it is full. Every vote taken is published as
/// <see cref="VotesHeard"/>, and so is a validly signed one too old to keep (the vote watcher looks for double and
/// surround votes in them).
/// </summary>
public sealed class VotePool : IPendingVotes, IDisposable
{
    public const int Capacity = 4096;
    private readonly IChainReader _chain;
    private readonly NodeEvents _events;
    private readonly Dictionary<Hash, Vote> _votes = new();
    private readonly object _gate = new();
    private readonly IDisposable[] _subscriptions;
    private readonly ulong _interval;

    public VotePool(IChainReader chain, NodeEvents events)
    {
        _chain = chain;
        _events = events;
        _interval = FinalityVoters.CheckpointInterval(chain.Spec) ?? throw new ArgumentException("the chain has no finality");
        _subscriptions = [events.Subscribe<BlockConnected>(e => OnBlock(e.Block)), events.Subscribe<BlockDisconnected>(e => Add(VotesOf(e.Block), signaturesChecked: true))];
    }

    public void Dispose() { foreach (var s in _subscriptions) s.Dispose(); }

    /// <summary>The votes of a block's vote transactions (those of a block a reorganisation took off come back to the pool).</summary>
    private static List<Vote> VotesOf(Block block)
    {
        var votes = new List<Vote>();
        foreach (var tx in block.Transactions.Where(t => t.Kind == TxKind.Vote))
        {
            try { votes.AddRange(VoteBatch.Decode(tx.Payload)); }
            catch (Core.Encoding.DecodeException) { }
        }
        return votes;
    }

    public int Count { get { lock (_gate) return _votes.Count; } }

    /// <summary>What happened to a batch: the votes newly kept, and how many had a signature that does not hold.</summary>
    public sealed record Outcome(IReadOnlyList<Vote> Added, int BadSignatures);

    /// <summary>Checks and keeps votes; <paramref name="signaturesChecked"/> skips the signature check (the caller did it).</summary>
    public Outcome Add(IReadOnlyList<Vote> votes, bool signaturesChecked = false)
    {
        var spec = _chain.Spec;
        var committed = _chain.Committed;
        var record = FinalityRecord.Read(spec, committed.State);
        var final = record?.LastFinalised.Height ?? 0;
        var unknown = new List<Vote>();
        lock (_gate)
            foreach (var v in votes)
                if (!_votes.ContainsKey(v.Id) && v.ChainId == spec.ChainId && KnownVoter(record, v.VoterKey))
                    unknown.Add(v);
        var bad = new bool[unknown.Count];
        if (!signaturesChecked) Parallel.For(0, unknown.Count, i => bad[i] = !unknown[i].VerifySignature());
        var valid = unknown.Where((_, i) => !bad[i]).ToList();
        var added = new List<Vote>();
        lock (_gate)
        {
            foreach (var v in valid)
                if (v.Target.Height > final && v.Target.Height <= committed.Header.Height + _interval && _votes.TryAdd(v.Id, v)) added.Add(v);
            while (_votes.Count > Capacity) _votes.Remove(_votes.Values.MinBy(v => v.Target.Height)!.Id);
        }
        // Every validly signed vote is heard, kept or not: a stale one can still prove a double or surround vote.
        if (valid.Count > 0) _events.Publish(new VotesHeard(valid));
        return new Outcome(added, bad.Count(b => b));
    }

    private static bool KnownVoter(FinalityTracker? record, byte[] key) =>
        record is not null && record.Checkpoints.Any(c => record.VotersOf(c)?.Contains(key) == true);

    /// <summary>The pooled votes, lowest target first, then in the order heard.</summary>
    public IReadOnlyList<Vote> Candidates(int max)
    {
        lock (_gate) return _votes.Values.OrderBy(v => v.Target.Height).Take(max).ToList();
    }

    private void OnBlock(Block block)
    {
        var included = VotesOf(block).Select(v => v.Id).ToHashSet();
        var final = _chain.FinalizedHeight ?? 0;
        lock (_gate)
            foreach (var v in _votes.Values.Where(v => included.Contains(v.Id) || v.Target.Height <= final).ToList())
                _votes.Remove(v.Id);
    }
}
