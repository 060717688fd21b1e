using Chainlab.Core.Consensus;
using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Core.Rules;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Finality;

/// <summary>
/// Vote evidence (kind 10): two votes of one voter that double or surround vote punish it once: proof of stake
/// slashes its stake (the reporter paid, the rest burnt), proof of authority queues its removal; anything else is
/// refused with the reason, and chains without finality do not know the kind.
/// </summary>
public sealed class VoteEvidenceRulesTests
{
    private static readonly KeyPair[] Keys = Build.Keys(4, seed: 21);
    private const string ChainId = "test-chain";
    private static readonly FinalitySpec Final = new() { CheckpointInterval = 4, VoteDepth = 1 };

    private static Checkpoint Cp(ulong h, string branch = "main") => new(h, Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{branch}/{h}")));

    private static (ChainRules Rules, StateOverlay State) Chain(ConsensusSpec consensus, FinalitySpec? finality = null)
    {
        var spec = Build.Spec(Keys) with { Consensus = consensus, Finality = finality ?? Final };
        var rules = ChainRules.For(spec);
        var genesis = new WorldState();
        foreach (var (a, b) in spec.Alloc) genesis.Put(Address.Parse(a), new Account(b, 0, 0));
        rules.Engine.InitGenesis(genesis);
        return (rules, new StateOverlay(genesis));
    }

    private static ConsensusSpec Pos() => new()
    {
        Engine = "pos",
        EpochSlots = 4,
        SlashPpm = 500_000,
        ReporterPpm = 100_000,
        Validators = Keys.Select(k => new GenesisValidator(Convert.ToHexStringLower(k.PublicKey), 1_000)).ToList(),
    };

    private static Transaction Evidence(KeyPair reporter, ulong nonce, Vote a, Vote b, string chain = ChainId) =>
        Transaction.Create(reporter, chain, TxKind.VoteEvidence, nonce, 0, Address.Zero, 0, new VoteEvidence(a, b).Encode());

    [Fact]
    public void A_double_vote_slashes_the_voter_once_pays_the_reporter_a_share_and_burns_the_rest()
    {
        var (rules, state) = Chain(Pos());
        var (offender, reporter) = (Keys[3], Keys[0]);
        var a = Vote.Create(offender, ChainId, Cp(0), Cp(4));
        var b = Vote.Create(offender, ChainId, Cp(0), Cp(4, "other"));
        var before = state.Get(reporter.Address).Balance;

        var r = rules.Apply(state, Evidence(reporter, 0, a, b), 10);
        Assert.True(r.IsOk, r.Detail);
        Assert.Equal(500UL, StakeRecord.Read(state).Find(offender.PublicKey)!.Total);
        Assert.Equal(500UL, StakeRecord.Read(state).SnapshotStake(offender.PublicKey));
        Assert.Equal(before + 50, state.Get(reporter.Address).Balance);
        Assert.Equal(450UL, state.Get(SystemAccounts.Burned).Balance);
        Assert.Equal([(offender.PublicKey, 4UL)], VoteEvidenceRules.ReadOffences(state).Select(o => (o.Key, o.Height)).ToList(),
            new TupleComparer());

        // The same offence again, even with the votes the other way round: punished already.
        var again = rules.Apply(state, Evidence(Keys[1], 0, b, a), 10);
        Assert.Equal(TxError.Conflict, again.Error);
        Assert.Contains("already punished", again.Detail);
        Assert.Equal(500UL, StakeRecord.Read(state).Find(offender.PublicKey)!.Total);
    }

    [Fact]
    public void A_surround_vote_removes_a_proof_of_authority_voter_through_the_managed_set()
    {
        var (rules, state) = Chain(Build.Authorities(Keys));
        var offender = Keys[2];
        var inner = Vote.Create(offender, ChainId, Cp(4), Cp(8));
        var outer = Vote.Create(offender, ChainId, Cp(0), Cp(12));
        var r = rules.Apply(state, Evidence(Keys[0], 0, inner, outer), 10);
        Assert.True(r.IsOk, r.Detail);
        var record = AuthorityRecord.Read(state);
        var pending = Assert.Single(record.Pending);
        Assert.False(pending.Add);
        Assert.Equal(offender.PublicKey, pending.Key);
        Assert.Equal(10 + rules.Spec.Consensus.ActivationDelay, pending.EffectiveHeight);

        // The same offence again: punished already; another offence of the voter (a double vote at 8): its removal is pending.
        var again = rules.Apply(state, Evidence(Keys[1], 0, outer, inner), 11);
        Assert.Equal(TxError.Conflict, again.Error);
        Assert.Contains("already punished", again.Detail);
        var other = rules.Apply(state, Evidence(Keys[1], 0, inner, Vote.Create(offender, ChainId, Cp(4), Cp(8, "other"))), 11);
        Assert.Equal(TxError.Conflict, other.Error);
        Assert.Contains("removal is already pending", other.Detail);
    }

    [Fact]
    public void Evidence_that_proves_nothing_is_refused_with_the_reason()
    {
        var (rules, state) = Chain(Pos());
        var k = Keys[1];
        var v4 = Vote.Create(k, ChainId, Cp(0), Cp(4));
        var cases = new (Transaction Tx, string Expected)[]
        {
            (Evidence(Keys[0], 0, v4, Vote.Create(k, ChainId, Cp(4), Cp(8))), "neither target one height nor surround"),
            (Evidence(Keys[0], 0, v4, Vote.Create(Keys[2], ChainId, Cp(0), Cp(4, "other"))), "different voters"),
            (Evidence(Keys[0], 0, v4, Vote.Create(k, ChainId, Cp(0), Cp(4))), "say the same thing"),
            (Evidence(Keys[0], 0, v4, Vote.Create(k, "elsewhere", Cp(0), Cp(4, "other"))), "not for chain test-chain"),
            (Evidence(Keys[0], 0, v4, Vote.Assemble(ChainId, Cp(0), Cp(4, "other"), k.PublicKey, new byte[64])), "signature is not valid"),
            (Evidence(Keys[0], 0, Vote.Create(Keys[0], ChainId, Cp(0), Cp(4)), Vote.Create(Keys[0], ChainId, Cp(0), Cp(4, "b")), "elsewhere"), "for chain 'elsewhere'"),
        };
        foreach (var (tx, expected) in cases)
        {
            var stateless = rules.CheckStateless(tx);
            var r = stateless.IsOk ? rules.Apply(state, tx, 10) : stateless;
            Assert.False(r.IsOk, expected);
            Assert.Contains(expected, r.Detail, StringComparison.OrdinalIgnoreCase);
        }
        // A voter with no stake at all: nothing to slash.
        var stranger = KeyPair.Generate();
        var s = rules.Apply(state, Evidence(Keys[0], 0, Vote.Create(stranger, ChainId, Cp(0), Cp(4)), Vote.Create(stranger, ChainId, Cp(0), Cp(4, "b"))), 10);
        Assert.Equal(TxError.InvalidEvidence, s.Error);
        Assert.Contains("no stake", s.Detail);
        Assert.Equal(1_000UL, StakeRecord.Read(state).Find(k.PublicKey)!.Total);
    }

    [Fact]
    public void A_chain_without_finality_does_not_know_vote_evidence()
    {
        var spec = Build.Spec(Keys) with { Consensus = Pos() };
        var rules = ChainRules.For(spec);
        var tx = Evidence(Keys[0], 0, Vote.Create(Keys[1], ChainId, Cp(0), Cp(4)), Vote.Create(Keys[1], ChainId, Cp(0), Cp(4, "b")));
        Assert.Equal(TxError.UnsupportedKind, rules.CheckStateless(tx).Error);
        Assert.Equal(tx.Raw, Transaction.Decode(tx.Raw).Raw);
    }

    private sealed class TupleComparer : IEqualityComparer<(byte[] Key, ulong Height)>
    {
        public bool Equals((byte[] Key, ulong Height) x, (byte[] Key, ulong Height) y) => x.Key.AsSpan().SequenceEqual(y.Key) && x.Height == y.Height;
        public int GetHashCode((byte[] Key, ulong Height) obj) => obj.Height.GetHashCode();
    }
}
