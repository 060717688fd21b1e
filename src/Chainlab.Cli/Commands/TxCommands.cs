using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab tx send: sign locally, submit, optionally wait for inclusion.</summary>
public static class TxCommands
{
    /// <summary>The options every signed-transaction command shares (sender key, fee, nonce, waiting).</summary>
    public sealed class SendOptions
    {
        public readonly Option<string> From = new("--from") { Description = "Key file (or an address in the keystore) to sign with", Required = true };
        public readonly Option<string?> Fee = new("--fee") { Description = "Fee in base units (default: the chain's minimum)" };
        public readonly Option<string?> Nonce = new("--nonce") { Description = "Nonce (default: the node's next nonce for the sender)" };
        public readonly Option<bool> Wait = new("--wait") { Description = "Wait until the transaction is in a block and print the receipt" };
        public readonly Option<string> Timeout = new("--timeout") { Description = "How long --wait waits", DefaultValueFactory = _ => "60s" };
        public readonly Option<string?> Keystore = new("--keystore") { Description = "Keystore folder for --from given as an address" };
        public readonly Option<string?> PasswordFile = new("--password-file") { Description = "Read the key password from this file (else $CHAINLAB_PASSWORD)" };

        public void AddTo(Command c) { foreach (var o in new Option[] { From, Fee, Nonce, Wait, Timeout, Keystore, PasswordFile }) c.Options.Add(o); }

        public Chainlab.Core.Crypto.KeyPair Key(ParseResult pr) => KeyFiles.Unlock(KeyFiles.Resolve(pr.GetValue(From)!, pr.GetValue(Keystore)), pr.GetValue(PasswordFile));
    }

    /// <summary>Signs one transaction with --from, submits it, and with --wait follows it into a block and checks its proof.</summary>
    public static async Task<int> SendAsync(ParseResult pr, SendOptions o, TxKind kind, Address to, ulong amount, byte[] payload, CancellationToken ct,
        Chainlab.Core.Crypto.KeyPair? signer = null, Func<JsonNode, ulong>? feeFromStatus = null)
    {
        var waitFor = TimeSpan.FromMilliseconds(Global.ParseDurationMs(pr.GetValue(o.Timeout)!, "--timeout"));
        using var client = new NodeClient(pr.GetValue(Global.Node));
        var status = await client.GetAsync("/api/v1/status", ct);
        var key = signer ?? o.Key(pr);
        var chainId = status["chainId"]!.GetValue<string>();
        var n = pr.GetValue(o.Nonce) is { } nn ? Global.ParseAmount(nn, "--nonce")
            : (await client.GetAsync($"/api/v1/accounts/{key.Address}", ct))["nextNonce"]!.GetValue<ulong>();
        var f = feeFromStatus is not null ? feeFromStatus(status)
            : pr.GetValue(o.Fee) is { } ff ? Global.ParseAmount(ff, "--fee") : status["minFee"]?.GetValue<ulong>() ?? 1UL;
        var tx = Transaction.Create(key, chainId, kind, n, f, to, amount, payload);
        var result = await client.PostAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) }, ct);
        var hash = result["hash"]!.GetValue<string>();
        if (!pr.GetValue(o.Wait))
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
                    var receipt = st["receipt"]!;
                    Console.Out.WriteLine($"receipt  success={receipt["success"]} feePaid={receipt["feePaid"]}{(receipt["gasUsed"] is { } g ? $" gasUsed={g}" : "")}");
                    if (receipt["contractAddress"] is { } created) Console.Out.WriteLine($"contract {created}");
                    if (receipt["returnValue"] is { } rv) Console.Out.WriteLine($"returned {rv.ToJsonString()}");
                    foreach (var e in receipt["events"]?.AsArray() ?? []) Console.Out.WriteLine($"event    {e!["name"]} {e["value"]?.ToJsonString() ?? "null"}");
                    if (receipt["error"] is { } error) Console.Out.WriteLine($"error    {error}");
                    Console.Out.WriteLine($"proof    {(proofOk ? "verified against the block's tx root" : "DID NOT VERIFY")}");
                }
                if (st["receipt"]!["success"]!.GetValue<bool>() == false)
                    throw new CliException($"transaction {hash} was included but failed: {st["receipt"]!["error"]}", ExitCodes.Failure);
                return proofOk ? 0 : ExitCodes.Failure;
            }
            if (s == "rejected") throw new CliException($"transaction {hash} was rejected: {st["reason"]}", ExitCodes.Rejected);
            if (sw.Elapsed > waitFor) throw new CliException($"transaction {hash} is still {s} after {waitFor.TotalSeconds:0}s", ExitCodes.Timeout);
            await Task.Delay(250, ct);
        }
    }

    public static Command Build()
    {
        var cmd = new Command("tx", "Create and submit transactions");
        var o = new SendOptions();
        var to = new Option<string>("--to") { Description = "Recipient address", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in base units", Required = true };
        var send = new Command("send", "Send a transfer") { to, amount };
        o.AddTo(send);
        send.SetAction(async (pr, ct) =>
        {
            if (!Address.TryParse(pr.GetValue(to), out var toAddr, out var err)) throw new CliException($"--to: {err}", ExitCodes.BadInput);
            var value = Global.ParseAmount(pr.GetValue(amount), "--amount");
            if (value == 0) throw new CliException("--amount must be positive", ExitCodes.BadInput);
            return await SendAsync(pr, o, TxKind.Transfer, toAddr, value, [], ct);
        });
        cmd.Subcommands.Add(send);
        return cmd;
    }
}
