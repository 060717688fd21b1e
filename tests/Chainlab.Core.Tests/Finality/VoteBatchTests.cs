using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

public sealed class VoteBatchTests
{
    private static readonly KeyPair[] Keys = Build.Keys(3, seed: 9);

    private static Vote[] Votes(int n) =>
        Enumerable.Range(0, n).Select(i => Vote.Create(Keys[i % Keys.Length], new string('x', 32), Genesis, At("main", 4 * (ulong)(i + 1)))).ToArray();

    [Fact]
    public void A_batch_round_trips_in_order()
    {
        var votes = Votes(5);
        var back = VoteBatch.Decode(VoteBatch.Encode(votes));
        Assert.Equal(votes.Select(v => v.Id), back.Select(v => v.Id));
    }

    [Fact]
    public void The_largest_batch_of_the_largest_votes_fits_a_transaction_payload()
    {
        var full = VoteBatch.Encode(Votes(VoteBatch.MaxPerTransaction));
        Assert.True(full.Length <= Limits.MaxPayloadBytes, $"{full.Length} bytes");
        Assert.Equal(VoteBatch.MaxPerTransaction, VoteBatch.Decode(full).Count);
        Assert.Throws<DecodeException>(() => VoteBatch.Decode(VoteBatch.Encode(Votes(VoteBatch.MaxPerTransaction + 1))));
    }

    [Fact]
    public void Decoding_refuses_empty_repeated_truncated_and_trailing_batches()
    {
        Assert.Throws<DecodeException>(() => VoteBatch.Decode(VoteBatch.Encode([])));
        var v = Votes(2);
        Assert.Throws<DecodeException>(() => VoteBatch.Decode(VoteBatch.Encode([v[0], v[1], v[0]])));
        var raw = VoteBatch.Encode(v);
        for (var cut = 0; cut < raw.Length; cut += 9)
            Assert.Throws<DecodeException>(() => VoteBatch.Decode(raw.AsSpan(0, cut)));
        Assert.Throws<DecodeException>(() => VoteBatch.Decode([.. raw, 0]));
    }
}
