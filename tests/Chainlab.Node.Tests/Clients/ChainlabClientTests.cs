using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Client;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Wallet;

namespace Chainlab.Node.Tests.Clients;

/// <summary>The .NET client library (src/Chainlab.Client): its parsing, its coverage of the API, and a story against a node process.</summary>
public sealed class ChainlabClientTests
{
    /// <summary>Each operation of the OpenAPI document and the client method that calls it.</summary>
    private static readonly Dictionary<string, string> MethodFor = new()
    {
        ["GetStatus"] = "GetStatusAsync", ["GetSupply"] = "GetSupplyAsync", ["GetFinality"] = "GetFinalityAsync", ["GetFinalityProof"] = "GetFinalityProofAsync", ["ListPeers"] = "GetPeersAsync", ["Search"] = "SearchAsync",
        ["GetDevnet"] = "GetDevnetAsync", ["GetDevnetFaults"] = "GetDevnetFaultsAsync", ["SetDevnetFaults"] = "SetDevnetFaultsAsync",
        ["DevnetControl"] = "DevnetControlAsync", ["DevnetScenarios"] = "GetDevnetScenariosAsync", ["RunDevnetScenario"] = "RunDevnetScenarioAsync",
        ["DevnetLab"] = "GetDevnetLabAsync", ["DevnetLabAction"] = "DevnetLabAsync",
        ["GetBlock"] = "GetBlockAsync", ["GetRawBlock"] = "GetRawBlockAsync", ["ListBlocks"] = "GetBlocksAsync", ["ImportBlock"] = "ImportBlockAsync",
        ["GetTransaction"] = "GetTransactionAsync", ["SubmitTransaction"] = "SubmitAsync", ["SubmitTransactionBatch"] = "SubmitBatchAsync",
        ["ListMempool"] = "GetMempoolAsync", ["GetAccount"] = "GetAccountAsync", ["GetContract"] = "GetContractAsync",
        ["GetContractStorage"] = "GetStorageAsync", ["CallContract"] = "CallAsync", ["ListContractEvents"] = "GetContractEventsAsync",
        ["AddFile"] = "AddFileAsync", ["GetFile"] = "GetFileAsync", ["ListFiles"] = "ListFilesAsync", ["Events"] = "EventsAsync", ["DevnetFaucet"] = "FaucetAsync",
    };

    [Fact]
    public async Task Every_operation_in_the_nodes_openapi_document_has_a_client_method()
    {
        await using var node = await TestNode.StartAsync();
        var doc = JsonNode.Parse(await node.Http.GetStringAsync("/openapi/v1.json"))!;
        var operations = ((JsonObject)doc["paths"]!).SelectMany(p => ((JsonObject)p.Value!).Select(o => o.Value!["operationId"]?.GetValue<string>()
            ?? throw new Xunit.Sdk.XunitException($"{o.Key} {p.Key} has no operation name"))).ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} operations in the document");
        var missing = operations.Where(o => !MethodFor.ContainsKey(o)).ToList();
        Assert.True(missing.Count == 0, "operations without a client method: " + string.Join(", ", missing));
        var methods = typeof(ChainlabClient).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        Assert.All(MethodFor.Values, m => Assert.Contains(m, methods));
    }

    [Fact]
    public async Task The_event_reader_joins_data_lines_skips_comments_and_ends_with_the_stream()
    {
        var text = ": connected\n\nevent: head\ndata: {\"height\":7,\"hash\":\"ab\",\ndata: \"txCount\":2,\"timestampMs\":5,\"stateRoot\":\"cd\"}\n\n: keep-alive\n\ndata: {\"unnamed\":true}\n\nevent: reorg\ndata: {\"depth\":3}\n\nevent: head\ndata: {\"height\":";
        var events = new List<NodeEvent>();
        await foreach (var e in NodeEvent.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)))) events.Add(e);
        Assert.Equal(["head", "reorg"], events.Select(e => e.Type));
        Assert.Equal(new HeadEvent(7, "ab", 2, 5, "cd"), events[0].Head);
        Assert.Null(events[1].Head);
        Assert.Equal(3, events[1].Data.GetProperty("depth").GetInt32());
    }

    [Fact]
    public void A_problem_answer_becomes_an_exception_with_its_short_type_and_detail_and_any_other_answer_keeps_its_status()
    {
        var e = ChainlabApiException.From(HttpStatusCode.Conflict, """{"type":"urn:chainlab:problem:nonce-too-low","title":"Nonce too low","status":409,"detail":"nonce 0 < 1"}""");
        Assert.Equal(("nonce-too-low", "Nonce too low", "nonce 0 < 1", HttpStatusCode.Conflict), (e.Type, e.Title, e.Detail, e.Status));
        Assert.Equal("nonce 0 < 1", e.Message);
        var bare = ChainlabApiException.From(HttpStatusCode.BadGateway, "<html>proxy error</html>");
        Assert.Equal((null, null, HttpStatusCode.BadGateway, "HTTP 502"), (bare.Type, bare.Problem, bare.Status, bare.Message));
        Assert.Throws<ArgumentException>(() => new ChainlabClient(new Uri("ftp://127.0.0.1/")));
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task A_program_sends_transfers_contracts_and_anchors_through_the_client_follows_events_and_checks_every_proof()
    {
        var dir = TestNode.NewDir();
        var all = Build.Keys(3, seed: 28);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var spec = TestNode.SpecFor(all[0], all[1..]) with { BlockTimeMs = 200, GenesisTimeMs = now - now % 200 };
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.json"), spec.ToJson());
        await File.WriteAllTextAsync(Path.Combine(dir, "authority.json"), Keystore.Encrypt(all[0], "pw"));
        await File.WriteAllTextAsync(Path.Combine(dir, "pw"), "pw");
        try
        {
            await using var node = await NodeProcess.StartAsync(["node", "run", "--data", Path.Combine(dir, "data"), "--spec", Path.Combine(dir, "spec.json"),
                "--key", Path.Combine(dir, "authority.json"), "--password-file", Path.Combine(dir, "pw"), "--log-level", "Warning"], LoopbackPort.Free());
            using var client = new ChainlabClient(new Uri($"http://127.0.0.1:{node.Port}"));
            var (sender, recipient) = (all[1], all[2]);
            var status = await client.GetStatusAsync();
            Assert.Equal("test-chain", status.ChainId);

            // The event stream, read while the transfer goes in: its hash is announced, then a head follows.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var announced = new TaskCompletionSource<NodeEvent>();
            var seen = Task.Run(async () =>
            {
                await foreach (var e in client.EventsAsync(["transactions", "head"], cts.Token))
                    if (e.Type == "transactions") { announced.TrySetResult(e); return; }
            });
            await Task.Delay(300);
            var tx = await client.TransferAsync(sender, recipient.Address, 1234, fee: 3);
            Assert.Contains(tx.Hash.ToString(), (await announced.Task.WaitAsync(TimeSpan.FromSeconds(20))).Data.GetProperty("hashes").EnumerateArray().Select(h => h.GetString()));
            var inclusion = await client.WaitForInclusionAsync(tx.Hash, TimeSpan.FromSeconds(30));
            Assert.True(inclusion.ProofVerified);
            Assert.True(inclusion.Transaction.Receipt!.Success);
            Assert.Equal(inclusion.Header, (await client.GetBlockAsync(Hash.Parse(inclusion.Header.Hash))).Header);

            var (account, header) = await client.GetVerifiedAccountAsync(recipient.Address);
            Assert.Equal(1_000_000UL + 1234, account.Balance);
            Assert.False(ProofChecks.Account(account with { Balance = account.Balance + 1 }, header), "a changed balance must not verify");
            Assert.False(ProofChecks.Transaction(inclusion.Transaction with { Hash = new string('0', 64) }, inclusion.Header), "another hash must not verify");

            // The same transaction again, now in a block: a typed problem, not a string to parse.
            var again = await Assert.ThrowsAsync<ChainlabApiException>(() => client.SubmitAsync(tx));
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "nonce-too-low"), (again.Status, again.Type));
            var missing = await Assert.ThrowsAsync<ChainlabApiException>(() => client.GetTransactionAsync(Hash.Parse(new string('a', 64))));
            Assert.Equal((HttpStatusCode.NotFound, "not-found"), (missing.Status, missing.Type));

            // A contract deployed and invoked, read back through a view call and its events.
            var code = await File.ReadAllBytesAsync(RepoFiles.Path("examples", "contracts", "token.lua"));
            var deploy = await client.DeployAsync(sender, code, [ContractValue.Of("Lab"), ContractValue.Of("LAB"), ContractValue.Of(1000)], 300_000);
            var deployed = await client.WaitForInclusionAsync(deploy.Hash, TimeSpan.FromSeconds(30));
            var token = Address.Parse(deployed.Transaction.Receipt!.ContractAddress!);
            var invoke = await client.InvokeAsync(sender, token, "transfer", [ContractValue.Of(recipient.Address.ToString()), ContractValue.Of(250)], 100_000);
            Assert.True((await client.WaitForInclusionAsync(invoke.Hash, TimeSpan.FromSeconds(30))).Transaction.Receipt!.Success);
            var view = await client.CallAsync(token, "balance_of", [JsonValue.Create(recipient.Address.ToString())]);
            Assert.Equal(250, view.Value!.GetValue<long>());
            Assert.Equal(2, (await client.GetContractEventsAsync(token)).Count(e => e.Name == "Transfer"));

            // A file added, anchored on chain, listed under its anchorer and read back through the gateway.
            var bytes = Encoding.UTF8.GetBytes("hello from the client library\n");
            var stored = await client.AddFileAsync(new MemoryStream(bytes), name: "hello.txt", mediaType: "text/plain");
            var anchor = await client.AnchorFilesAsync(sender, [new FileRef(Cid.Parse(stored.Cid), stored.Size, "hello.txt", "text/plain")]);
            Assert.True((await client.WaitForInclusionAsync(anchor.Hash, TimeSpan.FromSeconds(30))).ProofVerified);
            Assert.Equal(stored.Cid, Assert.Single((await client.ListFilesAsync(anchoredBy: sender.Address)).Anchors!).File.Cid);
            await using (var download = await client.DownloadFileAsync(stored.Cid))
            {
                var back = new MemoryStream();
                await download.CopyToAsync(back);
                Assert.Equal(bytes, back.ToArray());
            }

            // Blocks by page and as canonical bytes, which decode to the header the API shows.
            var page = await client.GetBlocksAsync(limit: 3);
            Assert.Equal(3, page.Blocks.Count);
            var raw = Chainlab.Core.Model.Block.Decode(await client.GetRawBlockAsync(inclusion.Header.Height));
            Assert.Equal(inclusion.Header.Hash, raw.Hash.ToString());
            Assert.Equal("known", (await client.ImportBlockAsync(raw.Encode())).Status);

            cts.Cancel();
            await seen.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        }
        finally { TempDir.Delete(dir); }
    }

    [Fact]
    public async Task Waiting_for_a_transaction_that_stays_pending_ends_with_its_status_and_finds_it_once_a_block_holds_it()
    {
        await using var node = await TestNode.StartAsync(); // blocks only when the test produces them
        var client = new ChainlabClient(node.Http);
        var tx = await client.TransferAsync(node.Keys[0], node.Keys[1].Address, 5);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForInclusionAsync(tx.Hash, TimeSpan.FromMilliseconds(600)));
        Assert.Contains("still pending", e.Message);
        await node.ProduceAsync();
        Assert.True((await client.WaitForInclusionAsync(tx.Hash, TimeSpan.FromSeconds(10))).ProofVerified);
    }

    [Fact]
    public async Task The_event_stream_outlives_the_clients_request_timeout_and_a_base_address_with_a_path_keeps_it()
    {
        await using var node = await TestNode.StartAsync();
        using var client = new ChainlabClient(node.Http.BaseAddress!, TimeSpan.FromSeconds(1));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var heads = client.EventsAsync(["head"], cts.Token).GetAsyncEnumerator(cts.Token);
        var next = heads.MoveNextAsync().AsTask();
        await Task.Delay(2500); // longer than the timeout: the stream is still open
        await node.ProduceAsync();
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(1UL, heads.Current.Head!.Height);
        await heads.DisposeAsync();

        // A base address with a path: routes go under it, not to the host's root.
        var seen = new List<Uri>();
        using var prefixed = new ChainlabClient(new HttpClient(new Recorder(seen)) { BaseAddress = new Uri("http://127.0.0.1:9/some/prefix") });
        await Assert.ThrowsAsync<ChainlabApiException>(() => prefixed.GetStatusAsync());
        Assert.Equal("http://127.0.0.1:9/some/prefix/api/v1/status", Assert.Single(seen).AbsoluteUri);
    }

    [Fact]
    public async Task A_node_answering_about_another_account_or_transaction_is_caught_and_fees_follow_each_kinds_rule()
    {
        var (asked, other) = (Build.Keys(2, seed: 5)[0].Address, Build.Keys(2, seed: 5)[1].Address);
        var answer = $$$"""{"address":"{{{other}}}","balance":1,"nonce":0,"stake":0,"nextNonce":0,"data":"","proof":{"stateRoot":"{{{new string('0', 64)}}}","height":1,"key":"{{{new string('0', 64)}}}","siblings":[],"leafKey":null,"leafValue":null}}""";
        using var liar = new ChainlabClient(new HttpClient(new Canned(answer)) { BaseAddress = new Uri("http://127.0.0.1:9/") });
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => liar.GetVerifiedAccountAsync(asked));
        Assert.Contains(other.ToString(), e.Message);
        var tx = $$"""{"hash":"{{new string('b', 64)}}","status":"pending"}""";
        using var liar2 = new ChainlabClient(new HttpClient(new Canned(tx)) { BaseAddress = new Uri("http://127.0.0.1:9/") });
        await Assert.ThrowsAsync<InvalidDataException>(() => liar2.WaitForInclusionAsync(Hash.Parse(new string('a', 64)), TimeSpan.FromSeconds(1)));

        await using var node = await TestNode.StartAsync();
        var status = await new ChainlabClient(node.Http).GetStatusAsync();
        var refs = new[] { new FileRef(Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"), 6, "a", "text/plain"), new FileRef(Cid.Parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"), 1, "b", "text/plain") };
        Assert.Equal(status.MinFee * 2, ChainlabClient.DefaultFee(Chainlab.Core.Model.TxKind.FileAnchor, FileRef.EncodePayload(refs), status));
        Assert.Equal(0UL, ChainlabClient.DefaultFee(Chainlab.Core.Model.TxKind.Evidence, [], status));
        Assert.Equal(50_000 * status.Contracts.GasPrice, ChainlabClient.DefaultFee(Chainlab.Core.Model.TxKind.Invoke, ContractPayload.Invoke(50_000, "f", []), status));
        Assert.Equal(status.MinFee, ChainlabClient.DefaultFee(Chainlab.Core.Model.TxKind.Transfer, [], status));
    }

    /// <summary>Answers every request with one JSON document (a node that lies), for the client's own checks.</summary>
    private sealed class Canned(string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
    }

    /// <summary>Answers every request 503 and remembers where it went (a unit of URL building, no node).</summary>
    private sealed class Recorder(List<Uri> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            seen.Add(request.RequestUri!);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }

    [Fact]
    public async Task A_node_that_is_not_there_is_a_connection_error_not_a_problem()
    {
        using var client = new ChainlabClient(new Uri($"http://127.0.0.1:{LoopbackPort.Free()}"), TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<ChainlabConnectionException>(() => client.GetStatusAsync());
        Assert.False(e.TimedOut);
        await Assert.ThrowsAsync<ChainlabConnectionException>(async () => { await foreach (var _ in client.EventsAsync()) { } });
    }
}
