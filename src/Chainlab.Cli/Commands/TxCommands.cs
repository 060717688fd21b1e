using System.CommandLine;
using System.Diagnostics;
using Chainlab.Client;
using Chainlab.Client.Models;
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
        Chainlab.Core.Crypto.KeyPair? signer = null, Func<StatusDto, ulong>? feeFromStatus = null)
    {
        var waitFor = TimeSpan.FromMilliseconds(Global.ParseDurationMs(pr.GetValue(o.Timeout)!, "--timeout"));
        using var client = new NodeClient(pr.GetValue(Global.Node));
        var status = await client.Call(c => c.GetStatusAsync(ct));
        var key = signer ?? o.Key(pr);
        var nonce = pr.GetValue(o.Nonce) is { } nn ? Global.ParseAmount(nn, "--nonce") : (ulong?)null;
        var fee = feeFromStatus is not null ? feeFromStatus(status)
            : pr.GetValue(o.Fee) is { } ff ? Global.ParseAmount(ff, "--fee") : status.MinFee;
        var tx = await client.Call(c => c.SendAsync(key, kind, to, amount, payload, fee, nonce, ct));
        var hash = tx.Hash.ToString();
        if (!pr.GetValue(o.Wait))
        {
            if (pr.GetValue(Global.Json)) Global.PrintJson(new { hash, status = "pending", from = key.Address.ToString(), nonce = tx.Nonce });
            else Console.Out.WriteLine($"submitted {hash} (nonce {tx.Nonce})");
            return 0;
        }
        Inclusion inclusion;
        try { inclusion = await client.Api.WaitForInclusionAsync(tx.Hash, waitFor, ct); }
        catch (TimeoutException e) { throw new CliException(e.Message, ExitCodes.Timeout); }
        catch (ChainlabApiException e) when (e.Type == "rejected") { throw new CliException(e.Message, ExitCodes.Rejected); }
        catch (Exception e) when (e is ChainlabApiException or ChainlabConnectionException) { throw NodeClient.Failed(e); }
        var (st, proofOk) = (inclusion.Transaction, inclusion.ProofVerified);
        var receipt = st.Receipt!;
        if (pr.GetValue(Global.Json))
        {
            var json = System.Text.Json.JsonSerializer.SerializeToNode(st, ChainlabClient.Json)!;
            json["proofVerified"] = proofOk;
            Global.PrintJson(json);
        }
        else
        {
            Console.Out.WriteLine($"included {hash}");
            Console.Out.WriteLine($"block    {st.BlockHeight} {st.BlockHash}");
            Console.Out.WriteLine($"receipt  success={receipt.Success} feePaid={receipt.FeePaid}{(receipt.GasUsed is { } g ? $" gasUsed={g}" : "")}");
            if (receipt.ContractAddress is { } created) Console.Out.WriteLine($"contract {created}");
            if (receipt.ReturnValue is { } rv) Console.Out.WriteLine($"returned {rv.ToJsonString()}");
            foreach (var e in receipt.Events ?? []) Console.Out.WriteLine($"event    {e.Name} {e.Value?.ToJsonString() ?? "null"}");
            if (receipt.Error is { } error) Console.Out.WriteLine($"error    {error}");
            Console.Out.WriteLine($"proof    {(proofOk ? "verified against the block's tx root" : "DID NOT VERIFY")}");
        }
        if (!receipt.Success)
            throw new CliException($"transaction {hash} was included but failed: {receipt.Error}", ExitCodes.Failure);
        return proofOk ? 0 : ExitCodes.Failure;
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
