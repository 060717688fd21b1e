using System.Text.Json.Nodes;
using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Chain;

namespace Chainlab.Node.Tests.Consensus;

public sealed class PoaAuthorityTests : IAsyncLifetime
{
    // Build.Keys(5, 99) are the keys TestNode uses: [0] is the admin and first authority, [1..4] funded accounts.
    private static readonly KeyPair[] All = Build.Keys(5, seed: 99);
    private static readonly KeyPair Admin = All[0];
    private TestNode _n = null!;

    private static ChainSpec Spec(params KeyPair[] authorities) => TestNode.SpecFor(Admin, All[1..]) with
    {
        Consensus = new ConsensusSpec
        {
            Engine = "poa", Admin = Convert.ToHexStringLower(Admin.PublicKey), ActivationDelay = 3,
            Authorities = authorities.Select(a => Convert.ToHexStringLower(a.PublicKey)).ToList(),
        },
        Alloc = All.ToDictionary(k => k.Address.ToString(), _ => 1_000_000UL),
    };

    public async Task InitializeAsync() => _n = await TestNode.StartAsync(spec: Spec(Admin));
    public async Task DisposeAsync() => await _n.DisposeAndDeleteAsync();

    private Blockchain Chain => _n.Node.Chain;

    private Task<(Block? Block, ImportResult Result)> TryAt(ulong ms, KeyPair key) => _n.Driver.TryAt(ms, key);

    private ulong NextSlot => _n.Driver.NextSlot;

    /// <summary>Produces the next block with whichever authority may.</summary>
    private Task<Block> NextBlock() => _n.Driver.ProduceAsync(All);

    private AuthorityRecord Record => AuthorityRecord.Read(Chain.State);

    private Transaction Change(KeyPair signer, bool add, KeyPair who) =>
        Transaction.Create(signer, "test-chain", TxKind.AuthorityChange, Chain.Account(signer.Address).Nonce, 1, Address.Zero, 0, PoaEngine.ChangePayload(add, who.PublicKey));

    [Fact]
    public async Task An_authority_added_by_the_admin_takes_effect_after_the_delay_and_a_removed_one_stops()
    {
        var newcomer = All[1];
        await NextBlock();
        Assert.True(_n.Node.Pool.Admit([Change(Admin, true, newcomer).Raw])[0].Accepted);
        var included = await NextBlock();
        Assert.Single(included.Transactions);
        var effective = included.Height + 3;
        Assert.Equal(effective, Assert.Single(Record.Pending).EffectiveHeight);

        // Until the block before the effective height is done, the newcomer has no slot.
        while (Chain.Head.Height + 1 < effective)
        {
            Assert.Null((await TryAt(Chain.Clock.StartOf(NextSlot), newcomer)).Block);
            Assert.Single(Record.Authorities);
            await NextBlock();
        }
        Assert.Equal(2, Record.Authorities.Count);
        Assert.Empty(Record.Pending);
        // From the effective height on it seals its own turns (odd slots: it is second in the set).
        var slot = NextSlot % 2 == 1 ? NextSlot : NextSlot + 1;
        var (own, result) = await TryAt(Chain.Clock.StartOf(slot), newcomer);
        Assert.Equal(ImportStatus.Imported, result.Status);
        Assert.Equal(effective, own!.Height);

        // The API and the status route show the set.
        var engine = (await _n.GetJson("/api/v1/status"))["engine"]!;
        Assert.Equal(2, engine["authorities"]!.AsArray().Count);

        // Removal: after the delay the removed authority's slots go to the next one in order.
        Assert.True(_n.Node.Pool.Admit([Change(Admin, false, newcomer).Raw])[0].Accepted);
        var removal = await NextBlock();
        while (Chain.Head.Height < removal.Height + 2) await NextBlock();
        Assert.Single(Record.Authorities);
        Assert.Null((await TryAt(Chain.Clock.StartOf(NextSlot), newcomer)).Block);

        // A second node that imports the chain block by block accepts the newcomer's block at the same
        // height and ends with the same authority record.
        await using var other = await TestNode.StartAsync(spec: Spec(Admin));
        for (ulong h = 1; h <= Chain.Head.Height; h++)
        {
            var b = _n.Node.Store.BlockByHeight(h)!;
            other.Time.SetTo(DateTimeOffset.FromUnixTimeMilliseconds((long)b.Header.TimestampMs));
            Assert.Equal(ImportStatus.Imported, (await other.Node.Loop.Run(() => other.Node.Chain.Import(b))).Status);
            if (h == effective) Assert.Equal(newcomer.PublicKey, b.Header.Producer);
        }
        Assert.Equal(Chain.State.Get(Chainlab.Core.State.SystemAccounts.Authorities), other.Node.Chain.State.Get(Chainlab.Core.State.SystemAccounts.Authorities));
        Assert.Equal(Chain.Head.StateRoot, other.Node.Chain.Head.StateRoot);
    }

    [Fact]
    public async Task Changes_not_signed_by_the_admin_or_malformed_are_refused_and_change_nothing()
    {
        await NextBlock();
        var before = Chain.State.Get(Chainlab.Core.State.SystemAccounts.Authorities);
        var notAdmin = _n.Node.Pool.Admit([Change(All[2], true, All[2]).Raw])[0];
        Assert.Equal(TxError.Unauthorised, notAdmin.Result.Error);
        Assert.Contains("admin", notAdmin.Result.Detail);
        var removeLast = _n.Node.Pool.Admit([Change(Admin, false, Admin).Raw])[0];
        Assert.Equal(TxError.Conflict, removeLast.Result.Error);
        var addTwice = _n.Node.Pool.Admit([Change(Admin, true, Admin).Raw])[0];
        Assert.Contains("already an authority", addTwice.Result.Detail);
        var shortPayload = Transaction.Create(Admin, "test-chain", TxKind.AuthorityChange, Chain.Account(Admin.Address).Nonce, 1, Address.Zero, 0, [1, 2, 3]);
        Assert.Equal(TxError.Malformed, _n.Node.Pool.Admit([shortPayload.Raw])[0].Result.Error);

        // Through the API: a problem document with the cause.
        var r = await _n.PostRaw("/api/v1/transactions", new JsonObject { ["raw"] = Convert.ToHexStringLower(Change(All[3], true, All[3]).Raw) }.ToJsonString());
        Assert.Equal(403, (int)r.StatusCode);
        Assert.Contains("unauthorised", await r.Content.ReadAsStringAsync());
        await NextBlock();
        Assert.Equal(before, Chain.State.Get(Chainlab.Core.State.SystemAccounts.Authorities));
    }

    [Fact]
    public async Task A_silent_authority_is_skipped_after_the_timeout_and_early_or_forged_blocks_are_rejected()
    {
        await _n.DisposeAndDeleteAsync();
        _n = await TestNode.StartAsync(spec: Spec(Admin, All[1]));
        var second = All[1];
        var takeover = Chain.Spec.BlockTimeMs / 2; // two authorities: the next one waits half a slot
        // A slot where the admin (first authority) is in turn, and it stays silent.
        var slot = NextSlot % 2 == 0 ? NextSlot : NextSlot + 1;
        var start = Chain.Clock.StartOf(slot);
        Assert.Null((await TryAt(start, second)).Block);
        Assert.Null((await TryAt(start + takeover - 1, second)).Block);
        var (late, result) = await TryAt(start + takeover, second);
        Assert.Equal(ImportStatus.Imported, result.Status);
        Assert.Equal(start + takeover, late!.Header.TimestampMs);
        Assert.Equal(1UL, Chain.Engine.Weight(late.Header, late.Header));

        // The same block claiming the slot start (no wait) is refused, though correctly signed.
        var early = Resealed(late, second, h => h with { TimestampMs = start });
        var rejected = await _n.Node.Loop.Run(() => Chain.Import(early));
        Assert.Equal(ImportStatus.Rejected, rejected.Status);
        Assert.Contains("may take over only at", rejected.Reason);

        // Next slot belongs to the second authority: a seal by another key, or a non-authority producer, is refused.
        var next = NextSlot;
        var (own, ownResult) = await TryAt(Chain.Clock.StartOf(next), second);
        Assert.Equal(ImportStatus.Imported, ownResult.Status);
        var forgedNext = Resealed(own!, All[2], h => h with { Height = h.Height + 1, Parent = own!.Hash, TimestampMs = Chain.Clock.StartOf(next + 1) });
        var r2 = await _n.Node.Loop.Run(() => Chain.Import(forgedNext));
        Assert.Equal(ImportStatus.Rejected, r2.Status);
        Assert.Contains("not an authority", r2.Reason);
        var sealedByOther = forgedNext with { Header = forgedNext.Header with { Producer = Admin.PublicKey, Seal = All[2].Sign(forgedNext.Header.SealingMessage()) } };
        var r3 = await _n.Node.Loop.Run(() => Chain.Import(sealedByOther));
        Assert.Contains("seal signature is invalid", r3.Reason);
    }

    private static Block Resealed(Block b, KeyPair key, Func<BlockHeader, BlockHeader> change)
    {
        var h = change(b.Header with { Seal = [], Producer = key.PublicKey });
        return b with { Header = h with { Seal = key.Sign(h.SealingMessage()) } };
    }
}
