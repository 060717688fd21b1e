using System.Buffers.Binary;
using Chainlab.Core.Consensus;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;

namespace Chainlab.Node.Tests.Consensus;

public sealed class PosStakeTests : IAsyncLifetime
{
    // Build.Keys(5, 99): [0..3] are genesis validators with equal stake, [4] a funded account that is not one.
    private static readonly KeyPair[] All = Build.Keys(5, seed: 99);
    private static readonly KeyPair[] Validators = All[..4];
    private static readonly KeyPair Outsider = All[4];
    private TestNode _n = null!;

    private static readonly ChainSpec PosSpec = TestNode.SpecFor(All[0], All[1..]) with
    {
        Consensus = new ConsensusSpec
        {
            Engine = "pos", EpochSlots = 8, ActiveSlotsPpm = 800_000, BondingEpochs = 1, UnbondingBlocks = 5,
            SlashPpm = 500_000, ReporterPpm = 100_000,
            Validators = Validators.Select(v => new GenesisValidator(Convert.ToHexStringLower(v.PublicKey), 10_000)).ToList(),
        },
        Alloc = All.ToDictionary(k => k.Address.ToString(), _ => 1_000_000UL),
    };

    public async Task InitializeAsync() => _n = await TestNode.StartAsync(spec: PosSpec);
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    private Blockchain Chain => _n.Node.Chain;
    private StakeRecord Record => StakeRecord.Read(Chain.State);
    private ulong NextSlot => _n.Driver.NextSlot;

    private void SetTime(ulong ms) => _n.Driver.AdvanceTo(ms);

    /// <summary>Walks the slots until one of the validators wins one, and produces that block.</summary>
    private Task<Block> NextBlock(IEnumerable<KeyPair>? who = null) => _n.Driver.ProduceAsync([.. who ?? All]);

    private Transaction Tx(KeyPair from, TxKind kind, ulong amount, byte[]? payload = null) =>
        Transaction.Create(from, "test-chain", kind, Chain.Account(from.Address).Nonce, 1, Address.Zero, amount, payload);

    [Fact]
    public async Task Blocks_are_won_by_stake_and_a_new_stake_counts_from_the_next_epoch()
    {
        var produced = new List<Block>();
        for (var i = 0; i < 6; i++) produced.Add(await NextBlock());
        Assert.All(produced, b => Assert.Contains(Validators, v => v.PublicKey.AsSpan().SequenceEqual(b.Header.Producer)));
        Assert.Equal(6UL, Chain.Head.Height);

        var stakeTx = Tx(Outsider, TxKind.Stake, 30_000);
        Assert.True(_n.Node.Pool.Admit([stakeTx.Raw])[0].Accepted);
        var staked = await NextBlock();
        Assert.Single(staked.Transactions);
        Assert.Equal(30_000UL, Chain.Account(Outsider.Address).Stake);
        Assert.Equal(1_000_000UL - 30_000 - 1, Chain.Account(Outsider.Address).Balance);
        var entry = Record.Find(Outsider.PublicKey)!;
        var from = Assert.Single(entry.Bonding).Epoch;
        Assert.Equal(0UL, Record.SnapshotStake(Outsider.PublicKey));

        // Once the chain is in that epoch the stake is in the snapshot (and, as 3/7 of all stake, wins slots).
        while (Chain.Engine is PosEngine pos && pos.EpochOf(Chain.Clock.SlotAt(Chain.Head.TimestampMs)) < from) await NextBlock();
        Assert.Equal(30_000UL, Record.SnapshotStake(Outsider.PublicKey));
        var wins = 0;
        for (var i = 0; i < 12; i++) if ((await NextBlock()).Header.Producer.AsSpan().SequenceEqual(Outsider.PublicKey)) wins++;
        Assert.True(wins > 0, "the new validator never won in 12 blocks");
    }

    [Fact]
    public async Task Unstaking_pays_back_after_the_delay_and_overdrafts_are_refused()
    {
        await NextBlock();
        var v = Validators[1];
        var rich = Chain.Account(Outsider.Address).Balance;
        Assert.Equal(TxError.InsufficientBalance, _n.Node.Pool.Admit([Tx(Outsider, TxKind.Stake, rich + 1).Raw])[0].Result.Error);
        Assert.Equal(TxError.InsufficientStake, _n.Node.Pool.Admit([Tx(v, TxKind.Unstake, 10_001).Raw])[0].Result.Error);
        Assert.Equal(TxError.InsufficientStake, _n.Node.Pool.Admit([Tx(Outsider, TxKind.Unstake, 1).Raw])[0].Result.Error);

        var balance = Chain.Account(v.Address).Balance;
        Assert.True(_n.Node.Pool.Admit([Tx(v, TxKind.Unstake, 4_000).Raw])[0].Accepted);
        var block = await NextBlock(Validators.Where(x => x != v));
        Assert.Single(block.Transactions);
        Assert.Equal(6_000UL, Chain.Account(v.Address).Stake);
        var (amount, release) = Assert.Single(Record.Find(v.PublicKey)!.Unbonding);
        Assert.Equal((4_000UL, block.Height + 5), (amount, release));
        // Coins being unbonded are in no account's balance or stake, and still counted: the supply holds exactly.
        var supply = await _n.GetJson("/api/v1/supply");
        Assert.Equal("4000", supply["unbonding"]!.GetValue<string>());
        Assert.Equal("0", supply["burned"]!.GetValue<string>());
        Assert.True(supply["conserved"]!.GetValue<bool>(), supply.ToJsonString());
        var paid = Chain.Account(v.Address).Balance;
        while (Chain.Head.Height < release - 1) await NextBlock(Validators.Where(x => x != v));
        Assert.Equal(paid, Chain.Account(v.Address).Balance);
        await NextBlock(Validators.Where(x => x != v));
        Assert.Equal(paid + 4_000, Chain.Account(v.Address).Balance);
        Assert.Equal(balance - 1 + 4_000, Chain.Account(v.Address).Balance);
        Assert.Empty(Record.Find(v.PublicKey)!.Unbonding);
    }

    [Fact]
    public async Task Equivocation_evidence_slashes_once_and_bad_evidence_changes_nothing()
    {
        await NextBlock();
        // Find a slot the cheater wins, and sign two different blocks for it.
        var cheater = Validators[2];
        var reporter = Outsider;
        Block? first = null;
        ulong at = 0;
        for (var slot = NextSlot; first is null; slot++)
        {
            at = Chain.Clock.StartOf(slot);
            SetTime(at);
            first = await _n.Node.Loop.Run(() => Chain.Prepare(at, cheater));
        }
        var a = first.Header with { Seal = Chain.Engine.Seal(first.Header, cheater, default)! };
        var b = a with { TxRoot = Hash.Sha256("other body"u8), Seal = [] };
        b = b with { Seal = SignedSeal.Sign(b with { Seal = first.Header.Seal }, cheater) };
        Assert.NotEqual(a.Hash, b.Hash);
        Assert.Equal(ImportStatus.Imported, (await _n.Node.Loop.Run(() => Chain.Import(first with { Header = a }))).Status);

        var stakeBefore = Chain.Account(cheater.Address).Stake;
        var reporterBefore = Chain.Account(reporter.Address).Balance;
        var record = Chain.State.Get(SystemAccounts.Validators);

        // Bad evidence first: the same header twice, a tampered signature, headers of two producers.
        var same = _n.Node.Pool.Admit([Tx(reporter, TxKind.Evidence, 0, PosEngine.EvidencePayload(a, a)).Raw])[0];
        Assert.Contains("same block", same.Result.Detail);
        var tampered = b with { Seal = [.. b.Seal[..^1], (byte)(b.Seal[^1] ^ 1)] };
        var badSig = _n.Node.Pool.Admit([Tx(reporter, TxKind.Evidence, 0, PosEngine.EvidencePayload(a, tampered)).Raw])[0];
        Assert.Contains("signature", badSig.Result.Detail);
        var garbage = _n.Node.Pool.Admit([Tx(reporter, TxKind.Evidence, 0, [1, 2, 3]).Raw])[0];
        Assert.Equal(TxError.InvalidEvidence, garbage.Result.Error);
        Assert.Equal(record, Chain.State.Get(SystemAccounts.Validators));

        // Real evidence lands in the next block and slashes half of the stake; the reporter gets a tenth of that.
        // It needs no fee: this reporter has never held a coin.
        var penniless = KeyPair.FromRandom(new Random(4711));
        Assert.Equal(0UL, Chain.Account(penniless.Address).Balance);
        var paidNothing = Transaction.Create(penniless, "test-chain", TxKind.Evidence, 0, 0, Address.Zero, 0, PosEngine.EvidencePayload(a, b));
        Assert.True(_n.Node.Pool.Admit([paidNothing.Raw])[0].Accepted);
        var withEvidence = await NextBlock(Validators.Where(x => x != cheater));
        Assert.Single(withEvidence.Transactions);
        Assert.Equal(stakeBefore / 2, Chain.Account(cheater.Address).Stake);
        Assert.Equal(stakeBefore / 2 / 10, Chain.Account(penniless.Address).Balance);
        Assert.Equal(reporterBefore, Chain.Account(reporter.Address).Balance);
        Assert.Equal(stakeBefore / 2, Record.SnapshotStake(cheater.PublicKey));
        Assert.Single(Record.Slashed);
        // What the reporter was not paid is burnt, to the reserved account, and the supply accounts for it exactly.
        Assert.Equal(stakeBefore / 2 - stakeBefore / 2 / 10, Chain.Account(SystemAccounts.Burned).Balance);
        var supply = await _n.GetJson("/api/v1/supply");
        Assert.Equal((stakeBefore / 2 - stakeBefore / 2 / 10).ToString(), supply["burned"]!.GetValue<string>());
        Assert.True(supply["conserved"]!.GetValue<bool>(), supply.ToJsonString());

        // The same equivocation cannot be punished twice.
        var again = _n.Node.Pool.Admit([Tx(reporter, TxKind.Evidence, 0, PosEngine.EvidencePayload(b, a)).Raw])[0];
        Assert.Equal(TxError.Conflict, again.Result.Error);
    }

    [Fact]
    public async Task A_node_that_sees_a_validator_sign_two_blocks_for_a_slot_submits_evidence_and_every_node_slashes()
    {
        await _n.DisposeAndDeleteAsync();
        var x = _n = await TestNode.StartAsync(spec: PosSpec, evidenceKey: Outsider);
        await using var y = await TestNode.StartAsync(spec: PosSpec);
        async Task Both(Block b)
        {
            foreach (var node in new[] { x, y })
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds((long)b.Header.TimestampMs);
                if (at > node.Time.GetUtcNow()) node.Time.SetTo(at);
                var r = await node.Node.Loop.Run(() => node.Node.Chain.Import(b));
                Assert.NotEqual(ImportStatus.Rejected, r.Status);
            }
        }
        await Both(await NextBlock());

        // The cheater wins a slot and signs two different, valid blocks for it: one empty, one with a transfer.
        var cheater = Validators[3];
        Block? a = null, b = null;
        for (var slot = NextSlot; a is null; slot++)
        {
            var at = Chain.Clock.StartOf(slot);
            SetTime(at);
            a = await x.Node.Loop.Run(() => Chain.Prepare(at, cheater));
            if (a is null) continue;
            Assert.True(x.Node.Pool.Admit([x.Transfer(0, 1, 5, Chain.Account(x.Keys[0].Address).Nonce).Raw])[0].Accepted);
            b = await x.Node.Loop.Run(() => Chain.Prepare(at, cheater));
        }
        a = a with { Header = a.Header with { Seal = Chain.Engine.Seal(a.Header, cheater, default)! } };
        b = b! with { Header = b.Header with { Seal = Chain.Engine.Seal(b.Header, cheater, default)! } };
        Assert.NotEqual(a.Hash, b.Hash);
        var stake = Chain.Account(cheater.Address).Stake;
        await Both(a);
        await Both(b);
        Assert.Equal(1, x.Node.Chain.Equivocations);
        Assert.Equal(1, y.Node.Chain.Equivocations);

        // X signed evidence with its reporter key; the next block (by an honest validator) carries it.
        var evidence = x.Node.Pool.Select(100, Chain.Head.Height + 1).Single(t => t.Kind == TxKind.Evidence);
        Block next;
        do next = await NextBlock(Validators.Where(v => v != cheater)); while (!next.Transactions.Any(t => t.Hash == evidence.Hash));
        for (var h = y.Node.Chain.Head.Height + 1; h <= next.Height; h++) await Both(x.Node.Store.BlockByHeight(h)!);

        foreach (var node in new[] { x, y })
        {
            Assert.Equal(next.Hash, node.Node.Chain.Head.Hash);
            Assert.Equal(stake / 2, node.Node.Chain.Account(cheater.Address).Stake);
            Assert.Single(StakeRecord.Read(node.Node.Chain.State).Slashed);
        }
        Assert.Equal(x.Node.Chain.State.Get(SystemAccounts.Validators), y.Node.Chain.State.Get(SystemAccounts.Validators));
    }

    [Fact]
    public async Task Of_two_blocks_for_one_slot_the_one_with_more_stake_behind_it_wins_in_either_order()
    {
        // Validator 0 holds 10,000 and validator 1 holds 40,000 (the others nothing): find a slot both win.
        var spec = PosSpec with
        {
            Consensus = PosSpec.Consensus with
            {
                Validators = [new(Convert.ToHexStringLower(Validators[0].PublicKey), 10_000), new(Convert.ToHexStringLower(Validators[1].PublicKey), 40_000)],
            },
        };
        await _n.DisposeAndDeleteAsync();
        _n = await TestNode.StartAsync(spec: spec);
        Block? light = null, heavy = null;
        for (var slot = NextSlot; heavy is null; slot++)
        {
            var at = Chain.Clock.StartOf(slot);
            SetTime(at);
            light = await _n.Node.Loop.Run(() => Chain.Prepare(at, Validators[0]));
            if (light is null) continue;
            heavy = await _n.Node.Loop.Run(() => Chain.Prepare(at, Validators[1]));
        }
        light = light! with { Header = light.Header with { Seal = Chain.Engine.Seal(light.Header, Validators[0], default)! } };
        heavy = heavy with { Header = heavy.Header with { Seal = Chain.Engine.Seal(heavy.Header, Validators[1], default)! } };

        Assert.Equal(ImportStatus.Imported, (await _n.Node.Loop.Run(() => Chain.Import(light))).Status);
        Assert.Equal(ImportStatus.Imported, (await _n.Node.Loop.Run(() => Chain.Import(heavy))).Status); // a reorg of depth 1
        Assert.Equal(heavy.Hash, Chain.Head.Hash);
        Assert.Equal(40_000UL, Chain.HeadWeight);

        await using var other = await TestNode.StartAsync(spec: spec);
        other.Time.SetTo(_n.Time.GetUtcNow());
        Assert.Equal(ImportStatus.Imported, (await other.Node.Loop.Run(() => other.Node.Chain.Import(heavy))).Status);
        Assert.Equal(ImportStatus.Side, (await other.Node.Loop.Run(() => other.Node.Chain.Import(light))).Status);
        Assert.Equal(heavy.Hash, other.Node.Chain.Head.Hash);
    }

    [Fact]
    public async Task A_vrf_proof_for_another_slot_and_malformed_seals_are_rejected()
    {
        var block = await NextBlock();
        var key = All.First(k => k.PublicKey.AsSpan().SequenceEqual(block.Header.Producer));
        await _n.DisposeAndDeleteAsync();
        _n = await TestNode.StartAsync(spec: PosSpec);
        SetTime(block.Header.TimestampMs + 5 * Chain.Spec.BlockTimeMs);

        // Same seal prefix (stake and proof), moved to a later slot and signed again: the proof is for the old slot.
        var moved = block.Header with { TimestampMs = block.Header.TimestampMs + Chain.Spec.BlockTimeMs, Seal = block.Header.Seal[..PosEngine.PrefixSize] };
        moved = moved with { Seal = SignedSeal.Sign(moved, key) };
        var r = await _n.Node.Loop.Run(() => Chain.Import(block with { Header = moved }));
        Assert.Equal(ImportStatus.Rejected, r.Status);
        Assert.Contains("VRF proof is not valid", r.Reason);

        // A claimed stake that is not the producer's.
        var inflated = (byte[])block.Header.Seal[..PosEngine.PrefixSize].Clone();
        BinaryPrimitives.WriteUInt64BigEndian(inflated, 999_999);
        var lying = block.Header with { Seal = inflated };
        lying = lying with { Seal = SignedSeal.Sign(lying, key) };
        Assert.Contains("claims stake 999999", (await _n.Node.Loop.Run(() => Chain.Import(block with { Header = lying }))).Reason);

        // Wrong length, and a proof whose Gamma is not a curve point.
        Assert.Contains("seal must be 152 bytes", (await _n.Node.Loop.Run(() => Chain.Import(block with { Header = block.Header with { Seal = block.Header.Seal[..100] } }))).Reason);
        var offCurve = (byte[])block.Header.Seal[..PosEngine.PrefixSize].Clone();
        offCurve.AsSpan(8, 32).Clear(); offCurve[8] = 2;
        var bad = block.Header with { Seal = offCurve };
        bad = bad with { Seal = SignedSeal.Sign(bad, key) };
        Assert.Contains("VRF proof is not valid", (await _n.Node.Loop.Run(() => Chain.Import(block with { Header = bad }))).Reason);
        Assert.Equal(0UL, Chain.Head.Height);

        // The untouched block still imports.
        Assert.Equal(ImportStatus.Imported, (await _n.Node.Loop.Run(() => Chain.Import(block))).Status);
    }
}
