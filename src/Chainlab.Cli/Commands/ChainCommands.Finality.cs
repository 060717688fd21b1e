using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chainlab.Client;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Finality;

namespace Chainlab.Cli.Commands;

/// <summary>`chain finality-proof` (fetch a proof from a node) and `chain verify-finality` (check one offline).</summary>
public static partial class ChainCommands
{
    private static Command FinalityProof()
    {
        var height = new Option<ulong?>("--height") { Description = "The checkpoint to prove (default: the node's last final checkpoint)" };
        var anchor = new Option<ulong?>("--anchor") { Description = "A checkpoint height the verifier already trusts as final, where the proof starts (default genesis)" };
        var output = new Option<string?>("--out") { Description = "Write the proof (JSON, what verify-finality reads) to this file instead of printing it" };
        var cmd = new Command("finality-proof", "Fetch a proof that a checkpoint is final: the links of votes that justify it and the one that finalises it") { height, anchor, output };
        cmd.SetAction(async (pr, ct) =>
        {
            using var c = new NodeClient(pr.GetValue(Global.Node));
            var proof = await c.Call(api => api.GetFinalityProofAsync(pr.GetValue(height), pr.GetValue(anchor), ct));
            var json = JsonSerializer.Serialize(proof, ChainlabClient.Json);
            if (pr.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file, json + "\n", ct);
                if (!pr.GetValue(Global.Json))
                    Console.WriteLine($"wrote the proof that checkpoint {proof.Checkpoint.Height} is final ({proof.Links.Count} links from {proof.Anchor.Height}) to {file}; check it with `chainlab chain verify-finality {file}`");
                else Global.PrintJson(new { file, height = proof.Checkpoint.Height, links = proof.Links.Count });
                return 0;
            }
            Console.WriteLine(pr.GetValue(Global.Json) ? json : JsonSerializer.Serialize(proof, new JsonSerializerOptions(ChainlabClient.Json) { WriteIndented = true }));
            return 0;
        });
        return cmd;
    }

    private static Command VerifyFinality()
    {
        var file = new Argument<string>("file") { Description = "A proof as `chain finality-proof --out` writes it (JSON), or its canonical bytes in hex" };
        var chainId = new Option<string?>("--chain-id") { Description = "The chain the proof must be for (default: the one it names)" };
        var interval = new Option<ulong?>("--interval") { Description = "The chain's checkpoint interval (default: the one the proof names)" };
        var anchor = new Option<string?>("--anchor") { Description = "The checkpoint you trust, HEIGHT:HASH (e.g. 0:<genesis hash>); default: the proof's own anchor, which you then compare yourself" };
        var cmd = new Command("verify-finality", "Check a finality proof offline: every vote's signature, more than two thirds of the weight on every link, the links chained from the trusted anchor") { file, chainId, interval, anchor };
        cmd.SetAction(async (pr, ct) =>
        {
            var path = pr.GetValue(file)!;
            if (!File.Exists(path)) throw new CliException($"file: {path} does not exist", ExitCodes.BadInput);
            var text = (await File.ReadAllTextAsync(path, ct)).Trim();
            byte[] bytes;
            try
            {
                bytes = text.StartsWith('{')
                    ? Convert.FromHexString(JsonNode.Parse(text)?["proof"]?.GetValue<string>() ?? throw new CliException("file: the JSON has no \"proof\" field", ExitCodes.BadInput))
                    : Convert.FromHexString(text);
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                throw new CliException($"file: not a finality proof (JSON with a hex \"proof\", or hex): {e.Message}", ExitCodes.BadInput);
            }
            Core.Finality.FinalityProof proof;
            try { proof = Core.Finality.FinalityProof.Decode(bytes); }
            catch (DecodeException e) { throw new CliException($"file: the proof does not decode: {e.Message}", ExitCodes.BadInput); }
            var trusted = proof.Anchor;
            if (pr.GetValue(anchor) is { } a)
            {
                var parts = a.Split(':');
                if (parts.Length != 2 || !ulong.TryParse(parts[0], out var ah) || !Hash.TryParse(parts[1], out var hash))
                    throw new CliException("--anchor: give HEIGHT:HASH, e.g. 0:<the genesis hash, 64 hex digits>", ExitCodes.BadInput);
                trusted = new Checkpoint(ah, hash);
            }
            var id = pr.GetValue(chainId) ?? proof.ChainId;
            var k = pr.GetValue(interval) ?? proof.Interval;
            var error = proof.Verify(id, k, trusted);
            var votes = proof.Links.Sum(l => l.Votes.Count);
            if (pr.GetValue(Global.Json))
            {
                Global.PrintJson(new
                {
                    valid = error is null, error, chainId = id, interval = k,
                    checkpoint = new { height = proof.Finalised.Height, hash = proof.Finalised.Hash.ToString() },
                    anchor = new { height = trusted.Height, hash = trusted.Hash.ToString(), fromProof = pr.GetValue(anchor) is null },
                    links = proof.Links.Count, votes,
                });
                return error is null ? 0 : ExitCodes.Failure;
            }
            if (error is not null)
            {
                Console.Error.WriteLine($"NOT VALID: {error}");
                return ExitCodes.Failure;
            }
            Console.WriteLine($"VALID: checkpoint {proof.Finalised.Height} ({proof.Finalised.Hash}) is final on chain '{id}'");
            foreach (var l in proof.Links)
            {
                var w = l.Votes.Aggregate(0UL, (s, v) => s + l.Voters.WeightOf(v.VoterKey));
                Console.WriteLine($"  {l.Source.Height} -> {l.Target.Height}: {l.Votes.Count} of {l.Voters.Count} voters, weight {w} of {l.Voters.Total}, every signature checked");
            }
            Console.WriteLine(pr.GetValue(anchor) is null
                ? $"  from the proof's own anchor {trusted.Height} ({trusted.Hash}): compare it with a block you trust, or pass --anchor HEIGHT:HASH"
                : $"  from the anchor you trust, {trusted.Height} ({trusted.Hash})");
            Console.WriteLine("  (the voter sets are the proof's word: compare them with the chain's validators or authorities if you know them otherwise)");
            return 0;
        });
        return cmd;
    }
}
