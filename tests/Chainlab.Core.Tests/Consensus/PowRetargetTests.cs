using Chainlab.Core.Rules;
using System.Buffers.Binary;
using Chainlab.Core.Consensus.Pow;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Core.Tests.Consensus;

public sealed class PowRetargetTests
{
    private static readonly ChainSpec Spec = new()
    {
        ChainId = "pow-test", GenesisTimeMs = 1_000_000, BlockTimeMs = 1000,
        Consensus = new ConsensusSpec { Engine = "pow", InitialDifficulty = 1_000_000, RetargetInterval = 10 },
    };

    private static BlockHeader Header(ulong height, ulong ts, ulong difficulty, ulong windowStart)
    {
        var seal = new byte[PowEngine.SealSize];
        BinaryPrimitives.WriteUInt64BigEndian(seal, difficulty);
        BinaryPrimitives.WriteUInt64BigEndian(seal.AsSpan(8), windowStart);
        return new BlockHeader(height, Hash.Zero, ts, new byte[32], Hash.Zero, Hash.Zero, Hash.Zero, 0, seal);
    }

    /// <summary>
    /// Runs the retarget rule over a simulated chain: the clock advances by the expected time to find a block,
    /// difficulty / hash rate, and the hash rate changes at the given heights. Returns the difficulty per height.
    /// </summary>
    private static List<ulong> Simulate(int blocks, Func<int, double> hashRate)
    {
        var engine = new PowEngine(Spec);
        var parent = Spec.GenesisBlock().Header;
        var clock = (double)Spec.GenesisTimeMs;
        var difficulties = new List<ulong>();
        for (var h = 1; h <= blocks; h++)
        {
            var d = h == 1 ? Spec.Consensus.InitialDifficulty : BinaryPrimitives.ReadUInt64BigEndian(parent.Seal);
            clock += d / hashRate(h) * 1000;
            var ts = Math.Max((ulong)clock, parent.TimestampMs + 1);
            var (next, window) = engine.Expected(parent, ts);
            difficulties.Add(next);
            parent = Header((ulong)h, ts, next, window);
        }
        return difficulties;
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    [InlineData(8.0)]
    public void Difficulty_follows_the_hash_rate_back_to_the_block_time(double factor)
    {
        // 1,000,000 hashes per second at a difficulty of 1,000,000 is exactly one block per second. Then the
        // hash power changes by the factor at block 100.
        var d = Simulate(400, h => h < 100 ? 1_000_000 : 1_000_000 * factor);
        Assert.InRange(d[98], 990_000UL, 1_010_000UL);
        var settled = d[^1];
        var goal = 1_000_000 * factor;
        Assert.InRange(settled, (ulong)(goal * 0.9), (ulong)(goal * 1.1));
        // Each retarget moves at most a factor of 4, and only at window boundaries.
        for (var i = 1; i < d.Count; i++)
        {
            Assert.InRange(d[i], d[i - 1] / PowEngine.MaxStep, d[i - 1] * PowEngine.MaxStep);
            if (i % 10 != 0) Assert.Equal(d[i - 1], d[i]);
        }
    }

    [Fact]
    public void Retarget_is_bounded_and_never_reaches_zero()
    {
        Assert.Equal(4_000UL, PowEngine.Retarget(1_000, actualMs: 1, expectedMs: 9_000));
        Assert.Equal(250UL, PowEngine.Retarget(1_000, actualMs: 1_000_000, expectedMs: 9_000));
        Assert.Equal(1UL, PowEngine.Retarget(1, actualMs: 1_000_000, expectedMs: 9_000));
        Assert.Equal(2_000UL, PowEngine.Retarget(1_000, actualMs: 4_500, expectedMs: 9_000));
    }

    [Fact]
    public void A_mined_seal_verifies_and_any_change_to_it_is_rejected()
    {
        var spec = Spec with { Consensus = Spec.Consensus with { InitialDifficulty = 2_000 } };
        var engine = new PowEngine(spec);
        var genesis = spec.GenesisBlock().Header;
        var miner = KeyPair.FromRandom(new Random(3));
        var claim = engine.TryClaim(genesis, spec.GenesisState(), genesis.TimestampMs + 700, miner)!;
        var draft = new BlockHeader(1, genesis.Hash, claim.TimestampMs, miner.PublicKey, Hash.Zero, Hash.Zero, Hash.Zero, 0, claim.SealPrefix);
        var header = draft with { Seal = engine.Seal(draft, miner, CancellationToken.None)! };
        Assert.Null(engine.VerifySeal(header, genesis));
        Assert.Equal(2_000UL, engine.Weight(header, genesis));

        var nonce = BinaryPrimitives.ReadUInt64BigEndian(header.Seal.AsSpan(16));
        var failing = Enumerable.Range(1, 100).Select(i => nonce + (ulong)i)
            .First(n => PowEngine.Work(PowEngine.WorkHeader(header), n) >= PowEngine.Target(2_000));
        var badNonce = (byte[])header.Seal.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(badNonce.AsSpan(16), failing);
        Assert.Contains("does not meet the target", engine.VerifySeal(header with { Seal = badNonce }, genesis));
        var easier = (byte[])header.Seal.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(easier, 1);
        Assert.Contains("difficulty 1 should be 2000", engine.VerifySeal(header with { Seal = easier }, genesis));
        Assert.Contains("must be 24 bytes", engine.VerifySeal(header with { Seal = header.Seal[..23] }, genesis));
        // The reward key is inside the work: another miner's key changes what was hashed.
        Assert.NotEqual(PowEngine.WorkHeader(header), PowEngine.WorkHeader(header with { Producer = KeyPair.FromRandom(new Random(4)).PublicKey }));
        Assert.Contains("not after the parent", engine.VerifySeal(header with { TimestampMs = genesis.TimestampMs }, genesis));
    }

    [Fact]
    public void A_capped_miner_never_tries_more_hashes_than_its_rate_allows()
    {
        // A difficulty no nonce meets in the time: the search runs until cancelled, and the count of hashes tried
        // is at most what the cap allows (rate × time since the search began, plus the batch in hand); a core
        // does hundreds of times more, so without the cap this fails.
        var draft = Header(1, 2_000_000, ulong.MaxValue, 2_000_000);
        long Tried(long cap, int threads)
        {
            var engine = new PowEngine(Spec) { MaxHashRate = cap, Threads = threads };
            var before = engine.Hashes;
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Assert.Null(engine.Seal(draft, KeyPair.FromRandom(new Random(1)), cts.Token));
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var tried = engine.Hashes - before;
            if (cap > 0) Assert.True(tried <= cap * seconds + 2 * threads * Math.Max(1, cap / threads / 200), $"{tried} hashes in {seconds:0.000} s at a cap of {cap}/s");
            return tried;
        }
        Assert.True(Tried(5_000, 1) > 0);
        Assert.True(Tried(5_000, 2) > 0);
        Assert.True(Tried(100, 1) > 0);
    }
}
