using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

public sealed class VoteEncodingTests
{
    private static readonly KeyPair[] Keys = Build.Keys(4, seed: 11);

    [Fact]
    public void Random_votes_round_trip_byte_for_byte_and_verify()
    {
        var rng = new Random(26);
        for (var i = 0; i < 200; i++)
        {
            var s = (ulong)rng.NextInt64(0, long.MaxValue - 1);
            var t = s + 1 + (ulong)rng.NextInt64(0, 1000);
            var chain = new string('c', rng.Next(0, 33));
            var v = Vote.Create(Keys[rng.Next(Keys.Length)], chain, At("a", s), At("b", t));
            var back = Vote.Decode(v.Raw);
            Assert.Equal(v.Raw, back.Raw);
            Assert.Equal(v.Id, back.Id);
            Assert.Equal((chain, v.Source, v.Target), (back.ChainId, back.Source, back.Target));
            Assert.True(back.VerifySignature());
            Assert.Equal(v.Raw, Vote.Assemble(chain, v.Source, v.Target, v.VoterKey, v.Signature).Raw);
        }
    }

    [Fact]
    public void Decoding_refuses_truncated_trailing_unknown_version_long_chain_ids_and_links_that_do_not_go_forward()
    {
        var raw = Vote.Create(Keys[0], ChainId, Genesis, At("main", 4)).Raw;
        for (var cut = 0; cut < raw.Length; cut++)
            Assert.Throws<DecodeException>(() => Vote.Decode(raw.AsSpan(0, cut)));
        Assert.Throws<DecodeException>(() => Vote.Decode([.. raw, 0]));
        var version = (byte[])raw.Clone();
        version[0] = 2;
        Assert.Throws<DecodeException>(() => Vote.Decode(version));

        var sig = new byte[64];
        var key = Keys[0].PublicKey;
        Assert.Throws<DecodeException>(() => Vote.Assemble(ChainId, At("main", 4), At("main", 4), key, sig));
        Assert.Throws<DecodeException>(() => Vote.Assemble(ChainId, At("main", 8), At("main", 4), key, sig));
        Assert.Throws<DecodeException>(() => Vote.Assemble(new string('c', 33), Genesis, At("main", 4), key, sig));
        Assert.Throws<DecodeException>(() => Vote.Assemble(ChainId, Genesis, At("main", 4), key[..31], sig));
        Assert.Throws<ArgumentException>(() => Vote.Create(Keys[0], ChainId, At("main", 4), Genesis));

        // A chain id length that runs past the input, and one that is not UTF-8.
        var longLength = (byte[])raw.Clone();
        longLength[1] = 0xff;
        Assert.Throws<DecodeException>(() => Vote.Decode(longLength));
        var badText = (byte[])raw.Clone();
        badText[5] = 0xff;
        Assert.Throws<DecodeException>(() => Vote.Decode(badText));
    }

    [Fact]
    public void The_signature_covers_every_field_and_the_vote_domain_tag()
    {
        var v = Vote.Create(Keys[1], ChainId, At("main", 4), At("main", 8));
        for (var i = 0; i < v.Unsigned.Length; i++)
        {
            var changed = (byte[])v.Raw.Clone();
            changed[i] ^= 0x01;
            Vote decoded;
            try { decoded = Vote.Decode(changed); }
            catch (DecodeException) { continue; }
            Assert.False(decoded.VerifySignature(), $"flipping byte {i} kept the signature valid");
        }
        Assert.StartsWith("chainlab/vote/v1", System.Text.Encoding.ASCII.GetString(v.SigningMessage()));
        Assert.False(Ed25519.Verify(v.VoterKey, v.Unsigned, v.Signature));
        Assert.False(Ed25519.Verify(v.VoterKey, [.. "chainlab/tx/v1"u8, .. v.Unsigned], v.Signature));
    }

    [Fact]
    public void Voter_sets_are_sorted_by_key_and_refuse_repeats_zero_weights_and_overflowing_totals()
    {
        var set = VoterSet.Create([(Keys[2].PublicKey, 5), (Keys[0].PublicKey, 7), (Keys[1].PublicKey, 9)]);
        Assert.Equal(21UL, set.Total);
        Assert.True(set.Voters.Zip(set.Voters.Skip(1)).All(p => p.First.Key.AsSpan().SequenceCompareTo(p.Second.Key) < 0));
        Assert.Equal(set.Encode(), VoterSet.Decode(set.Encode()).Encode());
        Assert.Equal(7UL, set.WeightOf(Keys[0].PublicKey));
        Assert.Equal(0UL, set.WeightOf(Keys[3].PublicKey));

        Assert.Throws<ArgumentException>(() => VoterSet.Create([]));
        Assert.Throws<ArgumentException>(() => VoterSet.Create([(Keys[0].PublicKey, 1), (Keys[0].PublicKey, 2)]));
        Assert.Throws<ArgumentException>(() => VoterSet.Create([(Keys[0].PublicKey, 0)]));
        Assert.Throws<ArgumentException>(() => VoterSet.Create([(Keys[0].PublicKey, ulong.MaxValue), (Keys[1].PublicKey, 1)]));

        // The decoder refuses what the builder refuses, and keys out of order.
        var bytes = set.Encode();
        var swapped = (byte[])bytes.Clone();
        bytes.AsSpan(4, 40).CopyTo(swapped.AsSpan(44));
        bytes.AsSpan(44, 40).CopyTo(swapped.AsSpan(4));
        Assert.Throws<DecodeException>(() => VoterSet.Decode(swapped));
        var zero = (byte[])bytes.Clone();
        zero.AsSpan(36, 8).Clear();
        Assert.Throws<DecodeException>(() => VoterSet.Decode(zero));
        Assert.Throws<DecodeException>(() => VoterSet.Decode([0, 0, 0, 0]));
        Assert.Throws<DecodeException>(() => VoterSet.Decode([.. bytes, 0]));
    }

    [Theory]
    [InlineData(3UL, 2UL, false)]
    [InlineData(3UL, 3UL, true)]
    [InlineData(300UL, 200UL, false)]
    [InlineData(300UL, 201UL, true)]
    [InlineData(10UL, 7UL, true)]
    [InlineData(10UL, 6UL, false)]
    public void The_two_thirds_line_is_exact_in_integers(ulong total, ulong weight, bool supermajority)
    {
        var set = VoterSet.Create([(Keys[0].PublicKey, total - 1), (Keys[1].PublicKey, 1)]);
        Assert.Equal(supermajority, set.IsSupermajority(weight));
        Assert.Equal(supermajority, weight >= set.SupermajorityWeight);
    }

    [Fact]
    public void The_two_thirds_line_does_not_overflow_at_the_largest_total()
    {
        var set = VoterSet.Create([(Keys[0].PublicKey, ulong.MaxValue - 1), (Keys[1].PublicKey, 1)]);
        var line = set.SupermajorityWeight; // floor(2 · (2^64 − 1) / 3) + 1
        Assert.Equal((ulong)((UInt128)ulong.MaxValue * 2 / 3 + 1), line);
        Assert.True(set.IsSupermajority(line));
        Assert.False(set.IsSupermajority(line - 1));
    }
}
