using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Finality;
using static Chainlab.Core.Tests.Finality.FinalityTestChain;

namespace Chainlab.Core.Tests.Finality;

/// <summary>
/// docs/vectors/finality.json is what this code computes: the file is rebuilt here from fixed inputs and must match
/// byte for byte (<c>CHAINLAB_WRITE_VECTORS=1</c> rewrites it after an intended change).
/// </summary>
public sealed class FinalityVectorTests
{
    private const ulong Interval = 4;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static string FilePath => RepoFiles.Path("docs", "vectors", "finality.json");

    private static byte[] Seed(int i) => Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"chainlab test vector key {i}")).ToArray();
    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
    private static JsonObject Json(Checkpoint c) => new() { ["height"] = c.Height, ["hash"] = c.Hash.ToString() };

    private static JsonObject VoteVector(string name, int seed, string chainId, Checkpoint source, Checkpoint target)
    {
        var v = Vote.Create(new KeyPair(Seed(seed)), chainId, source, target);
        return new JsonObject
        {
            ["name"] = name,
            ["kind"] = "vote",
            ["seed"] = Hex(Seed(seed)),
            ["chainId"] = chainId,
            ["source"] = Json(source),
            ["target"] = Json(target),
            ["voterKey"] = Hex(v.VoterKey),
            ["unsignedBytes"] = Hex(v.Unsigned),
            ["signingBytes"] = Hex(v.SigningMessage()),
            ["signature"] = Hex(v.Signature),
            ["raw"] = Hex(v.Raw),
            ["id"] = v.Id.ToString(),
        };
    }

    private static JsonObject EvidenceVector(string name, Vote a, Vote b)
    {
        var e = new VoteEvidence(a, b);
        return new JsonObject
        {
            ["name"] = name,
            ["kind"] = "evidence",
            ["chainId"] = ChainId,
            ["first"] = Hex(a.Raw),
            ["second"] = Hex(b.Raw),
            ["payload"] = Hex(e.Encode()),
            ["offence"] = e.Check(ChainId, out _) == Offence.DoubleVote ? "double-vote" : "surround-vote",
        };
    }

    /// <summary>The document, computed from fixed inputs.</summary>
    public static JsonObject Document()
    {
        var keys = Enumerable.Range(0, 4).Select(i => new KeyPair(Seed(i))).ToArray();
        var vectors = new JsonArray
        {
            VoteVector("vote from genesis to the first checkpoint", 0, ChainId, Genesis, At("main", 4)),
            VoteVector("vote with a 32-byte chain id and heights above 2^53", 1, new string('z', 32),
                At("main", (1UL << 60) - 16), At("main", ulong.MaxValue - 15)),
            VoteVector("vote with an empty chain id", 2, "", At("main", 4), At("main", 12)),
        };

        // Keys 0..3 weigh 4, 3, 2, 1 (total 10, the line is 7); given in reverse.
        var weights = new ulong[] { 4, 3, 2, 1 };
        var inputs = keys.Select((k, i) => (k.PublicKey, weights[i])).Reverse().ToList();
        var set = VoterSet.Create(inputs);
        vectors.Add(new JsonObject
        {
            ["name"] = "voter set of four, weights 4, 3, 2, 1 (given in any order)",
            ["kind"] = "voter-set",
            ["voters"] = new JsonArray([.. inputs.Select(v => (JsonNode)new JsonObject { ["key"] = Hex(v.PublicKey), ["weight"] = v.Item2 })]),
            ["bytes"] = Hex(set.Encode()),
            ["id"] = set.Hash().ToString(),
            ["total"] = set.Total,
            ["supermajorityWeight"] = set.SupermajorityWeight,
        });

        Vote V(int k, ulong s, ulong t, string branch = "main") => Vote.Create(keys[k], ChainId, s == 0 ? Genesis : At("main", s), At(branch, t));
        vectors.Add(EvidenceVector("double vote: two targets at height 8", V(0, 4, 8), V(0, 4, 8, "fork")));
        vectors.Add(EvidenceVector("surround vote: the link 0 to 12 around the link 4 to 8", V(1, 0, 12), V(1, 4, 8)));

        // Checkpoints 4 and 8 justified in turn, 4 finalised by the link 4 -> 8; voters 0, 1, 2 (weights 4 + 3 + 2 = 9 of 10).
        var tracker = Tracker(set, Interval, 2);
        foreach (var (s, t) in new[] { (0, 1), (1, 2) })
            foreach (var k in keys[..3]) tracker.Include(Vote.Create(k, ChainId, tracker.Cp(s), tracker.Cp(t)));
        var proof = tracker.ProofOfFinality(At("main", 4))!;
        vectors.Add(new JsonObject
        {
            ["name"] = "finality proof of checkpoint 4 from genesis",
            ["kind"] = "finality-proof",
            ["chainId"] = ChainId,
            ["interval"] = Interval,
            ["anchor"] = Json(Genesis),
            ["finalised"] = Json(proof.Finalised),
            ["proof"] = Hex(proof.Encode()),
            ["valid"] = proof.Verify(ChainId, Interval, Genesis) is null,
        });
        var short_ = proof with { Links = [proof.Links[0], proof.Links[1] with { Votes = proof.Links[1].Votes.Take(2).ToList() }] };
        vectors.Add(new JsonObject
        {
            ["name"] = "the same proof with the last link cut to the votes of weight 4 and 3, 7 of 10, still more than two thirds",
            ["kind"] = "finality-proof",
            ["chainId"] = ChainId,
            ["interval"] = Interval,
            ["anchor"] = Json(Genesis),
            ["finalised"] = Json(short_.Finalised),
            ["proof"] = Hex(short_.Encode()),
            ["valid"] = short_.Verify(ChainId, Interval, Genesis) is null,
        });
        var tooFew = proof with { Links = [proof.Links[0], proof.Links[1] with { Votes = proof.Links[1].Votes.Skip(1).ToList() }] };
        vectors.Add(new JsonObject
        {
            ["name"] = "the same proof without the heaviest vote of the last link, 3 and 2 make 5 of 10, not enough",
            ["kind"] = "finality-proof",
            ["chainId"] = ChainId,
            ["interval"] = Interval,
            ["anchor"] = Json(Genesis),
            ["finalised"] = Json(tooFew.Finalised),
            ["proof"] = Hex(tooFew.Encode()),
            ["valid"] = tooFew.Verify(ChainId, Interval, Genesis) is null,
        });

        return new JsonObject
        {
            ["description"] = "Chainlab protocol test vectors: finality votes, voter sets, vote evidence and finality proofs. Inputs and the outputs to compute from them; see docs/protocol.md.",
            ["vectors"] = vectors,
        };
    }

    [Fact]
    public void The_published_finality_vectors_are_what_the_code_computes()
    {
        var computed = Document().ToJsonString(Indented) + "\n";
        if (Environment.GetEnvironmentVariable("CHAINLAB_WRITE_VECTORS") == "1") File.WriteAllText(FilePath, computed);
        Assert.True(File.Exists(FilePath), "docs/vectors/finality.json is missing: run with CHAINLAB_WRITE_VECTORS=1");
        Assert.Equal(computed, File.ReadAllText(FilePath));
    }

    [Fact]
    public void The_published_finality_vectors_decode_and_check_as_they_say()
    {
        var vectors = JsonNode.Parse(File.ReadAllText(FilePath))!["vectors"]!.AsArray();
        var kinds = new List<string>();
        foreach (var v in vectors)
        {
            var kind = (string)v!["kind"]!;
            kinds.Add(kind);
            switch (kind)
            {
                case "vote":
                    var vote = Vote.Decode(Convert.FromHexString((string)v["raw"]!));
                    Assert.True(vote.VerifySignature());
                    Assert.Equal((string)v["id"]!, vote.Id.ToString());
                    break;
                case "voter-set":
                    Assert.Equal((string)v["id"]!, VoterSet.Decode(Convert.FromHexString((string)v["bytes"]!)).Hash().ToString());
                    break;
                case "evidence":
                    Assert.NotEqual(Offence.None, VoteEvidence.Decode(Convert.FromHexString((string)v["payload"]!)).Check(ChainId, out var error));
                    break;
                case "finality-proof":
                    var proof = FinalityProof.Decode(Convert.FromHexString((string)v["proof"]!));
                    Assert.Equal((bool)v["valid"]!, proof.Verify(ChainId, Interval, Genesis) is null);
                    break;
            }
        }
        Assert.Equal(["evidence", "finality-proof", "vote", "voter-set"], kinds.Distinct().Order());
        Assert.Contains(vectors, v => (string)v!["kind"]! == "finality-proof" && !(bool)v["valid"]!);
    }
}
