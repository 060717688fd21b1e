using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.Tests.Consensus;

public sealed class PosLotteryTests
{
    [Fact]
    public void Over_10000_slots_each_validators_share_of_wins_matches_its_stake_share()
    {
        // Four validators with stakes 1:2:3:4 and f = 0.6. Validator i wins a slot with probability
        // p_i = f * s_i / S, independently, so its wins over n slots are Binomial(n, p_i). The bound is
        // 4.5 standard deviations per validator (a false alarm for one of four has probability ~3e-5; the
        // inputs are seeded, so the run is the same every time).
        const int slots = 10_000;
        const ulong ppm = 600_000;
        var keys = Enumerable.Range(0, 4).Select(i => KeyPair.FromRandom(new Random(100 + i))).ToArray();
        ulong[] stakes = [1_000, 2_000, 3_000, 4_000];
        var total = stakes.Aggregate(0UL, (a, b) => a + b);
        var randomness = System.Security.Cryptography.SHA256.HashData("seeded epoch randomness"u8);
        var wins = new int[4];
        var winnersPerSlot = new int[slots];
        Parallel.For(0, slots, slot =>
        {
            var alpha = PosEngine.Alpha(randomness, (ulong)slot);
            for (var v = 0; v < 4; v++)
            {
                var beta = Vrf.ProofToHash(Vrf.Prove(keys[v].Seed, alpha))!;
                if (!PosEngine.Wins(beta, PosEngine.Threshold(stakes[v], total, ppm))) continue;
                Interlocked.Increment(ref wins[v]);
                Interlocked.Increment(ref winnersPerSlot[slot]);
            }
        });
        for (var v = 0; v < 4; v++)
        {
            var p = 0.6 * stakes[v] / total;
            var sigma = Math.Sqrt(slots * p * (1 - p));
            Assert.InRange(wins[v], slots * p - 4.5 * sigma, slots * p + 4.5 * sigma);
        }
        // Share of all wins against stake share: within 2 percentage points.
        var allWins = wins.Sum();
        for (var v = 0; v < 4; v++) Assert.InRange((double)wins[v] / allWins, stakes[v] / (double)total - 0.02, stakes[v] / (double)total + 0.02);
        // Empty slots and slots with several winners are both normal: expected 1 - 0.94*0.88*0.82*0.76 ≈ 48% empty.
        var empty = winnersPerSlot.Count(w => w == 0) / (double)slots;
        Assert.InRange(empty, 0.44, 0.52);
        Assert.True(winnersPerSlot.Count(w => w > 1) > 500);
    }

    [Fact]
    public void Threshold_is_proportional_and_bounded()
    {
        Assert.Equal(0UL, PosEngine.Threshold(0, 100, 600_000));
        Assert.Equal(0UL, PosEngine.Threshold(5, 0, 600_000));
        Assert.Equal(ulong.MaxValue, PosEngine.Threshold(100, 100, 1_000_000));
        var half = PosEngine.Threshold(50, 100, 1_000_000);
        Assert.InRange(half, ulong.MaxValue / 2 - 1, ulong.MaxValue / 2 + 1);
        Assert.Equal(PosEngine.Threshold(1, 4, 600_000), PosEngine.Threshold(1_000, 4_000, 600_000));
    }
}
