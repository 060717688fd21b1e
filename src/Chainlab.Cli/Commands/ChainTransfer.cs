using System.Buffers.Binary;
using System.Net.Http.Headers;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Spectre.Console;

namespace Chainlab.Cli.Commands;

/// <summary>
/// `chain export` and `chain import`: a portable file of canonical blocks (format in docs/export-format.md).
/// Import sends every block through the node's full validation pipeline.
/// </summary>
public static class ChainTransfer
{
    private static readonly byte[] Magic = "CLBLOCKS"u8.ToArray();
    private const byte Version = 1;

    public static async Task<int> ExportAsync(NodeClient client, string path, ulong from, ulong? to, bool quiet, CancellationToken ct)
    {
        var status = await client.GetAsync("/api/v1/status", ct);
        var head = status["headHeight"]!.GetValue<ulong>();
        var last = Math.Min(to ?? head, head);
        if (from > last) throw new CliException($"nothing to export: --from {from} is above height {last}", ExitCodes.BadInput);
        var genesis = Hash.Parse(status["genesisHash"]!.GetValue<string>());
        var count = last - from + 1;
        var tmp = path + ".partial";
        try
        {
            await using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                var header = new byte[Magic.Length + 1 + 32 + 16];
                Magic.CopyTo(header, 0);
                header[8] = Version;
                genesis.WriteTo(header.AsSpan(9));
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(41), from);
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(49), count);
                await f.WriteAsync(header, ct);
                await WithProgress(quiet, "exporting", count, async tick =>
                {
                    var len = new byte[4];
                    for (var h = from; h <= last; h++)
                    {
                        var raw = await client.GetBytesAsync($"/api/v1/blocks/{h}/raw", ct);
                        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)raw.Length);
                        await f.WriteAsync(len, ct);
                        await f.WriteAsync(raw, ct);
                        tick();
                    }
                });
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {path}: {e.Message}", ExitCodes.Failure);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
        if (!quiet) Console.Out.WriteLine($"exported blocks {from}..{last} ({count}) to {path}");
        return (int)count;
    }

    public static async Task<(int Imported, int Known)> ImportAsync(NodeClient client, string path, bool quiet, CancellationToken ct)
    {
        FileStream f;
        try { f = new FileStream(path, FileMode.Open, FileAccess.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
        await using (f)
        {
            var header = new byte[Magic.Length + 1 + 32 + 16];
            if (await f.ReadAtLeastAsync(header, header.Length, false, ct) != header.Length || !header.AsSpan(0, 8).SequenceEqual(Magic))
                throw new CliException($"{path} is not a chainlab block export", ExitCodes.BadInput);
            if (header[8] != Version) throw new CliException($"{path} has export format version {header[8]}; this binary reads {Version}", ExitCodes.BadInput);
            var genesis = new Hash(header.AsSpan(9, 32));
            var from = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(41));
            var count = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(49));
            var status = await client.GetAsync("/api/v1/status", ct);
            if (Hash.Parse(status["genesisHash"]!.GetValue<string>()) != genesis)
                throw new CliException($"{path} belongs to another chain (genesis {genesis.Short}); the node runs {status["genesisHash"]!.GetValue<string>()[..12]}", ExitCodes.BadInput);
            int imported = 0, known = 0;
            await WithProgress(quiet, "importing", count, async tick =>
            {
                var len = new byte[4];
                for (ulong i = 0; i < count; i++)
                {
                    if (await f.ReadAtLeastAsync(len, 4, false, ct) != 4) throw new CliException($"{path} ends early: {i} of {count} blocks", ExitCodes.BadInput);
                    var n = BinaryPrimitives.ReadUInt32BigEndian(len);
                    if (n > Limits.MaxBlockBytes) throw new CliException($"{path}: block {from + i} claims {n} bytes, over the limit", ExitCodes.BadInput);
                    var raw = new byte[n];
                    if (await f.ReadAtLeastAsync(raw, (int)n, false, ct) != n) throw new CliException($"{path} ends inside block {from + i}", ExitCodes.BadInput);
                    var content = new ByteArrayContent(raw);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    var r = await client.PostContentAsync("/api/v1/blocks", content, ct);
                    if (r["status"]!.GetValue<string>() == "known") known++; else imported++;
                    tick();
                }
            });
            if (f.Position != f.Length) throw new CliException($"{path} has {f.Length - f.Position} bytes after the last block", ExitCodes.BadInput);
            if (!quiet) Console.Out.WriteLine($"imported {imported} blocks, {known} already known, from {path}");
            return (imported, known);
        }
    }

    private static async Task WithProgress(bool quiet, string label, ulong total, Func<Action, Task> work)
    {
        if (quiet || Console.IsOutputRedirected) { await work(() => { }); return; }
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
        {
            var task = ctx.AddTask(label, maxValue: total);
            await work(() => task.Increment(1));
        });
    }
}
