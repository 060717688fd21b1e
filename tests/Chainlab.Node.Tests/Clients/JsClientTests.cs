using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chainlab.Contracts;
using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;
using Chainlab.Node.Tests.Dashboard;

namespace Chainlab.Node.Tests.Clients;

/// <summary>
/// The JavaScript client (clients/js) run by Node.js: against the protocol vectors and the C# codec and key files,
/// and against a live devnet of real node processes.
/// </summary>
[Trait("Category", Categories.Process)]
public sealed class JsClientTests
{
    private static string Tests(string name) => RepoFiles.Path("clients", "js", "test", name);

    /// <summary>
    /// Runs the vector tests with every option: a key file the C# keystore wrote to open, a file to write one into,
    /// and a file for a transaction of every kind. Every node:test passed, none skipped.
    /// </summary>
    private static async Task<(string Output, KeyPair CliKey, string ClientKeyFile, string KindsFile)> RunVectorsAsync()
    {
        var dir = TestNode.NewDir();
        var cliKey = KeyPair.Generate();
        var cliFile = Path.Combine(dir, "cli.json");
        await File.WriteAllTextAsync(cliFile, Keystore.Encrypt(cliKey, "pass phrase", "cli"));
        var clientFile = Path.Combine(dir, "client.json");
        var kindsFile = Path.Combine(dir, "kinds.json");
        var (code, output) = await NodeJs.RunAsync("--test-reporter=tap", Tests("vectors.mjs"), "--cli-key", cliFile, "--password", "pass phrase",
            "--write-key", clientFile, "--write-kinds", kindsFile);
        Assert.True(code == 0, output);
        DashboardFilesTests.AssertEveryNodeTestPassed(output);
        return (output, cliKey, clientFile, kindsFile);
    }

    [Fact]
    public async Task The_client_reproduces_every_protocol_vector_and_its_key_files_and_the_CLIs_open_each_other()
    {
        var (output, cliKey, clientFile, _) = await RunVectorsAsync();
        Assert.Contains($"cli key file: {cliKey.Address}", output);
        var fromClient = Keystore.Decrypt(await File.ReadAllTextAsync(clientFile), "pass phrase");
        Assert.Contains($"client key file: {fromClient.Address}", output);
        Assert.Throws<KeystoreException>(() => Keystore.Decrypt(File.ReadAllText(clientFile), "wrong"));
    }

    [Fact]
    public async Task Every_kind_the_client_signs_is_byte_for_byte_the_transaction_the_CSharp_codec_builds_from_the_same_inputs()
    {
        var (output, _, _, kindsFile) = await RunVectorsAsync();
        var written = JsonNode.Parse(await File.ReadAllTextAsync(kindsFile))!;
        var key = new KeyPair(Convert.FromHexString(written["seed"]!.GetValue<string>()));
        var chainId = written["chainId"]!.GetValue<string>();
        var kinds = new List<TxKind>();
        foreach (var t in written["transactions"]!.AsArray())
        {
            string S(string name) => t![name]!.ToString();
            ulong U(string name) => ulong.Parse(S(name));
            // The API's kind names are the enum's, in lower case (authoritychange, fileanchor).
            var kind = Enum.Parse<TxKind>(S("kind"), ignoreCase: true);
            var to = t!["to"] is null ? Address.Zero : Address.Parse(S("to"));
            var payload = kind switch
            {
                TxKind.Deploy => ContractPayload.Deploy(U("gasLimit"), System.Text.Encoding.UTF8.GetBytes(S("code")), ContractValue.ArgumentsFromJson(S("args"))),
                TxKind.Invoke => ContractPayload.Invoke(U("gasLimit"), S("function"), ContractValue.ArgumentsFromJson(S("args"))),
                TxKind.AuthorityChange => PoaEngine.ChangePayload(S("op") == "add", Convert.FromHexString(S("key"))),
                TxKind.Evidence => PosEngine.EvidencePayload(BlockHeader.Decode(Convert.FromHexString(S("first"))), BlockHeader.Decode(Convert.FromHexString(S("second")))),
                TxKind.FileAnchor => FileRef.EncodePayload(t["files"]!.AsArray().Select(f => new FileRef(Cid.Parse(f!["cid"]!.GetValue<string>()),
                    ulong.Parse(f["size"]!.ToString()), f["name"]!.GetValue<string>(), f["mediaType"]!.GetValue<string>())).ToList()),
                TxKind.Vote => Chainlab.Core.Finality.VoteBatch.Encode(t["votes"]!.AsArray()
                    .Select(v => Chainlab.Core.Finality.Vote.Decode(Convert.FromHexString(v!.GetValue<string>()))).ToList()),
                TxKind.VoteEvidence => new Chainlab.Core.Finality.VoteEvidence(Chainlab.Core.Finality.Vote.Decode(Convert.FromHexString(S("first"))),
                    Chainlab.Core.Finality.Vote.Decode(Convert.FromHexString(S("second")))).Encode(),
                _ => [],
            };
            var amount = t["amount"] is null ? 0 : U("amount");
            var built = Transaction.Create(key, chainId, kind, U("nonce"), U("fee"), to, amount, payload);
            Assert.Equal(Convert.ToHexStringLower(built.Raw), S("raw"));
            Assert.Equal(built.Hash.ToString(), S("hash"));
            var decoded = Transaction.Decode(Convert.FromHexString(S("raw")));
            Assert.True(decoded.VerifySignature());
            kinds.Add(decoded.Kind);
        }
        Assert.Equal(Enum.GetValues<TxKind>(), kinds);
        Assert.Contains("kinds written:", output);
    }

    [Fact]
    public async Task The_clients_HTTP_side_sends_BigInts_as_numbers_pays_each_kinds_fee_refuses_answers_that_are_not_JSON_and_outwaits_a_closed_event_stream()
    {
        var (code, output) = await NodeJs.RunAsync("--test-reporter=tap", Tests("client.mjs"));
        Assert.True(code == 0, output);
        DashboardFilesTests.AssertEveryNodeTestPassed(output);
    }

    [Fact]
    public async Task The_client_sends_a_transfer_to_a_live_devnet_follows_it_on_the_event_stream_and_checks_its_proofs_offline()
    {
        using var devnet = DevnetProcess.Start(1, "500ms");
        await devnet.WaitForAsync("Ctrl+C");
        var (code, output) = await NodeJs.RunAsync("--test-reporter=tap", Tests("live.mjs"), devnet.Url(), devnet.KeyFile("dev1"), "devnet");
        Assert.True(code == 0, output + "\n" + devnet.Output);
        DashboardFilesTests.AssertEveryNodeTestPassed(output);
        Assert.Matches(@"(?m)^# pass 6$", output);

        // The README's ten-line example, with this devnet's address and key file, sends its transfer and checks its proof.
        var readme = await File.ReadAllTextAsync(RepoFiles.Path("clients", "js", "README.md"));
        var example = Regex.Match(readme, @"## Example\n.*?```js\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(10, example.TrimEnd('\n').Split('\n').Length);
        var script = example.Replace("'@chainlab/client'", $"'{new Uri(RepoFiles.Path("clients", "js", "index.js")).AbsoluteUri}'")
            .Replace("'http://127.0.0.1:7700'", $"'{devnet.Url()}'").Replace("'.chainlab/devnet/keys/dev1.json'", JsonSerializer.Serialize(devnet.KeyFile("dev1")));
        Assert.DoesNotContain("127.0.0.1:7700", script);
        Assert.DoesNotContain("@chainlab/client", script);
        var file = Path.Combine(TestNode.NewDir(), "example.mjs");
        await File.WriteAllTextAsync(file, script);
        (code, output) = await NodeJs.RunAsync(file);
        Assert.True(code == 0, output);
        Assert.Matches(@"^[0-9a-f]{64} included true the Merkle path leads to the header's txRoot\n$", output);
    }
}
