using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using Chainlab.Core.Model;
using Chainlab.Node.Production;

namespace Chainlab.Node.Tests.Chain;

/// <summary>The vote watcher finds each double and surround vote it hears once, and nothing in honest or forged votes.</summary>
public sealed class VoteWatcherTests
{
    private static readonly KeyPair[] Keys = Build.Keys(3, seed: 31);
    private const string ChainId = "test-chain";

    private static Checkpoint Cp(ulong h, string branch = "main") => new(h, Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{branch}/{h}")));


    [Fact]
    public void Honest_votes_give_no_evidence_and_a_double_vote_gives_it_once()
    {
        var w = new VoteWatcher(ChainId);
        // Three voters vote honestly over three checkpoints, heard twice each (gossip repeats).
        for (var i = 0; i < 2; i++)
            foreach (var k in Keys)
                Assert.Empty(w.Hear([Vote.Create(k, ChainId, Cp(0), Cp(8)), Vote.Create(k, ChainId, Cp(8), Cp(16))]));

        var lie = Vote.Create(Keys[1], ChainId, Cp(8), Cp(16, "made-up"));
        var e = Assert.Single(w.Hear([lie]));
        Assert.Equal(Offence.DoubleVote, e.Check(ChainId, out var error));
        Assert.Null(error);
        Assert.Equal(lie.Raw, e.Second.Raw);
        // Heard again, or a third vote at the same height: the offence is answered already.
        Assert.Empty(w.Hear([lie]));
        Assert.Empty(w.Hear([Vote.Create(Keys[1], ChainId, Cp(8), Cp(16, "third"))]));
    }

    [Fact]
    public void A_surround_vote_is_found_against_the_vote_it_surrounds_and_a_forged_or_foreign_vote_is_ignored()
    {
        var w = new VoteWatcher(ChainId);
        Assert.Empty(w.Hear([Vote.Create(Keys[2], ChainId, Cp(8), Cp(16))]));
        // Not signed by the voter (the signature of another message): ignored, and not kept to pair with later.
        var honest = Vote.Create(Keys[2], ChainId, Cp(0), Cp(24));
        var forged = Vote.Assemble(ChainId, Cp(0), Cp(24), Keys[2].PublicKey, Vote.Create(Keys[2], ChainId, Cp(0), Cp(8)).Signature);
        Assert.Null(w.Hear(forged));
        Assert.Null(w.Hear(Vote.Create(Keys[2], "elsewhere", Cp(0), Cp(24))));
        var e = w.Hear(honest);
        Assert.NotNull(e);
        Assert.Equal(Offence.SurroundVote, e.Check(ChainId, out _));
    }
}
