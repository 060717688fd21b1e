using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab tx send: sign locally, submit, optionally wait for inclusion.</summary>
public static class TxCommands
{
    public static Command Build()
    {
        var cmd = new Command("tx", "Create and submit transactions");
        var from = new Option<string>("--from") { Description = "Key file (or an address in the keystore) to sign with", Required = true };
        var to = new Option<string>("--to") { Description = "Recipient address", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in base units", Required = true };
        var fee = new Option<string?>("--fee") { Description = "Fee in base units (default: the chain's minimum)" };
        var nonce = new Option<string?>("--nonce") { Description = "Nonce (default: the node's next nonce for the sender)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the transaction is in a block and print the receipt" };
        var timeout = new Option<string>("--timeout") { Description = "How long --wait waits", DefaultValueFactory = _ => "60s" };
        var keystore = new Option<string?>("--keystore") { Description = "Keystore folder for --from given as an address" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the key password from this file (else $CHAINLAB_PASSWORD)" };
        var send = new Command("send", "Send a transfer") { from, to, amount, fee, nonce, wait, timeout, keystore, passwordFile };
        send.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(to), out var toAddr, out var err)) throw new CliException($"--to: {err}", ExitCodes.BadInput);
            var value = Global.ParseAmount(pr.GetValue(amount), "--amount");
            if (value == 0) throw new CliException("--amount must be positive", ExitCodes.BadInput);
            var waitFor = TimeSpan.FromMilliseconds(Global.ParseDurationMs(pr.GetValue(timeout)!, "--timeout"));
            var keyPath = KeyFiles.Resolve(pr.GetValue(from)!, pr.GetValue(keystore));
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var status = await client.GetAsync("/api/v1/status", ct);
            var key = KeyFiles.Unlock(keyPath, pr.GetValue(passwordFile));
            var chainId = status["chainId"]!.GetValue<string>();
            var n = pr.GetValue(nonce) is { } nn ? Global.ParseAmount(nn, "--nonce")
                : (await client.GetAsync($"/api/v1/accounts/{key.Address}", ct))["nextNonce"]!.GetValue<ulong>();
            var f = pr.GetValue(fee) is { } ff ? Global.ParseAmount(ff, "--fee") : 1UL;
            var tx = Transaction.Create(key, chainId, TxKind.Transfer, n, f, toAddr, value);
            var result = await client.PostAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) }, ct);
            var hash = result["hash"]!.GetValue<string>();
            if (!pr.GetValue(wait))
            {
                if (pr.GetValue(Global.Json)) Global.PrintJson(new { hash, status = "pending", from = key.Address.ToString(), nonce = n });
                else Console.Out.WriteLine($"submitted {hash} (nonce {n})");
                return 0;
            }
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var st = await client.GetAsync($"/api/v1/transactions/{hash}", ct);
                var s = st["status"]!.GetValue<string>();
                if (s == "included")
                {
                    var header = (await client.GetAsync($"/api/v1/blocks/{st["blockHeight"]}", ct))["header"]!;
                    var proofOk = Proofs.VerifyTransaction(st, header);
                    if (pr.GetValue(Global.Json)) { st["proofVerified"] = proofOk; Global.PrintJson(st); }
                    else
                    {
                        Console.Out.WriteLine($"included {hash}");
                        Console.Out.WriteLine($"block    {st["blockHeight"]} {st["blockHash"]}");
                        Console.Out.WriteLine($"receipt  success={st["receipt"]!["success"]} feePaid={st["receipt"]!["feePaid"]}");
                        Console.Out.WriteLine($"proof    {(proofOk ? "verified against the block's tx root" : "DID NOT VERIFY")}");
                    }
                    return proofOk ? 0 : ExitCodes.Failure;
                }
                if (s == "rejected") throw new CliException($"transaction {hash} was rejected: {st["reason"]}", ExitCodes.Rejected);
                if (sw.Elapsed > waitFor) throw new CliException($"transaction {hash} is still {s} after {waitFor.TotalSeconds:0}s", ExitCodes.Timeout);
                await Task.Delay(250, ct);
            }
        });
        cmd.Subcommands.Add(send);
        return cmd;
    }
}
