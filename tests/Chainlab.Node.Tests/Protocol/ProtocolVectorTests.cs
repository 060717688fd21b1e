using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.State;

namespace Chainlab.Node.Tests.Protocol;

/// <summary>The published test vectors (docs/vectors) are what the code computes, and their proofs verify.</summary>
public sealed class ProtocolVectorTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string VectorsDir() => RepoFiles.Path("docs", "vectors");

    public static TheoryData<string> Files => new(ProtocolVectors.Files);

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_published_vector_is_what_the_code_computes_from_its_inputs(string file)
    {
        var path = Path.Combine(VectorsDir(), file + ".json");
        if (Environment.GetEnvironmentVariable("CHAINLAB_WRITE_VECTORS") == "1")
            File.WriteAllText(path, ProtocolVectors.Document(file).ToJsonString(Indented) + "\n");
        var published = JsonNode.Parse(File.ReadAllText(path))!["vectors"]!.AsArray();
        Assert.NotEmpty(published);
        foreach (var v in published)
        {
            var computed = ProtocolVectors.Compute(file, (JsonObject)v!);
            Assert.True(JsonNode.DeepEquals(v, computed), $"{file}: published {v!.ToJsonString()}\ncomputed {computed.ToJsonString()}");
        }
        // Every input the code defines is published (nothing was dropped from the file).
        Assert.Equal(ProtocolVectors.Inputs(file).Count, published.Count);
    }

    [Fact]
    public void Published_merkle_and_state_proofs_verify_and_fail_when_tampered()
    {
        var merkle = JsonNode.Parse(File.ReadAllText(Path.Combine(VectorsDir(), "merkle.json")))!["vectors"]!.AsArray();
        foreach (var v in merkle.Where(v => v!["proof"] is not null))
        {
            var items = v!["items"]!.AsArray().Select(x => Hash.Parse((string)x!)).ToArray();
            var p = v["proof"]!;
            var proof = new MerkleProof(int.Parse(p["index"]!.ToJsonString()), int.Parse(p["leafCount"]!.ToJsonString()), p["path"]!.AsArray().Select(x => Hash.Parse((string)x!)).ToList());
            var root = Hash.Parse((string)v["root"]!);
            Assert.True(MerkleTree.Verify(root, items[proof.Index], proof));
            Assert.False(MerkleTree.Verify(root, Hash.Sha256("other"u8), proof));
        }

        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(VectorsDir(), "state.json")))!["vectors"]![0]!;
        var stateRoot = Hash.Parse((string)state["root"]!);
        var kinds = new List<string>();
        foreach (var p in state["proofs"]!.AsArray())
        {
            var key = Hash.Parse((string)p!["key"]!);
            var proof = new StateProof(p["siblings"]!.AsArray().Select(x => Hash.Parse((string)x!)).ToList(),
                p["leafKey"] is null ? null : Hash.Parse((string)p["leafKey"]!), p["leafValue"] is null ? null : Hash.Parse((string)p["leafValue"]!));
            Hash? value = (bool)p["present"]! ? Hash.Parse((string)p["valueHash"]!) : null;
            Assert.True(StateTree.Verify(stateRoot, key, value, proof));
            // The same proof does not prove the opposite (present ↔ absent), nor another value.
            Assert.False(StateTree.Verify(stateRoot, key, value is null ? Hash.Sha256("x"u8) : null, proof));
            kinds.Add((bool)p["present"]! ? "present" : proof.LeafKey is null ? "absent, empty" : "absent, other leaf");
        }
        Assert.Contains("present", kinds);
        Assert.Contains("absent, empty", kinds);
        Assert.Contains("absent, other leaf", kinds);
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task A_client_written_in_javascript_from_the_docs_alone_reproduces_every_vector()
    {
        // docs/vectors/check.mjs uses only Node.js's own SHA-256 and Ed25519, and the layouts in docs/protocol.md.
        var (code, output) = await NodeJs.RunAsync(Path.Combine(VectorsDir(), "check.mjs"));
        Assert.True(code == 0, output);
        Assert.Contains("all vectors match", output);
    }
}
