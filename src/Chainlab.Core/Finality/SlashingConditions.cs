using Chainlab.Core.Encoding;

namespace Chainlab.Core.Finality;

/// <summary>What makes two votes of one voter punishable.</summary>
public enum Offence
{
    None = 0,
    /// <summary>Two different votes for targets at the same height.</summary>
    DoubleVote = 1,
    /// <summary>One vote's link strictly surrounds the other's: s1 &lt; s2 and t2 &lt; t1.</summary>
    SurroundVote = 2,
}

/// <summary>
/// The two slashing conditions of the finality layer, between two votes of one voter on one chain. Pure: looks at
/// the votes' contents only; whether the signatures hold is <see cref="VoteEvidence.Check"/>'s business.
/// </summary>
public static class SlashingConditions
{
    /// <summary>The offence the pair shows, or <see cref="Offence.None"/> (also for votes of two voters or two chains, and for one vote twice).</summary>
    public static Offence Find(Vote a, Vote b)
    {
        if (a.ChainId != b.ChainId || !a.VoterKey.AsSpan().SequenceEqual(b.VoterKey)) return Offence.None;
        if (a.SameContent(b)) return Offence.None;
        if (a.Target.Height == b.Target.Height) return Offence.DoubleVote;
        if (Surrounds(a, b) || Surrounds(b, a)) return Offence.SurroundVote;
        return Offence.None;
    }

    /// <summary>True when the outer vote's link strictly surrounds the inner one's.</summary>
    public static bool Surrounds(Vote outer, Vote inner) =>
        outer.Source.Height < inner.Source.Height && inner.Target.Height < outer.Target.Height;
}

/// <summary>
/// Evidence that one voter broke a slashing condition: two of its votes. Payload layout (the data of a
/// vote-evidence transaction): first vote bytes | second vote bytes (each a u32 length and the vote's canonical
/// bytes), nothing after.
/// </summary>
public sealed record VoteEvidence(Vote First, Vote Second)
{
    public const int MaxEncodedSize = 2 * (4 + Vote.MaxEncodedSize);

    public byte[] Encode()
    {
        var w = new CanonicalWriter(MaxEncodedSize);
        w.Bytes(First.Raw);
        w.Bytes(Second.Raw);
        return w.ToArray();
    }

    public static VoteEvidence Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxEncodedSize) throw new DecodeException("vote evidence is larger than the limit");
        var r = new CanonicalReader(data);
        var a = Vote.Decode(r.Bytes(Vote.MaxEncodedSize, "first vote"));
        var b = Vote.Decode(r.Bytes(Vote.MaxEncodedSize, "second vote"));
        r.EnsureEnd("vote evidence");
        return new VoteEvidence(a, b);
    }

    /// <summary>The offence when the evidence holds (one voter, one chain, both signatures valid, a slashing condition met); otherwise <see cref="Offence.None"/> and the reason.</summary>
    public Offence Check(string chainId, out string? error)
    {
        error = null;
        var offence = SlashingConditions.Find(First, Second);
        if (First.ChainId != chainId || Second.ChainId != chainId) error = $"a vote is not for chain {chainId}";
        else if (!First.VoterKey.AsSpan().SequenceEqual(Second.VoterKey)) error = "the votes are by different voters";
        else if (First.SameContent(Second)) error = "the two votes say the same thing";
        else if (offence == Offence.None) error = "the votes neither target one height nor surround each other";
        else if (!First.VerifySignature()) error = "the first vote's signature is not valid";
        else if (!Second.VerifySignature()) error = "the second vote's signature is not valid";
        return error is null ? offence : Offence.None;
    }
}
