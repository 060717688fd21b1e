using System.CommandLine;
using System.Text.Json.Nodes;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab contract deploy|invoke|call|show|events|run.</summary>
public static class ContractCommands
{
    private const ulong DefaultGas = 1_000_000;

    public static Command Build()
    {
        var cmd = new Command("contract", "Deploy, invoke and read Lua smart contracts (docs/contracts.md)");
        cmd.Subcommands.Add(Deploy());
        cmd.Subcommands.Add(Invoke());
        cmd.Subcommands.Add(Call());
        cmd.Subcommands.Add(Show());
        cmd.Subcommands.Add(Events());
        cmd.Subcommands.Add(RunLocal());
        return cmd;
    }

    private static Option<string?> GasOption() => new("--gas") { Description = $"Gas limit (default {DefaultGas}); the fee is gas limit × the chain's gas price, unused gas is refunded" };

    private static IReadOnlyList<ContractValue> Args(string? json, string what)
    {
        try { return ContractValue.ArgumentsFromJson(json); }
        catch (FormatException e) { throw new CliException($"{what}: {e.Message}", ExitCodes.BadInput); }
    }

    private static ulong GasOf(ParseResult pr, Option<string?> gas) => pr.GetValue(gas) is { } g ? Global.ParseAmount(g, "--gas") : DefaultGas;

    private static Func<Chainlab.Client.Models.StatusDto, ulong> FeeFor(ulong gas) => status =>
    {
        var price = status.Contracts.GasPrice;
        if (gas != 0 && price > ulong.MaxValue / gas) throw new CliException("--gas times the gas price overflows", ExitCodes.BadInput);
        return gas * price;
    };

    private static void RefuseFee(ParseResult pr, TxCommands.SendOptions o)
    {
        if (pr.GetValue(o.Fee) is not null) throw new CliException("contract transactions pay gas: use --gas instead of --fee", ExitCodes.BadInput);
    }

    private static Command Deploy()
    {
        var o = new TxCommands.SendOptions();
        var file = new Argument<string>("file") { Description = "The contract's Lua source file" };
        var args = new Option<string?>("--args") { Description = "Constructor arguments for init(...), as a JSON array" };
        var amount = new Option<string?>("--amount") { Description = "Coins to give the new contract" };
        var gas = GasOption();
        var c = new Command("deploy", "Deploy a contract; with --wait prints its address") { file, args, amount, gas };
        o.AddTo(c);
        c.SetAction(async (pr, ct) =>
        {
            RefuseFee(pr, o);
            var path = pr.GetValue(file)!;
            byte[] code;
            try { code = await File.ReadAllBytesAsync(path, ct); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
            if (code.Length == 0) throw new CliException($"{path} is empty", ExitCodes.BadInput);
            if (code.Length > Limits.MaxPayloadBytes - 1024) throw new CliException($"{path} is {code.Length} bytes; contract code is at most {Limits.MaxPayloadBytes - 1024} bytes", ExitCodes.BadInput);
            var g = GasOf(pr, gas);
            var payload = ContractPayload.Deploy(g, code, Args(pr.GetValue(args), "--args"));
            var value = pr.GetValue(amount) is { } a ? Global.ParseAmount(a, "--amount") : 0;
            var key = o.Key(pr);
            using (var client = new NodeClient(pr.GetValue(Global.Node)))
            {
                var next = (await client.GetAsync($"/api/v1/accounts/{key.Address}", ct))["nextNonce"]!.GetValue<ulong>();
                var nonce = pr.GetValue(o.Nonce) is { } nn ? Global.ParseAmount(nn, "--nonce") : next;
                if (!pr.GetValue(Global.Json)) Console.Out.WriteLine($"address  {ContractState.ContractAddress(key.Address, nonce)}");
            }
            return await TxCommands.SendAsync(pr, o, TxKind.Deploy, Address.Zero, value, payload, ct, key, FeeFor(g));
        });
        return c;
    }

    private static Command Invoke()
    {
        var o = new TxCommands.SendOptions();
        var address = new Argument<string>("address") { Description = "The contract" };
        var fn = new Argument<string>("function") { Description = "The public function to run" };
        var args = new Argument<string?>("args") { Description = "Arguments as a JSON array (or one JSON value)", Arity = ArgumentArity.ZeroOrOne };
        var amount = new Option<string?>("--amount") { Description = "Coins to send along (the contract sees them as chain.amount)" };
        var gas = GasOption();
        var c = new Command("invoke", "Run a contract function in a transaction") { address, fn, args, amount, gas };
        o.AddTo(c);
        c.SetAction(async (pr, ct) =>
        {
            RefuseFee(pr, o);
            if (!Address.TryParse(pr.GetValue(address), out var to, out var err)) throw new CliException($"address: {err}", ExitCodes.BadInput);
            var g = GasOf(pr, gas);
            var name = pr.GetValue(fn)!;
            if (System.Text.Encoding.UTF8.GetByteCount(name) > ContractPayload.MaxFunctionBytes) throw new CliException("the function name is too long", ExitCodes.BadInput);
            var payload = ContractPayload.Invoke(g, name, Args(pr.GetValue(args), "args"));
            var value = pr.GetValue(amount) is { } a ? Global.ParseAmount(a, "--amount") : 0;
            return await TxCommands.SendAsync(pr, o, TxKind.Invoke, to, value, payload, ct, null, FeeFor(g));
        });
        return c;
    }

    private static Command Call()
    {
        var address = new Argument<string>("address") { Description = "The contract" };
        var fn = new Argument<string>("function") { Description = "The function to run read-only" };
        var args = new Argument<string?>("args") { Description = "Arguments as a JSON array (or one JSON value)", Arity = ArgumentArity.ZeroOrOne };
        var gas = new Option<string?>("--gas") { Description = "Gas cap (default: the chain's maximum)" };
        var c = new Command("call", "Run a contract function read-only against the head state (no transaction, no fee)") { address, fn, args, gas };
        c.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(address), out var a, out var err)) throw new CliException($"address: {err}", ExitCodes.BadInput);
            var values = Args(pr.GetValue(args), "args");
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var body = new JsonObject
            {
                ["function"] = pr.GetValue(fn),
                ["args"] = new JsonArray(values.Select(v => v.ToJson()).ToArray()),
            };
            if (pr.GetValue(gas) is { } g) body["gas"] = Global.ParseAmount(g, "--gas");
            var r = await client.PostAsync($"/api/v1/contracts/{a}/call", body, ct);
            if (pr.GetValue(Global.Json)) Global.PrintJson(r);
            else Console.Out.WriteLine(r["value"]?.ToJsonString() ?? "null");
            return 0;
        });
        return c;
    }

    private static Command Show()
    {
        var address = new Argument<string>("address") { Description = "The contract" };
        var code = new Option<bool>("--code") { Description = "Print the source too" };
        var c = new Command("show", "A contract's code hash, balance and storage") { address, code };
        c.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(address), out var a, out var err)) throw new CliException($"address: {err}", ExitCodes.BadInput);
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var r = await client.GetAsync($"/api/v1/contracts/{a}", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(r); return 0; }
            Console.Out.WriteLine($"contract {r["address"]}");
            Console.Out.WriteLine($"code     {r["codeHash"]} ({r["code"]!.GetValue<string>().Length} bytes)");
            Console.Out.WriteLine($"balance  {r["balance"]}");
            var storage = r["storage"]!.AsArray();
            Console.Out.WriteLine($"storage  {storage.Count} key(s){(storage.Count >= 200 ? " (first 200)" : "")}");
            foreach (var s in storage) Console.Out.WriteLine($"  {s!["key"]} = {s["value"]?.ToJsonString() ?? "null"}");
            if (pr.GetValue(code)) Console.Out.WriteLine(r["code"]!.GetValue<string>());
            return 0;
        });
        return c;
    }

    private static Command Events()
    {
        var address = new Argument<string>("address") { Description = "The contract" };
        var from = new Option<string?>("--from") { Description = "First block height (default 0)" };
        var follow = new Option<bool>("--follow") { Description = "Keep printing new events until Ctrl+C" };
        var c = new Command("events", "Events the contract emitted, oldest first") { address, from, follow };
        c.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(address), out var a, out var err)) throw new CliException($"address: {err}", ExitCodes.BadInput);
            var next = pr.GetValue(from) is { } f ? Global.ParseAmount(f, "--from") : 0;
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var atNext = 0; // events already printed at height 'next' (a page can end inside a block)
            while (true)
            {
                var list = (await client.GetAsync($"/api/v1/contracts/{a}/events?from={next}&offset={atNext}&limit=1000", ct)).AsArray();
                foreach (var e in list)
                {
                    var height = e!["height"]!.GetValue<ulong>();
                    if (height != next) { next = height; atNext = 0; }
                    atNext++;
                    if (pr.GetValue(Global.Json)) Console.Out.WriteLine(e.ToJsonString());
                    else Console.Out.WriteLine($"{height,8}  {e["tx"]!.GetValue<string>()[..12]}  {e["name"]}  {e["value"]?.ToJsonString() ?? "null"}");
                }
                if (list.Count == 1000) continue;
                if (!pr.GetValue(follow)) return 0;
                try { await Task.Delay(1000, ct); }
                catch (OperationCanceledException) { return 0; }
            }
        });
        return c;
    }

    private static Command RunLocal()
    {
        var files = new Argument<string[]>("files") { Description = "Contract source files (each is deployed on an empty state, then the function is called)", Arity = ArgumentArity.OneOrMore };
        var fn = new Option<string>("--function") { Description = "The function to call (default main)", DefaultValueFactory = _ => "main" };
        var args = new Option<string?>("--args") { Description = "Arguments as a JSON array" };
        var gas = new Option<string?>("--gas") { Description = "Gas limit of the call (default 20000000)" };
        var order = new Option<string>("--order") { Description = "The order to run the files in: given, reverse, or shuffle:SEED (the records are printed in the given order)", DefaultValueFactory = _ => "given" };
        var repeat = new Option<int>("--repeat") { Description = "Runs of each file (every run must give the same record)", DefaultValueFactory = _ => 1 };
        var c = new Command("run", "Run contract files locally, without a node: one line per file with success, gas, result, events and the state root (what consensus depends on)") { files, fn, args, gas, order, repeat };
        c.SetAction(pr =>
        {
            var paths = pr.GetValue(files)!;
            var values = Args(pr.GetValue(args), "--args");
            var limit = pr.GetValue(gas) is { } g ? Global.ParseAmount(g, "--gas") : 20_000_000UL;
            if (pr.GetValue(repeat) is < 1 or > 100) throw new CliException("--repeat: 1..100", ExitCodes.BadInput);
            var sources = paths.Select(p =>
            {
                try { return (Name: Path.GetFileName(p), Code: File.ReadAllBytes(p)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"{p}: {e.Message}", ExitCodes.NotFound); }
            }).ToList();
            var indices = Enumerable.Range(0, sources.Count).ToList();
            var o = pr.GetValue(order)!;
            if (o == "reverse") indices.Reverse();
            else if (o.StartsWith("shuffle:") && int.TryParse(o["shuffle:".Length..], out var seed))
            {
                var rng = new Random(seed);
                for (var i = indices.Count - 1; i > 0; i--) { var j = rng.Next(i + 1); (indices[i], indices[j]) = (indices[j], indices[i]); }
            }
            else if (o != "given") throw new CliException("--order: given, reverse or shuffle:SEED", ExitCodes.BadInput);
            var records = new string[sources.Count];
            foreach (var i in indices)
            {
                string? line = null;
                for (var r = 0; r < pr.GetValue(repeat); r++)
                {
                    var next = ContractRunner.Run(sources[i].Name, sources[i].Code, pr.GetValue(fn)!, values, limit).Line();
                    if (line is not null && line != next) throw new CliException($"{sources[i].Name}: run {r + 1} differs from run 1:\n{line}\n{next}");
                    line = next;
                }
                records[i] = line!;
            }
            foreach (var line in records) Console.Out.WriteLine(line);
            return 0;
        });
        return c;
    }
}
