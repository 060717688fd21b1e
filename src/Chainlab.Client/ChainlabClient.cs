using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Chainlab.Client.Models;
using Chainlab.Core.Crypto;

namespace Chainlab.Client;

/// <summary>
/// A typed client for one node's public API (docs/api.md): every route under /api/v1 and the file gateway.
/// An error answer becomes a <see cref="ChainlabApiException"/> carrying the problem's type and detail; a node that
/// cannot be reached or does not answer in time, a <see cref="ChainlabConnectionException"/>. Transactions are built
/// and signed here (ChainlabClient.Transactions.cs), never by the node; proofs are checked by <see cref="ProofChecks"/>.
/// </summary>
public sealed partial class ChainlabClient : IDisposable
{
    /// <summary>Where the CLI and the examples look when no node is named: $CHAINLAB_NODE, else the devnet's first node.</summary>
    public static readonly string DefaultUrl = Environment.GetEnvironmentVariable("CHAINLAB_NODE") ?? "http://127.0.0.1:7700";

    /// <summary>The API's JSON: camelCase, u64 fields also read from decimal strings.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private readonly HttpClient _http;
    private readonly Uri _root;
    private readonly bool _owned;

    /// <summary>A client of the node at this http(s) URL, with its own connection pool.</summary>
    public ChainlabClient(Uri node, TimeSpan? timeout = null)
    {
        if (!node.IsAbsoluteUri || (node.Scheme != Uri.UriSchemeHttp && node.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{node}' is not an http(s) URL", nameof(node));
        _http = new HttpClient { BaseAddress = node, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        _owned = true;
        _root = Root(node);
    }

    /// <summary>A client over an HttpClient the caller owns (its BaseAddress is the node).</summary>
    public ChainlabClient(HttpClient http)
    {
        _http = http;
        if (http.BaseAddress is null) throw new ArgumentException("the HttpClient needs a BaseAddress (the node's URL)", nameof(http));
        _root = Root(http.BaseAddress);
    }

    /// <summary>The base address as a folder, so a node behind a path prefix (http://host/chainlab/) keeps it.</summary>
    private static Uri Root(Uri node) => node.AbsoluteUri.EndsWith('/') ? node : new Uri(node.AbsoluteUri + "/");

    /// <summary>Parses a user's node URL: the error says what is wrong with it.</summary>
    public static bool TryParseUrl(string text, out Uri url, out string error)
    {
        error = "";
        if (Uri.TryCreate(text, UriKind.Absolute, out url!) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)) return true;
        error = $"'{text}' is not an http(s) URL";
        return false;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    // ---- Status and network ----

    public Task<StatusDto> GetStatusAsync(CancellationToken ct = default) => GetAsync<StatusDto>("/api/v1/status", ct);

    public Task<SupplyDto> GetSupplyAsync(CancellationToken ct = default) => GetAsync<SupplyDto>("/api/v1/supply", ct);

    /// <summary>Finality at the committed head: the last justified and finalised checkpoints and those after them (Enabled false on a chain without).</summary>
    public Task<FinalityDto> GetFinalityAsync(CancellationToken ct = default) => GetAsync<FinalityDto>("/api/v1/finality", ct);

    /// <summary>A proof that the checkpoint at <paramref name="height"/> (default the last final one) is final, from <paramref name="anchor"/> (default genesis).</summary>
    public Task<FinalityProofDto> GetFinalityProofAsync(ulong? height = null, ulong? anchor = null, CancellationToken ct = default)
    {
        var q = new List<string>();
        if (height is { } h) q.Add($"height={h}");
        if (anchor is { } a) q.Add($"anchor={a}");
        return GetAsync<FinalityProofDto>("/api/v1/finality/proof" + (q.Count > 0 ? "?" + string.Join('&', q) : ""), ct);
    }

    public Task<PeersDto> GetPeersAsync(CancellationToken ct = default) => GetAsync<PeersDto>("/api/v1/peers", ct);

    public Task<SearchDto> SearchAsync(string query, CancellationToken ct = default) => GetAsync<SearchDto>($"/api/v1/search?q={Uri.EscapeDataString(query)}", ct);

    /// <summary>The devnet this node belongs to (its members and whether fault control is on).</summary>
    public Task<DevnetInfoDto> GetDevnetAsync(CancellationToken ct = default) => GetAsync<DevnetInfoDto>("/api/v1/devnet", ct);

    /// <summary>Devnets only: the devnet's faucet pays a fixed amount to this address (a ChainlabApiException when refused, empty, or not a devnet).</summary>
    public Task<FaucetDripDto> FaucetAsync(Address to, CancellationToken ct = default) =>
        PostAsync<FaucetDripDto>("/api/v1/faucet", new FaucetRequest(to.ToString()), ct);

    /// <summary>Devnets only, with the devnet's token (keys/control-token): the faults set on this node's links and clock.</summary>
    public Task<JsonNode> GetDevnetFaultsAsync(string token, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Get, "/api/v1/devnet/faults"), token), ct);

    /// <summary>Devnets only: sets every fault of this node at once (`{"cut":[…],"links":{…},"clockSkewMs":…}`; `{}` heals).</summary>
    public Task<JsonNode> SetDevnetFaultsAsync(string token, JsonNode faults, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Put, "/api/v1/devnet/faults") { Content = JsonContent.Create(faults, options: Json) }, token), ct);

    /// <summary>Devnets only: one fault command for the supervisor (`{"action": "kill", "nodes": [2]}`, partition, heal, misbehave…; docs/api.md).</summary>
    public Task<JsonNode> DevnetControlAsync(string token, JsonNode command, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Post, "/api/v1/devnet/control") { Content = JsonContent.Create(command, options: Json) }, token), ct);

    /// <summary>Devnets only: the scenario library beside the devnet and its last run.</summary>
    public Task<JsonNode> GetDevnetScenariosAsync(string token, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Get, "/api/v1/devnet/scenarios"), token), ct);

    /// <summary>Devnets only: runs one scenario of the library by name, on its own devnet beside this one.</summary>
    public Task<JsonNode> RunDevnetScenarioAsync(string token, string name, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Post, "/api/v1/devnet/scenarios") { Content = JsonContent.Create(new { name }, options: Json) }, token), ct);

    /// <summary>Devnets only: the lessons and challenges beside the devnet (never a solution) and the last run.</summary>
    public Task<JsonNode> GetDevnetLabAsync(string token, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Get, "/api/v1/devnet/lab"), token), ct);

    /// <summary>Devnets only: run (a lesson), play (a challenge), stop, check (the goal of the challenge played) or solution, by name.</summary>
    public Task<JsonNode> DevnetLabAsync(string token, string action, string name, CancellationToken ct = default) =>
        SendAsync<JsonNode>(Authorised(new HttpRequestMessage(HttpMethod.Post, "/api/v1/devnet/lab") { Content = JsonContent.Create(new { action, name }, options: Json) }, token), ct);

    private static HttpRequestMessage Authorised(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    // ---- Blocks ----

    public Task<BlockDto> GetBlockAsync(ulong height, CancellationToken ct = default) => GetAsync<BlockDto>($"/api/v1/blocks/{height}", ct);

    public Task<BlockDto> GetBlockAsync(Hash hash, CancellationToken ct = default) => GetAsync<BlockDto>($"/api/v1/blocks/{hash}", ct);

    /// <summary>A block with its transactions in full (?transactions=full).</summary>
    public Task<BlockFullDto> GetBlockWithTransactionsAsync(ulong height, CancellationToken ct = default) =>
        GetAsync<BlockFullDto>($"/api/v1/blocks/{height}?transactions=full", ct);

    /// <summary>A canonical block's bytes (what Block.Decode reads and `chain export` writes).</summary>
    public Task<byte[]> GetRawBlockAsync(ulong height, CancellationToken ct = default) => GetBytesAsync($"/api/v1/blocks/{height}/raw", ct);

    /// <summary>Headers, newest first from a height (or the head); Next is where the following page starts.</summary>
    public Task<BlockPageDto> GetBlocksAsync(ulong? from = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<BlockPageDto>("/api/v1/blocks" + Query(("from", from?.ToString()), ("limit", limit?.ToString())), ct);

    /// <summary>Imports one block (canonical bytes) through the node's full validation.</summary>
    public async Task<ImportBlockDto> ImportBlockAsync(byte[] raw, CancellationToken ct = default)
    {
        using var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new("application/octet-stream");
        return await SendAsync<ImportBlockDto>(new HttpRequestMessage(HttpMethod.Post, "/api/v1/blocks") { Content = content }, ct);
    }

    // ---- Transactions ----

    public Task<TxStatusDto> GetTransactionAsync(Hash hash, CancellationToken ct = default) => GetAsync<TxStatusDto>($"/api/v1/transactions/{hash}", ct);

    /// <summary>Submits one signed transaction (its canonical bytes); refused ones throw with the reason.</summary>
    public Task<SubmitResultDto> SubmitAsync(Chainlab.Core.Model.Transaction tx, CancellationToken ct = default) =>
        PostAsync<SubmitResultDto>("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) }, ct);

    /// <summary>Submits many signed transactions, admitted in order; each has its own result.</summary>
    public Task<SubmitBatchResponse> SubmitBatchAsync(IEnumerable<Chainlab.Core.Model.Transaction> txs, CancellationToken ct = default) =>
        PostAsync<SubmitBatchResponse>("/api/v1/transactions/batch", new { transactions = txs.Select(t => Convert.ToHexStringLower(t.Raw)).ToList() }, ct);

    public Task<MempoolDto> GetMempoolAsync(int? offset = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<MempoolDto>("/api/v1/mempool" + Query(("offset", offset?.ToString()), ("limit", limit?.ToString())), ct);

    // ---- Accounts and contracts ----

    /// <summary>An account at the head (zeros for an address without one); with proof, its state proof too.</summary>
    public Task<AccountDto> GetAccountAsync(Address address, bool proof = false, CancellationToken ct = default) =>
        GetAsync<AccountDto>($"/api/v1/accounts/{address}" + (proof ? "?proof=true" : ""), ct);

    public Task<ContractDto> GetContractAsync(Address contract, CancellationToken ct = default) => GetAsync<ContractDto>($"/api/v1/contracts/{contract}", ct);

    /// <summary>One storage value of a contract (key as the contract wrote it); with proof, its state proof.</summary>
    public Task<StorageValueDto> GetStorageAsync(Address contract, string key, bool proof = false, CancellationToken ct = default) =>
        GetAsync<StorageValueDto>($"/api/v1/contracts/{contract}/storage/{Uri.EscapeDataString(key)}" + (proof ? "?proof=true" : ""), ct);

    /// <summary>Calls a contract function read-only at the head (no transaction, no fee).</summary>
    public Task<ViewCallResponse> CallAsync(Address contract, string function, IEnumerable<JsonNode?>? args = null, ulong? gas = null, CancellationToken ct = default) =>
        PostAsync<ViewCallResponse>($"/api/v1/contracts/{contract}/call", new ViewCallRequest(function, args?.ToList() ?? [], gas), ct);

    public Task<List<ContractEventDto>> GetContractEventsAsync(Address contract, ulong? from = null, int? limit = null, int? offset = null, CancellationToken ct = default) =>
        GetAsync<List<ContractEventDto>>($"/api/v1/contracts/{contract}/events" + Query(("from", from?.ToString()), ("limit", limit?.ToString()), ("offset", offset?.ToString())), ct);

    // ---- Files ----

    /// <summary>Adds a file (its bytes, read from the stream to its end; the stream stays the caller's); the node answers its CID.</summary>
    public async Task<StoredFileDto> AddFileAsync(Stream content, string? name = null, string? mediaType = null, int? cidVersion = null, CancellationToken ct = default)
    {
        var body = new StreamContent(new Unowned(content));
        body.Headers.ContentType = new("application/octet-stream");
        var path = "/api/v1/files" + Query(("name", name), ("mediaType", mediaType), ("cidVersion", cidVersion?.ToString()));
        return await SendAsync<StoredFileDto>(new HttpRequestMessage(HttpMethod.Post, path) { Content = body }, ct);
    }

    /// <summary>A caller's stream read through without being disposed with the request.</summary>
    private sealed class Unowned(Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A file's or directory's metadata and anchors (the node fetches it from its providers when it lacks it).</summary>
    public Task<FileDto> GetFileAsync(string cid, CancellationToken ct = default) => GetAsync<FileDto>($"/api/v1/files/{Uri.EscapeDataString(cid)}", ct);

    /// <summary>Files this node keeps, or (anchoredBy) the files an address anchored on chain.</summary>
    public Task<FileListDto> ListFilesAsync(Address? anchoredBy = null, int? limit = null, int? offset = null, CancellationToken ct = default) =>
        GetAsync<FileListDto>("/api/v1/files" + Query(("anchoredBy", anchoredBy?.ToString()), ("limit", limit?.ToString()), ("offset", offset?.ToString())), ct);

    /// <summary>A file's bytes from the gateway (/ipfs/{cid}), streamed; dispose the stream.</summary>
    public async Task<Stream> DownloadFileAsync(string cid, CancellationToken ct = default)
    {
        var resp = await OpenAsync(new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{Uri.EscapeDataString(cid)}"), ct);
        return await resp.Content.ReadAsStreamAsync(ct);
    }

    // ---- Events ----

    /// <summary>
    /// The node's event stream, for as long as the caller reads (or until ct); `types` keeps only those event types.
    /// The stream does not resume by itself: when the node goes away the enumeration ends with a ChainlabConnectionException.
    /// </summary>
    public async IAsyncEnumerable<NodeEvent> EventsAsync(IReadOnlyCollection<string>? types = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        // Read as it comes (headers first): the client's timeout covers the answer's start, not the long-lived body.
        var resp = await TransportAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/events"), HttpCompletionOption.ResponseHeadersRead, ct);
        using (resp)
        {
            if (!resp.IsSuccessStatusCode) throw ChainlabApiException.From(resp.StatusCode, await resp.Content.ReadAsStringAsync(ct));
            var stream = await resp.Content.ReadAsStreamAsync(ct);
            await using var events = NodeEvent.ReadAsync(stream, ct).GetAsyncEnumerator(ct);
            while (true)
            {
                try { if (!await events.MoveNextAsync()) yield break; }
                catch (Exception e) when (e is IOException or HttpRequestException) { throw new ChainlabConnectionException(BaseAddress, false, e); }
                if (types is null || types.Contains(events.Current.Type)) yield return events.Current;
            }
        }
    }

    // ---- Any route, as JSON (for routes read generically, and for callers printing the node's own answer) ----

    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken ct = default) =>
        await SendAsync<JsonNode>(new HttpRequestMessage(HttpMethod.Get, path), ct);

    public async Task<JsonNode> PostJsonAsync(string path, object body, CancellationToken ct = default) =>
        await SendAsync<JsonNode>(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, ct);

    /// <summary>Posts the caller's content (which stays the caller's to dispose).</summary>
    public async Task<JsonNode> PostContentAsync(string path, HttpContent content, CancellationToken ct = default) =>
        await SendAsync<JsonNode>(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, ct, disposeRequest: false);

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct = default)
    {
        using var resp = await OpenAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return await resp.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>Sends a request and answers the response for the caller to stream (dispose it); an error answer throws.</summary>
    public async Task<HttpResponseMessage> OpenAsync(HttpRequestMessage request, CancellationToken ct = default)
    {
        var resp = await TransportAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (resp.IsSuccessStatusCode) return resp;
        using (resp) throw ChainlabApiException.From(resp.StatusCode, await resp.Content.ReadAsStringAsync(ct));
    }

    private Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), ct);

    private Task<T> PostAsync<T>(string path, object body, CancellationToken ct) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, ct);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct, bool disposeRequest = true)
    {
        try
        {
            using var resp = await TransportAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var text = await resp.Content.ReadAsStringAsync(ct);
            if (!resp.IsSuccessStatusCode) throw ChainlabApiException.From(resp.StatusCode, text);
            try { return JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("the answer is null"); }
            catch (JsonException e)
            {
                throw new ChainlabApiException(resp.StatusCode, "bad-answer", "Not an answer of a Chainlab node",
                    $"{request.Method} {request.RequestUri} answered {(int)resp.StatusCode} with a body that is not the expected JSON ({e.Message})", null);
            }
        }
        finally
        {
            if (disposeRequest) request.Dispose();
        }
    }

    private async Task<HttpResponseMessage> TransportAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        if (request.RequestUri is { IsAbsoluteUri: false } relative) request.RequestUri = new Uri(_root, relative.OriginalString.TrimStart('/'));
        try { return await _http.SendAsync(request, completion, ct); }
        catch (HttpRequestException e) { throw new ChainlabConnectionException(BaseAddress, false, e); }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested) { throw new ChainlabConnectionException(BaseAddress, true, e); }
    }

    private static string Query(params (string Name, string? Value)[] parts)
    {
        var present = parts.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    public void Dispose()
    {
        if (_owned) _http.Dispose();
    }
}
