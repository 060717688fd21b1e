using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;
using Chainlab.Node.Files;
using Chainlab.Node.Storage.Sqlite;

namespace Chainlab.Bench;

/// <summary>
/// Adding files: the importer alone (chunking, dag-pb, SHA-256), the importer into a SQLite store (what a node
/// does with an upload), and a whole upload through a node process's API; and reading the file back.
/// </summary>
public sealed class FileBenchmark(Func<IReadOnlyList<string>, ProcessStartInfo> launchNode, TextWriter output)
{
    /// <summary>Bytes that do not repeat from chunk to chunk (so no block is stored twice), made as they are read.</summary>
    internal sealed class Generated(long length) : Stream
    {
        private long _at;
        private ulong _state = 0x9E3779B97F4A7C15;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _at) & ~7;
            if (n == 0 && _at < length) n = (int)(length - _at);
            var span = buffer.AsSpan(offset, n);
            for (var i = 0; i + 8 <= n; i += 8)
            {
                _state ^= _state << 13; _state ^= _state >> 7; _state ^= _state << 17;
                BitConverter.TryWriteBytes(span[i..], _state);
            }
            for (var i = n & ~7; i < n; i++) span[i] = (byte)i;
            _at += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
        public override void SetLength(long v) => throw new NotSupportedException();
        public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
    }

    private sealed class NullSink : IBlockSink
    {
        public ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct) => ValueTask.CompletedTask;
    }

    /// <summary>MB/s (10^6 bytes) of the importer making blocks and dropping them.</summary>
    public async Task<double> ImporterOnly(long bytes, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await UnixFsImporter.AddFileAsync(new Generated(bytes), new NullSink(), ImportOptions.V0, ct);
        return bytes / sw.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>MB/s of an add into a fresh SQLite store, and of reading the file back out of it.</summary>
    public async Task<(double Add, double Read)> IntoSqlite(long bytes, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("chainlab-bench-files").FullName;
        try
        {
            using var store = new SqliteChainStore(Path.Combine(dir, "chain.db"));
            await using var files = new FileService(store, new FileStoreOptions { MaxFileBytes = bytes + 1, QuotaBytes = bytes * 2 }, TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var sw = Stopwatch.StartNew();
            var f = await files.AddAsync(new Generated(bytes), new FileAddRequest("bench.bin", null, 0), ct);
            var add = bytes / sw.Elapsed.TotalSeconds / 1e6;
            sw.Restart();
            await UnixFsReader.WriteFileAsync(f.Cid, files, Stream.Null, ct);
            return (add, bytes / sw.Elapsed.TotalSeconds / 1e6);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>MB/s of an upload through a node process's API (HTTP on loopback, into its SQLite store), and of the download.</summary>
    public async Task<(double Upload, double Download)> ThroughNode(long bytes, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("chainlab-bench-files").FullName;
        try
        {
            var key = KeyPair.Generate();
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var spec = new ChainSpec
            {
                ChainId = "bench-files", GenesisTimeMs = now - now % 1000, BlockTimeMs = 1000,
                Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(key.PublicKey)], Admin = Convert.ToHexStringLower(key.PublicKey) },
            };
            var specPath = Path.Combine(dir, "spec.json");
            await File.WriteAllTextAsync(specPath, spec.ToJson(), ct);
            await using var node = await NodeLauncher.StartAsync(launchNode, ["node", "run", "--data", Path.Combine(dir, "data"), "--spec", specPath], withPeers: false, ct);
            using var http = new HttpClient { BaseAddress = node.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
            var sw = Stopwatch.StartNew();
            var resp = await http.PostAsync("/api/v1/files?name=bench.bin", new StreamContent(new Generated(bytes), 256 * 1024) { Headers = { ContentType = new("application/octet-stream") } }, ct);
            if (!resp.IsSuccessStatusCode) throw new InvalidOperationException($"upload failed: {await resp.Content.ReadAsStringAsync(ct)}");
            var upload = bytes / sw.Elapsed.TotalSeconds / 1e6;
            var cid = (await resp.Content.ReadFromJsonAsync<JsonObject>(ct))!["cid"]!.GetValue<string>();
            sw.Restart();
            using var get = await http.GetAsync($"/ipfs/{cid}", HttpCompletionOption.ResponseHeadersRead, ct);
            await (await get.Content.ReadAsStreamAsync(ct)).CopyToAsync(Stream.Null, ct);
            return (upload, bytes / sw.Elapsed.TotalSeconds / 1e6);
        }
        finally { Directory.Delete(dir, true); }
    }

    public async Task RunAsync(long bytes, int runs, CancellationToken ct)
    {
        var importer = new List<double>(); var add = new List<double>(); var read = new List<double>(); var up = new List<double>(); var down = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            importer.Add(await ImporterOnly(bytes, ct));
            var (a, r) = await IntoSqlite(bytes, ct);
            add.Add(a); read.Add(r);
            var (u, d) = await ThroughNode(bytes, ct);
            up.Add(u); down.Add(d);
            output.WriteLine($"run {i + 1}: importer {importer[^1]:N0} MB/s, add into SQLite {a:N0} MB/s, read back {r:N0} MB/s, upload to a node {u:N0} MB/s, download {d:N0} MB/s");
        }
        var m = ThroughputBenchmark.Median;
        output.WriteLine($"median of {runs} ({bytes / (1 << 20)} MiB file, {Environment.ProcessorCount} cores): importer {m(importer):N0} MB/s, add into SQLite {m(add):N0} MB/s, "
            + $"read back {m(read):N0} MB/s, upload through the API {m(up):N0} MB/s, download through the gateway {m(down):N0} MB/s");
    }
}
