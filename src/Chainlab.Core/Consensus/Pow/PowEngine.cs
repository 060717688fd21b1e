using System.Buffers.Binary;
using System.Security.Cryptography;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pow;

/// <summary>
/// Proof of work. Seal = difficulty u64 | window start ms u64 | nonce u64. The producer key in the header
/// is the miner's reward key (the reward and fees go to its address), and the header with the difficulty
/// and window is committed to by one SHA-256 (the "work header"); the work is double SHA-256 of work header
/// ‖ nonce (40 bytes), and the block is valid when the top 64 bits of that hash, big-endian, are below
/// 2^64 / difficulty. So difficulty is the expected number of hashes per block and is the block's weight.
/// Every <c>retargetInterval</c> blocks the difficulty is scaled by (expected / actual) time of the last
/// window, bounded to a factor of 4 each way.
/// </summary>
public sealed class PowEngine(ChainSpec spec) : IConsensusEngine
{
    public const int SealSize = 24;
    public const ulong MaxStep = 4;

    public string Name => "pow";
    public ulong TickMs => 0;
    public IReadOnlyList<Execution.ITransactionRules> TransactionRules => [];
    public void InitGenesis(WorldState state) { }

    /// <summary>Where each mining run starts its nonce search (seeded by the node; random by default).</summary>
    public Random NonceStart { get; set; } = new();

    /// <summary>Mining threads used by <see cref="Seal"/>.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>
    /// Hashes per second this miner may try, all threads together (0: as fast as the cores go). A devnet gives
    /// each miner a cap well below what a core does, so the miners' shares of the hash power are what the caps
    /// say as long as each gets that small part of a core (lessons on majority attacks need a miner with 70 %).
    /// </summary>
    public long MaxHashRate { get; set; }

    private long _hashes;
    /// <summary>Hashes tried by this process so far (for the hash rate).</summary>
    public long Hashes => Interlocked.Read(ref _hashes);
    private long _miningTicks;

    /// <summary>Hashes per second while mining, averaged over all the time spent mining in this process.</summary>
    public double HashRate => Interlocked.Read(ref _miningTicks) is var t and > 0 ? Hashes / TimeSpan.FromTicks(t).TotalSeconds : 0;

    public static ulong Target(ulong difficulty) => difficulty <= 1 ? ulong.MaxValue : ulong.MaxValue / difficulty;

    /// <summary>The difficulty and window start a child of parent at height must carry.</summary>
    public (ulong Difficulty, ulong WindowStart) Expected(BlockHeader parent, ulong timestampMs)
    {
        var height = parent.Height + 1;
        var n = spec.Consensus.RetargetInterval;
        if (parent.Height == 0) return (spec.Consensus.InitialDifficulty, timestampMs);
        var (d, start) = Read(parent.Seal);
        if ((height - 1) % n != 0) return (d, start);
        return (Retarget(d, parent.TimestampMs - start, (n - 1) * spec.BlockTimeMs), timestampMs);
    }

    /// <summary>Scales difficulty by expected/actual time, at most a factor of 4 either way, never below 1.</summary>
    public static ulong Retarget(ulong difficulty, ulong actualMs, ulong expectedMs)
    {
        var scaled = (UInt128)difficulty * expectedMs / Math.Max(1UL, actualMs);
        var lo = Math.Max(1UL, difficulty / MaxStep);
        var hi = (UInt128)difficulty * MaxStep;
        if (scaled < lo) scaled = lo;
        if (scaled > hi) scaled = hi;
        return scaled > ulong.MaxValue ? ulong.MaxValue : (ulong)scaled;
    }

    private static (ulong Difficulty, ulong WindowStart) Read(byte[] seal) =>
        seal.Length == SealSize ? (BinaryPrimitives.ReadUInt64BigEndian(seal), BinaryPrimitives.ReadUInt64BigEndian(seal.AsSpan(8))) : (0, 0);

    public static byte[] WorkHeader(BlockHeader header) => SHA256.HashData([.. header.SealingMessage(), .. header.Seal.AsSpan(0, 16)]);

    /// <summary>Double SHA-256 of work header ‖ nonce, top 64 bits.</summary>
    public static ulong Work(ReadOnlySpan<byte> workHeader, ulong nonce)
    {
        Span<byte> input = stackalloc byte[40];
        workHeader.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input[32..], nonce);
        Span<byte> h = stackalloc byte[32];
        Span<byte> h2 = stackalloc byte[32];
        FastSha256.Hash(input, h);
        FastSha256.Hash(h, h2);
        h = h2;
        return BinaryPrimitives.ReadUInt64BigEndian(h);
    }

    public Claim? TryClaim(BlockHeader parent, IAccountReader parentState, ulong nowMs, KeyPair key)
    {
        var ts = Math.Max(nowMs, parent.TimestampMs + 1);
        var (d, start) = Expected(parent, ts);
        var prefix = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, d);
        BinaryPrimitives.WriteUInt64BigEndian(prefix.AsSpan(8), start);
        return new Claim(ts, prefix);
    }

    /// <summary>Searches nonces on <see cref="Threads"/> threads until one meets the target or ct fires.</summary>
    public byte[]? Seal(BlockHeader draft, KeyPair key, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var work = WorkHeader(draft);
        var target = Target(BinaryPrimitives.ReadUInt64BigEndian(draft.Seal));
        ulong start;
        lock (NonceStart) start = (ulong)NonceStart.NextInt64();
        long found = -1;
        ulong nonce = 0;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Never more threads than hashes a second allowed: each thread tries at least one a second.
        var threads = (int)Math.Max(1, MaxHashRate > 0 ? Math.Min(Threads, MaxHashRate) : Threads);
        // Capped: each thread tries its part of the rate in batches of about 5 ms of it, and sleeps whenever it
        // is ahead of rate × time since the search began.
        var perThread = MaxHashRate > 0 ? Math.Max(1.0, (double)MaxHashRate / threads) : 0;
        var batch = perThread > 0 ? (int)Math.Clamp(perThread / 200, 1, 1024) : 1024;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var n = start + (ulong)t;
            long tried = 0;
            while (!done.IsCancellationRequested)
            {
                for (var i = 0; i < batch; i++, n += (ulong)threads)
                    if (Work(work, n) < target)
                    {
                        if (Interlocked.CompareExchange(ref found, t, -1) == -1) { nonce = n; done.Cancel(); }
                        break;
                    }
                Interlocked.Add(ref _hashes, batch);
                tried += batch;
                if (perThread > 0)
                {
                    var ahead = tried / perThread - System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                    if (ahead > 0.001) done.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(ahead));
                }
            }
        });
        Interlocked.Add(ref _miningTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
        return Interlocked.Read(ref found) < 0 ? null : SealWith(draft, nonce);
    }

    /// <summary>
    /// Simulated work: any nonce meets the target (the difficulty and its window are still checked). Only the
    /// simulator sets it (NodeOptions.SimulatedWork, which no file, flag or route reaches): its miners wait an
    /// exponential time on the virtual clock instead of hashing, so a real network never accepts such a block.
    /// </summary>
    public bool SimulatedWork { get; set; }

    /// <summary>The seal of a draft with this nonce (what mining found; with simulated work, any nonce).</summary>
    public static byte[] SealWith(BlockHeader draft, ulong nonce)
    {
        var seal = new byte[SealSize];
        draft.Seal.AsSpan(0, 16).CopyTo(seal);
        BinaryPrimitives.WriteUInt64BigEndian(seal.AsSpan(16), nonce);
        return seal;
    }

    /// <summary>The difficulty a draft or a block's seal carries.</summary>
    public static ulong DifficultyOf(BlockHeader header) => BinaryPrimitives.ReadUInt64BigEndian(header.Seal);

    public string? VerifySeal(BlockHeader header, BlockHeader parent)
    {
        if (header.Seal.Length != SealSize) return $"proof-of-work seal must be {SealSize} bytes, not {header.Seal.Length}";
        if (header.TimestampMs <= parent.TimestampMs) return "timestamp is not after the parent's";
        var (d, start) = Read(header.Seal);
        var (ed, estart) = Expected(parent, header.TimestampMs);
        if (d != ed) return $"difficulty {d} should be {ed}";
        if (start != estart) return "difficulty window start is wrong";
        if (!SimulatedWork && Work(WorkHeader(header), BinaryPrimitives.ReadUInt64BigEndian(header.Seal.AsSpan(16))) >= Target(d))
            return "proof of work does not meet the target";
        return null;
    }

    public string? VerifyProducer(BlockHeader header, BlockHeader parent, IAccountReader parentState) => null;

    public ulong Weight(BlockHeader header, BlockHeader parent) => Math.Max(1UL, Read(header.Seal).Difficulty);

    public void BeginBlock(StateOverlay state, BlockHeader header) { }

    public void EndBlock(StateOverlay state, BlockHeader header) { }

    public object Describe(BlockHeader head, IAccountReader state, ulong nowMs) => new
    {
        difficulty = head.Height == 0 ? spec.Consensus.InitialDifficulty : Read(head.Seal).Difficulty,
        nextDifficulty = Expected(head, Math.Max(nowMs, head.TimestampMs + 1)).Difficulty,
        retargetInterval = spec.Consensus.RetargetInterval,
        hashesTried = Hashes,
        hashRate = Math.Round(HashRate),
        miningThreads = Threads,
        maxHashRate = MaxHashRate > 0 ? MaxHashRate : (long?)null,
    };
}
