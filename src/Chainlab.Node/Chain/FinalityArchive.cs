using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;

namespace Chainlab.Node.Chain;

/// <summary>
/// Keeps what proves finality after the chain's record has forgotten it: every link whose votes reached more than
/// two thirds of its voter set, with those votes and that set, as the canonical chain brings them. The record
/// (world state) drops votes once their target is final; the archive keeps them, so the node can answer a finality
/// proof for any checkpoint finalised since it started keeping them (GET /api/v1/finality/proof). Each block is
/// replayed on the record of its parent (the checkpoint it opens, then its votes in order), so a link that counts
/// and is forgotten within one block is kept too. Links are appended to <c>finality.links</c> in the data folder
/// (one hex line each) and read back at start; a line that does not decode is skipped. Links are only a node's
/// word until checked: a proof is verified before it is served.
/// </summary>
public sealed class FinalityArchive
{
    public const string FileName = "finality.links";
    private readonly ChainSpec _spec;
    private readonly ulong _interval;
    private readonly string? _path;
    private readonly object _gate = new();
    private readonly Dictionary<(Checkpoint Source, Checkpoint Target), FinalityLink> _links = new();
    private readonly Dictionary<Checkpoint, FinalityLink> _justifying = new();
    private FinalityTracker? _prev;
    private Hash _prevHash;

    public FinalityArchive(ChainSpec spec, string? dataDir)
    {
        _spec = spec;
        _interval = FinalityVoters.CheckpointInterval(spec) ?? throw new ArgumentException("the chain has no finality");
        _path = dataDir is null ? null : Path.Combine(dataDir, FileName);
        if (_path is null || !File.Exists(_path)) return;
        foreach (var line in File.ReadLines(_path))
        {
            try { Keep(FinalityProof.Decode(Convert.FromHexString(line.Trim())).Links[0], persist: false); }
            catch (Exception e) when (e is DecodeException or FormatException or ArgumentException) { }
        }
    }

    /// <summary>How many links are kept.</summary>
    public int Count { get { lock (_gate) return _links.Count; } }

    /// <summary>
    /// A block joined the canonical chain and <paramref name="after"/> is the committed state after it (the caller
    /// checks the two belong together). Keeps every supermajority link the block brought.
    /// </summary>
    public void Observe(Block block, Core.State.IAccountReader after)
    {
        var post = FinalityRecord.Read(_spec, after);
        lock (_gate)
        {
            if (_prev is { } prev && _prevHash == block.Header.Parent && post is not null)
            {
                try
                {
                    Replay(prev, block, post);
                    foreach (var link in prev.SupermajorityLinks()) Keep(link, persist: true);
                }
                catch (ArgumentException) { } // the parent's record and this block disagree: the post-block record still counts
            }
            if (post is not null)
                foreach (var link in post.SupermajorityLinks()) Keep(link, persist: true);
            _prev = post;
            _prevHash = block.Hash;
        }
    }

    /// <summary>The chain after a reorganisation or at start: the next block is read from its own record only.</summary>
    public void Forget() { lock (_gate) _prev = null; }

    private void Replay(FinalityTracker t, Block block, FinalityTracker post)
    {
        // The checkpoint the block opens (its parent), with the voter set the post-block record gives it.
        if (block.Height > 0 && (block.Height - 1) % _interval == 0)
        {
            var cp = new Checkpoint(block.Height - 1, block.Header.Parent);
            if (post.VotersOf(cp) is { } voters && t.Checkpoints.Last().Height + _interval == cp.Height) t.AddCheckpoint(cp, voters);
        }
        foreach (var tx in block.Transactions.Where(x => x.Kind == TxKind.Vote))
            foreach (var v in VoteBatch.Decode(tx.Payload)) t.Include(v, signatureChecked: true);
    }

    private void Keep(FinalityLink link, bool persist)
    {
        var key = (link.Source, link.Target);
        if (_links.ContainsKey(key)) return;
        _links[key] = link;
        _justifying.TryAdd(link.Target, link);
        if (!persist || _path is null) return;
        var line = Convert.ToHexStringLower(new FinalityProof(_spec.ChainId, _interval, link.Source, [link]).Encode());
        File.AppendAllText(_path, line + "\n");
    }

    /// <summary>
    /// A proof that <paramref name="checkpoint"/> is final, from <paramref name="anchor"/>: the kept links that
    /// justify it one after the other, then the link from it to the next checkpoint. Null and the reason when the
    /// archive cannot make one (the checkpoint was not itself finalised, or the links came before the node kept them).
    /// </summary>
    public FinalityProof? Prove(Checkpoint checkpoint, Checkpoint anchor, out string? why)
    {
        lock (_gate)
        {
            var finalising = _links.Values.FirstOrDefault(l => l.Source == checkpoint && l.Target.Height == checkpoint.Height + _interval);
            if (finalising is null)
            {
                why = $"no link with more than two thirds of the votes goes from {checkpoint} to the next checkpoint: it was not finalised itself (a later final checkpoint makes it final as an ancestor), or before this node kept its votes";
                return null;
            }
            var links = new List<FinalityLink> { finalising };
            var c = checkpoint;
            while (c != anchor)
            {
                if (c.Height <= anchor.Height || !_justifying.TryGetValue(c, out var j))
                {
                    why = $"the links that justify {checkpoint} do not lead back to the anchor {anchor} (kept from {c} down)";
                    return null;
                }
                links.Add(j);
                c = j.Source;
            }
            links.Reverse();
            var proof = new FinalityProof(_spec.ChainId, _interval, anchor, links);
            why = proof.Verify(_spec.ChainId, _interval, anchor);
            return why is null ? proof : null;
        }
    }
}
