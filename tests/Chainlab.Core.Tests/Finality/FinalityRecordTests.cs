using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Core.Rules;
using Chainlab.Core.State;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

/// <summary>
/// The finality record in world state (decisions 0007 and 0009): restoring a tracker from its record changes
/// nothing it would decide; vote transactions count on a chain whose spec switches finality on and on no other;
/// a checkpoint joins the record as the block after it opens.
/// </summary>
public sealed class FinalityRecordTests
{
    private static readonly KeyPair[] Keys = Build.Keys(4, seed: 9);

    [Fact]
    public void A_tracker_restored_from_its_record_after_every_step_decides_every_later_vote_as_the_live_one_does()
    {
        // Seeded random play on one branch: checkpoints come, voters vote honest links, now and then a link that
        // skips, a duplicate, a double vote or a surround vote. After each step the record is written, read back
        // and restored; the restored tracker must agree with the live one on what is justified and finalised, on
        // participation, and on the outcome of the next vote.
        var finalisedSomething = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            var rng = new Random(seed);
            var voters = Voters(Keys, 1, 2, 3, 4);
            const ulong interval = 4;
            var live = new FinalityTracker(ChainId, interval, FinalityTestChain.Genesis, voters);
            var restored = RoundTrip(live);
            var made = new List<Vote>();
            for (var step = 0; step < 60; step++)
            {
                if (rng.Next(3) == 0)
                {
                    var next = At("main", live.Checkpoints.Last().Height + interval);
                    live.AddCheckpoint(next, voters);
                    restored.AddCheckpoint(next, voters);
                }
                var vote = NextVote(rng, live, made);
                var a = live.Include(vote);
                var b = restored.Include(vote);
                Assert.Equal(a.Refusal, b.Refusal);
                Assert.Equal(a.Justified, b.Justified);
                Assert.Equal(a.Finalised, b.Finalised);
                if (a.Counted) made.Add(vote);
                restored = RoundTrip(live);
                Assert.Equal(live.LastJustified, restored.LastJustified);
                Assert.Equal(live.LastFinalised, restored.LastFinalised);
                foreach (var c in live.Checkpoints.Where(c => c.Height > live.LastFinalised.Height))
                {
                    Assert.Equal(live.Participation(c), restored.Participation(c));
                    Assert.Equal(live.IsJustified(c), restored.IsJustified(c));
                }
            }
            if (live.LastFinalised.Height > 0) finalisedSomething++;
        }
        // Random play gets stuck now and then (a voter's double vote keeps its later votes out); most runs must
        // have finalised, or the restore after a finalisation (which prunes the record) was tested little.
        Assert.True(finalisedSomething >= 10, $"only {finalisedSomething} of 20 plays finalised anything");
    }

    private static FinalityTracker RoundTrip(FinalityTracker t) =>
        FinalityTracker.Restore(ChainId, t.Interval, FinalityRecord.Decode(FinalityRecord.Encode(t.Export())));

    private static Vote NextVote(Random rng, FinalityTracker t, List<Vote> made)
    {
        var checkpoints = t.Checkpoints.ToList();
        var key = Keys[rng.Next(Keys.Length)];
        var justified = checkpoints.Where(t.IsJustified).ToList();
        var source = rng.Next(5) == 0 ? checkpoints[rng.Next(checkpoints.Count)] : justified[^1];
        var above = checkpoints.Where(c => c.Height > source.Height).ToList();
        if (above.Count == 0) return Vote.Create(key, ChainId, checkpoints[0], At("main", source.Height + t.Interval)); // an unknown target
        var target = rng.Next(4) == 0 ? above[rng.Next(above.Count)] : above[0];
        if (rng.Next(10) == 0 && made.Count > 0) return made[rng.Next(made.Count)]; // a duplicate (or another voter's)
        return Vote.Create(key, ChainId, source, target);
    }

    [Fact]
    public void A_record_with_a_byte_too_many_or_another_version_does_not_decode()
    {
        var t = Tracker(Voters(Keys), 4, 3);
        t.VoteAll(Keys.Take(3), t.Cp(0), t.Cp(1));
        var bytes = FinalityRecord.Encode(t.Export());
        Assert.Equal(bytes, FinalityRecord.Encode(FinalityRecord.Decode(bytes)));
        Assert.Throws<DecodeException>(() => FinalityRecord.Decode([.. bytes, 0]));
        var other = bytes.ToArray();
        other[0] = 2;
        Assert.Contains("version 2", Assert.Throws<DecodeException>(() => FinalityRecord.Decode(other)).Message);
    }

    private static ChainSpec FinalSpec(ulong interval = 4) => Build.Spec(Keys) with
    {
        Consensus = Build.Authorities(Keys),
        Finality = new FinalitySpec { CheckpointInterval = interval, VoteDepth = 1 },
    };

    /// <summary>A chain of made-up blocks whose hash is the hash of their height: each block opens (the checkpoint hook) and runs its transactions.</summary>
    private sealed class Chain
    {
        public ChainRules Rules { get; }
        public StateOverlay State { get; }
        public ulong Height { get; private set; }
        private readonly Dictionary<Address, ulong> _nonces = new();

        public Chain(ChainSpec spec)
        {
            Rules = ChainRules.For(spec);
            var genesis = new WorldState();
            foreach (var (a, b) in spec.Alloc) genesis.Put(Address.Parse(a), new Account(b, 0, 0));
            Rules.Engine.InitGenesis(genesis);
            State = new StateOverlay(genesis);
        }

        public static Hash HashAt(ulong h) => Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"block/{h}"));
        public Checkpoint Cp(ulong h) => new(h, HashAt(h));

        public void Block(params Transaction[] txs)
        {
            Height++;
            var header = new BlockHeader(Height, HashAt(Height - 1), 1_000 * Height, new byte[32], Hash.Zero, Hash.Zero, Hash.Zero, 0, []);
            Rules.BeginBlock(State, header);
            var ex = Rules.ExecuteTransactions(State, Height, header.TimestampMs, Address.FromPublicKey(Keys[0].PublicKey), txs);
            Assert.True(ex.Ok, ex.Error);
        }

        public Transaction Votes(KeyPair sender, IEnumerable<Vote> votes, ulong fee = 0)
        {
            var nonce = _nonces.GetValueOrDefault(sender.Address);
            _nonces[sender.Address] = nonce + 1;
            return Transaction.Create(sender, Rules.Spec.ChainId, TxKind.Vote, nonce, fee, Address.Zero, 0, VoteBatch.Encode(votes.ToList()));
        }

        public FinalityTracker Record => FinalityRecord.Read(Rules.Spec, State)!;
    }

    [Fact]
    public void On_a_chain_with_finality_fee_free_vote_transactions_justify_and_finalise_checkpoints_and_the_record_forgets_what_is_final()
    {
        var chain = new Chain(FinalSpec());
        chain.Block();
        Assert.Equal([Chain.HashAt(0)], chain.Record.Checkpoints.Select(c => c.Hash)); // genesis, recorded as block 1 opened
        for (var i = 0; i < 4; i++) chain.Block(); // block 5 opens: checkpoint 4 joins the record
        Assert.Equal(2, chain.Record.Checkpoints.Count());

        // Three of four authorities vote genesis → 4: more than two thirds, so 4 is justified (and genesis, final already, stays so).
        var reporter = Keys[3];
        chain.Block(chain.Votes(reporter, Keys.Take(3).Select(k => Vote.Create(k, ChainId, chain.Cp(0), chain.Cp(4)))));
        Assert.Equal(chain.Cp(4), chain.Record.LastJustified);
        Assert.Equal(1UL, chain.State.Get(reporter.Address).Nonce); // fee-free, but the nonce moves on

        for (var i = 0; i < 3; i++) chain.Block(); // block 9 opens: checkpoint 8
        var link = Keys.Take(3).Select(k => Vote.Create(k, ChainId, chain.Cp(4), chain.Cp(8))).ToList();
        chain.Block(chain.Votes(reporter, link));
        Assert.Equal(chain.Cp(8), chain.Record.LastJustified);
        Assert.Equal(chain.Cp(4), chain.Record.LastFinalised);
        // What is final is forgotten: the record starts at checkpoint 4 and keeps only the votes that target 8.
        var kept = FinalityRecord.Decode(chain.State.Get(SystemAccounts.Finality).Data);
        Assert.Equal(chain.Cp(4), kept.Checkpoints[0].Checkpoint);
        Assert.Equal(3, kept.Votes.Count);
        Assert.All(kept.Votes, v => Assert.Equal(chain.Cp(8), v.Target));

        // A vote that does not count spoils the whole transaction: a double vote for 8, a second time the same vote.
        var state = chain.State;
        var doubleVote = Vote.Create(Keys[0], ChainId, chain.Cp(0), chain.Cp(8));
        var r = chain.Rules.Apply(state, chain.Votes(reporter, [Vote.Create(Keys[3], ChainId, chain.Cp(4), chain.Cp(8)), doubleVote]), 10);
        Assert.Equal(TxError.InvalidVote, r.Error);
        Assert.Contains("vote 1", r.Detail);
        Assert.Contains("source", r.Detail); // its source, genesis, lies below the last finalised checkpoint
        r = chain.Rules.Apply(state, chain.Votes(Keys[2], [link[0]]), 10);
        Assert.Equal(TxError.InvalidVote, r.Error);
        Assert.Contains("already counted", r.Detail);
    }

    [Fact]
    public void Without_finality_in_the_spec_votes_are_not_a_kind_of_the_chain_no_record_is_kept_and_the_genesis_hash_is_unchanged()
    {
        var plain = Build.Spec(Keys) with { Consensus = Build.Authorities(Keys) };
        var chain = new Chain(plain);
        for (var i = 0; i < 6; i++) chain.Block();
        Assert.True(chain.State.Get(SystemAccounts.Finality).IsEmpty);
        var tx = chain.Votes(Keys[0], [Vote.Create(Keys[1], plain.ChainId, chain.Cp(0), chain.Cp(4))]);
        Assert.Equal(TxError.UnsupportedKind, chain.Rules.CheckStateless(tx).Error);
        Assert.False(plain.CanonicalBytes().AsSpan().SequenceEqual(FinalSpec().CanonicalBytes()));
        Assert.Equal(plain.CanonicalBytes(), (plain with { Finality = null }).CanonicalBytes());
        Assert.Equal(FinalSpec().CanonicalBytes(), ChainSpec.FromJson(FinalSpec().ToJson()).CanonicalBytes());
    }

    [Theory]
    [InlineData("pow", 0UL, 2UL, "proof of work has no voters")]
    [InlineData("poa", 1UL, 0UL, "checkpointInterval must be 0")]
    [InlineData("poa", 8UL, 8UL, "voteDepth must be below the checkpoint interval (8)")]
    [InlineData("poa", 0UL, 16UL, "voteDepth must be below the checkpoint interval (16)")]
    public void A_finality_group_that_cannot_work_is_refused_with_what_is_wrong(string engine, ulong interval, ulong depth, string expected)
    {
        var consensus = engine == "pow" ? new ConsensusSpec { Engine = "pow" } : Build.Authorities(Keys);
        var spec = Build.Spec(Keys) with { Consensus = consensus, Finality = new FinalitySpec { CheckpointInterval = interval, VoteDepth = depth } };
        Assert.Contains(expected, Assert.Throws<FormatException>(() => ChainSpec.FromJson(spec.ToJson())).Message);
    }
}
