using System.CommandLine;
using System.Text.Json.Nodes;
using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Spectre.Console;

namespace Chainlab.Cli.Commands;

/// <summary>stake, unstake, validators (proof of stake) and authorities list|add|remove (proof of authority).</summary>
public static class ConsensusCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return StakeCommand("stake", TxKind.Stake, "Bond coins as validator stake (counts in the lottery from the next epoch)");
        yield return StakeCommand("unstake", TxKind.Unstake, "Start unbonding stake (paid back after the unbonding delay; slashable until then)");

        var validators = new Command("validators", "The validator set of a proof-of-stake chain: epoch stakes, bonding and unbonding");
        validators.SetAction(async (pr, ct) =>
        {
            var engine = await EngineAsync(pr, "pos", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(engine); return 0; }
            Console.Out.WriteLine($"epoch {engine["epoch"]}  next slot {engine["slot"]}  total stake {engine["totalStake"]}  randomness {engine["randomness"]!.GetValue<string>()[..16]}");
            var t = new Table().AddColumns("address", "key", "epoch stake", "active", "bonding", "unbonding", "win chance/slot");
            foreach (var v in engine["validators"]!.AsArray())
                t.AddRow(v!["address"]!.ToString(), v["key"]!.GetValue<string>()[..16], v["epochStake"]!.ToString(), v["active"]!.ToString(),
                    string.Join(", ", v["bonding"]!.AsArray().Select(b => $"{b!["amount"]}@epoch {b["fromEpoch"]}")),
                    string.Join(", ", v["unbonding"]!.AsArray().Select(u => $"{u!["amount"]}@height {u["releaseHeight"]}")),
                    $"{v["winChancePerSlot"]!.GetValue<double>():P1}");
            AnsiConsole.Write(t);
            foreach (var s in engine["slashed"]!.AsArray()) Console.Out.WriteLine($"slashed {s!["key"]!.GetValue<string>()[..16]} for slot {s["slot"]}");
            return 0;
        });
        yield return validators;

        var authorities = new Command("authorities", "The authority set of a proof-of-authority chain");
        var list = new Command("list", "Authorities in turn order, whose turn is next, pending changes");
        list.SetAction(async (pr, ct) =>
        {
            var engine = await EngineAsync(pr, "poa", ct);
            if (pr.GetValue(Global.Json)) { Global.PrintJson(engine); return 0; }
            var inTurn = engine["inTurn"]!.GetValue<string>();
            Console.Out.WriteLine($"admin {engine["admin"]}; next slot {engine["nextSlot"]}; takeover after {engine["takeoverMs"]} ms");
            var i = 0;
            foreach (var a in engine["authorities"]!.AsArray())
            {
                var key = a!.GetValue<string>();
                Console.Out.WriteLine($"{i++,3}  {key}  {Address.FromPublicKey(Convert.FromHexString(key))}{(key == inTurn ? "  <- in turn" : "")}");
            }
            foreach (var p in engine["pending"]!.AsArray())
                Console.Out.WriteLine($"pending: {p!["action"]} {p["key"]} at height {p["effectiveHeight"]}");
            return 0;
        });
        authorities.Subcommands.Add(list);
        authorities.Subcommands.Add(ChangeCommand("add", true));
        authorities.Subcommands.Add(ChangeCommand("remove", false));
        yield return authorities;
    }

    private static Command StakeCommand(string name, TxKind kind, string description)
    {
        var o = new TxCommands.SendOptions();
        var amount = new Option<string>("--amount") { Description = "Amount in base units", Required = true };
        var c = new Command(name, description) { amount };
        o.AddTo(c);
        c.SetAction(async (pr, ct) =>
        {
            var value = Global.ParseAmount(pr.GetValue(amount), "--amount");
            if (value == 0) throw new CliException("--amount must be positive", ExitCodes.BadInput);
            return await TxCommands.SendAsync(pr, o, kind, Address.Zero, value, [], ct);
        });
        return c;
    }

    private static Command ChangeCommand(string name, bool add)
    {
        var o = new TxCommands.SendOptions();
        var who = new Option<string>("--authority") { Description = "The authority's public key (64 hex characters) or its key file", Required = true };
        var c = new Command(name, $"{(add ? "Add" : "Remove")} an authority (signed by the admin key given with --from; takes effect after the activation delay)") { who };
        o.AddTo(c);
        c.SetAction(async (pr, ct) =>
        {
            var text = pr.GetValue(who)!;
            byte[] key;
            if (text.Length == 64 && text.All(Uri.IsHexDigit)) key = Convert.FromHexString(text);
            else if (File.Exists(text))
            {
                try { key = Convert.FromHexString(Chainlab.Core.Wallet.Keystore.ReadPublic(File.ReadAllText(text)).PublicKey); }
                catch (Exception e) when (e is FormatException or Chainlab.Core.Wallet.KeystoreException) { throw new CliException($"--authority {text}: {e.Message}", ExitCodes.BadInput); }
            }
            else throw new CliException("--authority must be a 64-hex-character public key or a key file", ExitCodes.BadInput);
            return await TxCommands.SendAsync(pr, o, TxKind.AuthorityChange, Address.Zero, 0, PoaEngine.ChangePayload(add, key), ct);
        });
        return c;
    }

    private static async Task<JsonNode> EngineAsync(ParseResult pr, string engine, CancellationToken ct)
    {
        using var client = new NodeClient(pr.GetValue(Global.Node));
        var status = await client.GetAsync("/api/v1/status", ct);
        var running = status["consensus"]!.GetValue<string>();
        if (running != engine) throw new CliException($"this chain runs {running}, not {engine}", ExitCodes.BadInput);
        return status["engine"]!;
    }
}
