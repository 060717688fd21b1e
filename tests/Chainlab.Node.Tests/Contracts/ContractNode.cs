using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>A real node (SQLite, API, chain loop) with rich accounts, driven through its API as a client would.</summary>
public sealed class ContractNode : IAsyncDisposable
{
    public TestNode Node { get; }
    private ContractNode(TestNode node) => Node = node;
    private readonly Dictionary<int, ulong> _nonces = new();

    public static async Task<ContractNode> StartAsync(ChainSpec? spec = null, IReadOnlyList<Chainlab.Core.Execution.ITransactionRules>? contractKinds = null)
    {
        var all = Build.Keys(5, seed: 99);
        spec ??= TestNode.SpecFor(all[0], all[1..], balance: 1_000_000_000_000);
        return new ContractNode(await TestNode.StartAsync(spec: spec, contractKinds: contractKinds));
    }

    public KeyPair Key(int i) => Node.Keys[i];
    private ulong Nonce(int i) { _nonces.TryGetValue(i, out var n); _nonces[i] = n + 1; return n; }

    public static string Example(string name) => File.ReadAllText(ExamplePath(name));

    public static string ExamplePath(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "examples", "contracts"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("examples/contracts"), "examples", "contracts", name);
    }

    public async Task<string> SubmitAsync(Transaction tx)
    {
        var resp = await Node.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) });
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        return tx.Hash.ToString();
    }

    /// <summary>Deploys in its own block; returns the contract address and the receipt.</summary>
    public async Task<(Address Contract, JsonNode Receipt)> DeployAsync(int from, string code, string argsJson = "[]", ulong amount = 0, ulong gas = 2_000_000)
    {
        var nonce = Nonce(from);
        var tx = ContractTx.Deploy(Key(from), nonce, code, gas, amount, args: ContractTx.Args(argsJson));
        var receipt = await IncludeAsync(tx);
        return (ContractState.ContractAddress(Key(from).Address, nonce), receipt);
    }

    public Transaction Invocation(int from, Address contract, string fn, string argsJson = "[]", ulong amount = 0, ulong gas = 2_000_000) =>
        ContractTx.Invoke(Key(from), Nonce(from), contract, fn, gas, amount, args: ContractTx.Args(argsJson));

    public Task<JsonNode> InvokeAsync(int from, Address contract, string fn, string argsJson = "[]", ulong amount = 0, ulong gas = 2_000_000) =>
        IncludeAsync(Invocation(from, contract, fn, argsJson, amount, gas));

    /// <summary>Submits, produces a block, and returns the transaction's receipt.</summary>
    public async Task<JsonNode> IncludeAsync(Transaction tx)
    {
        var hash = await SubmitAsync(tx);
        var (block, result) = await Node.ProduceAsync();
        Assert.NotNull(block);
        return await ReceiptAsync(hash);
    }

    public async Task<JsonNode> ReceiptAsync(string hash)
    {
        var st = await Node.GetJson($"/api/v1/transactions/{hash}");
        Assert.Equal("included", st["status"]!.GetValue<string>());
        return st["receipt"]!;
    }

    public async Task<JsonNode?> ViewAsync(Address contract, string fn, string argsJson = "[]")
    {
        var resp = await Node.Http.PostAsJsonAsync($"/api/v1/contracts/{contract}/call", new { function = fn, args = JsonNode.Parse(argsJson) });
        var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.True(resp.IsSuccessStatusCode, body.ToJsonString());
        return body["value"];
    }

    public async Task<ulong> BalanceAsync(Address a) => (await Node.GetJson($"/api/v1/accounts/{a}"))["balance"]!.GetValue<ulong>();

    public ValueTask DisposeAsync() => Node.DisposeAndDeleteAsync();
}
