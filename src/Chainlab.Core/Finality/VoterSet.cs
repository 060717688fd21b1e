using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.Finality;

/// <summary>
/// The voters of one checkpoint and their weights (proof of stake: the epoch snapshot stakes; proof of
/// authority: 1 per authority). Kept sorted by key, each key once, every weight above 0, the total within a u64.
/// Canonical layout: count u32 | (key [32] | weight u64) per voter, keys in ascending byte order.
/// </summary>
public sealed class VoterSet
{
    public const int MaxVoters = 100_000;
    private readonly Dictionary<string, ulong> _byKey;

    private VoterSet(IReadOnlyList<(byte[] Key, ulong Weight)> voters)
    {
        Voters = voters;
        _byKey = voters.ToDictionary(v => Convert.ToHexString(v.Key), v => v.Weight);
        Total = voters.Aggregate(0UL, (s, v) => s + v.Weight);
    }

    /// <summary>The voters in ascending key order.</summary>
    public IReadOnlyList<(byte[] Key, ulong Weight)> Voters { get; }
    public ulong Total { get; }
    public int Count => Voters.Count;

    /// <summary>Builds a set; refuses an empty set, a repeated key, a key of the wrong size, a zero weight and a total above 2^64 − 1.</summary>
    public static VoterSet Create(IEnumerable<(byte[] Key, ulong Weight)> voters)
    {
        var list = voters.Select(v => (Key: v.Key.ToArray(), v.Weight)).ToList();
        if (list.Count == 0) throw new ArgumentException("a voter set needs at least one voter");
        if (list.Count > MaxVoters) throw new ArgumentException($"a voter set has at most {MaxVoters} voters");
        if (list.Any(v => v.Key.Length != Ed25519.PublicKeySize)) throw new ArgumentException("a voter key is 32 bytes");
        if (list.Any(v => v.Weight == 0)) throw new ArgumentException("a voter's weight must be above 0");
        list.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        for (var i = 1; i < list.Count; i++)
            if (list[i].Key.AsSpan().SequenceEqual(list[i - 1].Key)) throw new ArgumentException("a voter is listed twice");
        UInt128 total = 0;
        foreach (var v in list) total += v.Weight;
        if (total > ulong.MaxValue) throw new ArgumentException("the voters' total weight does not fit in a u64");
        return new VoterSet(list);
    }

    /// <summary>Proof of authority: every authority weighs 1.</summary>
    public static VoterSet EqualWeights(IEnumerable<byte[]> keys) => Create(keys.Select(k => (k, 1UL)));

    /// <summary>The voter's weight, 0 for a key that is not in the set.</summary>
    public ulong WeightOf(ReadOnlySpan<byte> key) =>
        key.Length == Ed25519.PublicKeySize && _byKey.TryGetValue(Convert.ToHexString(key), out var w) ? w : 0;

    public bool Contains(ReadOnlySpan<byte> key) => WeightOf(key) > 0;

    /// <summary>More than two thirds of the total, exactly in integers: weight · 3 &gt; total · 2.</summary>
    public bool IsSupermajority(ulong weight) => (UInt128)weight * 3 > (UInt128)Total * 2;

    /// <summary>The least weight that is a supermajority: floor(2 · total / 3) + 1.</summary>
    public ulong SupermajorityWeight => (ulong)((UInt128)Total * 2 / 3 + 1);

    public void Write(CanonicalWriter w)
    {
        w.U32((uint)Voters.Count);
        foreach (var (k, weight) in Voters) { w.Fixed(k); w.U64(weight); }
    }

    public byte[] Encode()
    {
        var w = new CanonicalWriter(4 + Voters.Count * 40);
        Write(w);
        return w.ToArray();
    }

    /// <summary>SHA-256 of "chainlab/voters/v1" followed by the canonical bytes: names a voter set in a few bytes.</summary>
    public Hash Hash() => Crypto.Hash.Sha256([.. "chainlab/voters/v1"u8, .. Encode()]);

    /// <summary>Strict read: keys strictly ascending (so each once and in the one canonical order), weights above 0.</summary>
    public static VoterSet Read(ref CanonicalReader r)
    {
        var n = r.Count(MaxVoters, 40, "voters");
        if (n == 0) throw new DecodeException("a voter set needs at least one voter");
        var list = new List<(byte[], ulong)>(n);
        byte[]? previous = null;
        UInt128 total = 0;
        for (var i = 0; i < n; i++)
        {
            var key = r.Fixed(Ed25519.PublicKeySize, "voter key").ToArray();
            var weight = r.U64("voter weight");
            if (previous is not null && previous.AsSpan().SequenceCompareTo(key) >= 0)
                throw new DecodeException("voter keys are not in strictly ascending order");
            if (weight == 0) throw new DecodeException("a voter's weight is 0");
            total += weight;
            previous = key;
            list.Add((key, weight));
        }
        if (total > ulong.MaxValue) throw new DecodeException("the voters' total weight does not fit in a u64");
        return new VoterSet(list);
    }

    public static VoterSet Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var set = Read(ref r);
        r.EnsureEnd("voter set");
        return set;
    }

    public bool SameAs(VoterSet other) => Encode().AsSpan().SequenceEqual(other.Encode());
}
