using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Tests.Hosting;

/// <summary>/metrics in the Prometheus text format, scraped from a running node and parsed line by line.</summary>
public sealed partial class MetricsTests
{
    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\.)*"",?)*\})? (\S+)( -?\d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();

    /// <summary>Parses an exposition: every line must be a comment, a sample of a declared family, or empty.</summary>
    public static Dictionary<string, double> Parse(string text, out Dictionary<string, string> types)
    {
        var declared = new Dictionary<string, string>();
        types = declared;
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var c = Comment().Match(line);
                Assert.True(c.Success, $"bad comment line: {line}");
                if (c.Groups[1].Value == "TYPE")
                {
                    Assert.Contains(c.Groups[3].Value, new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                    declared[c.Groups[2].Value] = c.Groups[3].Value;
                }
                continue;
            }
            var m = Sample().Match(line);
            Assert.True(m.Success, $"bad sample line: {line}");
            var name = m.Groups[1].Value;
            var family = declared.Keys.FirstOrDefault(t => name == t || (declared[t] == "histogram" && (name == t + "_bucket" || name == t + "_sum" || name == t + "_count")));
            Assert.True(family is not null, $"sample {name} has no # TYPE line before it");
            var raw = m.Groups[4].Value;
            var value = raw switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, _ => double.Parse(raw, CultureInfo.InvariantCulture) };
            var labels = string.Join(",", Label().Matches(m.Groups[2].Value).Select(l => $"{l.Groups[1].Value}={l.Groups[2].Value}"));
            samples[labels.Length > 0 ? $"{name}{{{labels}}}" : name] = value;
        }
        return samples;
    }

    [Fact]
    public async Task A_running_node_serves_every_metric_in_the_prometheus_text_format_with_true_values()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var good = n.Transfer(0, 1, 5, 0);
            Assert.True((await n.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(good.Raw) })).IsSuccessStatusCode);
            var forged = good.Raw.ToArray();
            forged[^1] ^= 1;
            Assert.False((await n.Http.PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(forged) })).IsSuccessStatusCode);
            for (var i = 0; i < 3; i++) await n.ProduceAsync();
            var file = await n.Http.PostAsync("/api/v1/files", new ByteArrayContent("metrics"u8.ToArray()) { Headers = { ContentType = new("application/octet-stream") } });
            Assert.True(file.IsSuccessStatusCode);

            var resp = await n.Http.GetAsync("/metrics");
            Assert.True(resp.IsSuccessStatusCode);
            Assert.StartsWith("text/plain", resp.Content.Headers.ContentType!.MediaType);
            var samples = Parse(await resp.Content.ReadAsStringAsync(), out var types);

            Assert.All(types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key));
            Assert.Equal(3, samples["chainlab_head_height"]);
            Assert.Equal(3, samples["chainlab_blocks_imported_total"]);
            Assert.Equal(3, samples["chainlab_blocks_produced_total"]);
            Assert.Equal(1, samples["chainlab_transactions_committed_total"]);
            Assert.Equal(1, samples["chainlab_transactions_admitted_total"]);
            Assert.Equal(1, samples["chainlab_transactions_rejected_total{reason=bad-signature}"]);
            Assert.Equal(0, samples["chainlab_mempool_transactions"]);
            Assert.Equal(0, samples["chainlab_peers{direction=in}"]);
            Assert.Equal(1, samples["chainlab_sync_progress_ratio"]);
            Assert.Equal(3, samples["chainlab_block_execute_seconds_count"]);
            Assert.Equal(3, samples["chainlab_block_commit_seconds_count"]);
            Assert.True(samples["chainlab_store_bytes"] > 0);
            Assert.Equal(1, samples["chainlab_files_added_total"]);
            Assert.True(samples["chainlab_file_block_bytes"] > 7); // one leaf holding the seven bytes and its UnixFS framing
            Assert.Equal(0, samples["chainlab_files_fetched_total"]);
            Assert.True(samples["process_cpu_seconds_total"] > 0);
            Assert.True(samples["process_working_set_bytes"] > 0);
            foreach (var name in new[] { "chainlab_peer_best_height", "chainlab_mempool_bytes", "chainlab_reorgs_total", "chainlab_reorg_depth_blocks_count",
                         "chainlab_peer_bans_total", "chainlab_equivocations_seen_total" })
                Assert.True(samples.ContainsKey(name) || types.ContainsKey(name.Replace("_count", "")), $"{name} is missing");
        }
        finally { await n.DisposeAndDeleteAsync(); }
    }
}
