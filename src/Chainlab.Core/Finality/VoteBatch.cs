using Chainlab.Core.Encoding;

namespace Chainlab.Core.Finality;

/// <summary>
/// Several votes in one payload: the data of a vote transaction (kind 9, planned) and the body of a votes frame.
/// Layout: count u32 (at least 1) | each vote as bytes. Strict: no vote twice (by id), no trailing bytes.
/// </summary>
public static class VoteBatch
{
    /// <summary>The most votes in one transaction: 4 + 256 · (4 + 213) bytes stays below the payload limit.</summary>
    public const int MaxPerTransaction = 256;

    public static byte[] Encode(IReadOnlyList<Vote> votes)
    {
        var w = new CanonicalWriter(4 + votes.Sum(v => 4 + v.Raw.Length));
        w.U32((uint)votes.Count);
        foreach (var v in votes) w.Bytes(v.Raw);
        return w.ToArray();
    }

    public static IReadOnlyList<Vote> Decode(ReadOnlySpan<byte> data, int maxVotes = MaxPerTransaction)
    {
        var r = new CanonicalReader(data);
        var n = r.Count(maxVotes, 4 + Vote.MinEncodedSize, "votes");
        if (n == 0) throw new DecodeException("a vote batch holds at least one vote");
        var votes = new List<Vote>(n);
        var seen = new HashSet<Crypto.Hash>();
        for (var i = 0; i < n; i++)
        {
            var v = Vote.Decode(r.Bytes(Vote.MaxEncodedSize, "vote"));
            if (!seen.Add(v.Id)) throw new DecodeException($"vote {i} repeats an earlier vote of the batch");
            votes.Add(v);
        }
        r.EnsureEnd("vote batch");
        return votes;
    }
}
