using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Chainlab.Core.Files;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab file add|get|stat|ls|export|import: files by content address, as IPFS names them (docs/files.md).</summary>
public static class FileCommands
{
    private static readonly TimeSpan Transfer = TimeSpan.FromHours(1);

    public static Command Build()
    {
        var cmd = new Command("file", "Files by content address, with the CIDs kubo's `ipfs add` gives (docs/files.md)");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(Get());
        cmd.Subcommands.Add(Stat());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Export());
        cmd.Subcommands.Add(Import());
        cmd.Subcommands.Add(Anchor());
        return cmd;
    }

    private static Cid ParseCid(string text)
    {
        if (!Cid.TryParse(text, out var cid, out var why)) throw new CliException(why!, ExitCodes.BadInput);
        return cid!;
    }

    private static Command Add()
    {
        var path = new Argument<string>("path") { Description = "A file, or with -r a directory" };
        var recursive = new Option<bool>("-r", "--recursive") { Description = "Add a directory and everything in it (as `ipfs add -r`)" };
        var version = new Option<int>("--cid-version") { Description = "0 (default: CIDv0, dag-pb leaves) or 1 (CIDv1, raw leaves), as `ipfs add --cid-version`", DefaultValueFactory = _ => 0 };
        var name = new Option<string?>("--name") { Description = "The file's name on this node (default: the file's own)" };
        var mediaType = new Option<string?>("--media-type") { Description = "Its media type, e.g. image/png (default: guessed when served)" };
        var c = new Command("add", "Add a file or directory to the node; prints its CID") { path, recursive, version, name, mediaType };
        c.SetAction(async (pr, ct) =>
        {
            var p = pr.GetValue(path)!;
            var v = pr.GetValue(version);
            if (v is not (0 or 1)) throw new CliException("--cid-version must be 0 or 1", ExitCodes.BadInput);
            using var client = new NodeClient(pr.GetValue(Global.Node), Transfer);
            JsonNode result;
            if (Directory.Exists(p))
            {
                if (!pr.GetValue(recursive)) throw new CliException($"{p} is a directory: add it with -r", ExitCodes.BadInput);
                // The DAG is made here, exactly as for a file, and goes to the node as a CAR, which it checks block by block.
                var car = Path.GetTempFileName();
                try
                {
                    Cid root;
                    await using (var output = File.Create(car))
                    {
                        var sink = new CarSink(output);
                        await Car.WriteHeaderAsync(output, [Cid.Of(0, Cid.DagPb, [])], ct); // rewritten below once the root is known
                        root = (await AddTree(p, sink, v == 1 ? ImportOptions.V1 : ImportOptions.V0, ct)).Cid;
                    }
                    await RewriteHeader(car, root, ct);
                    await using var body = File.OpenRead(car);
                    var content = new StreamContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.ipld.car");
                    result = await client.PostContentAsync($"/api/v1/files?name={Uri.EscapeDataString(pr.GetValue(name) ?? Path.GetFileName(Path.GetFullPath(p).TrimEnd('/')))}", content, ct);
                }
                finally { File.Delete(car); }
            }
            else
            {
                FileStream stream;
                try { stream = File.OpenRead(p); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {p}: {e.Message}", ExitCodes.BadInput); }
                await using (stream)
                {
                    var content = new StreamContent(stream, 256 * 1024);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    var query = $"cidVersion={v}&name={Uri.EscapeDataString(pr.GetValue(name) ?? Path.GetFileName(p))}"
                        + (pr.GetValue(mediaType) is { } mt ? $"&mediaType={Uri.EscapeDataString(mt)}" : "");
                    result = await client.PostContentAsync($"/api/v1/files?{query}", content, ct);
                }
            }
            if (pr.GetValue(Global.Json)) Console.Out.WriteLine(result.ToJsonString());
            else Console.Out.WriteLine($"added {result["cid"]} {result["name"]} ({result["size"]} bytes)");
            return 0;
        });
        return c;
    }

    /// <summary>A directory tree as `ipfs add -r` makes it: entries by name, files streamed, nothing held whole.</summary>
    private static async Task<ImportedNode> AddTree(string dir, IBlockSink sink, ImportOptions options, CancellationToken ct)
    {
        var entries = new List<(string, ImportedNode)>();
        foreach (var d in Directory.GetDirectories(dir))
        {
            if (new DirectoryInfo(d).LinkTarget is not null) throw new CliException($"{d} is a symbolic link; links are not added", ExitCodes.BadInput);
            entries.Add((Path.GetFileName(d), await AddTree(d, sink, options, ct)));
        }
        foreach (var f in Directory.GetFiles(dir))
        {
            if (new FileInfo(f).LinkTarget is not null) throw new CliException($"{f} is a symbolic link; links are not added", ExitCodes.BadInput);
            await using var s = File.OpenRead(f);
            entries.Add((Path.GetFileName(f), await UnixFsImporter.AddFileAsync(s, sink, options, ct)));
        }
        try { return await UnixFsImporter.AddDirectoryAsync(entries, sink, options, ct); }
        catch (NotSupportedException e) { throw new CliException($"{dir}: {e.Message}", ExitCodes.BadInput); }
    }

    /// <summary>Writes each block once into a CAR.</summary>
    private sealed class CarSink(Stream output) : IBlockSink
    {
        private readonly HashSet<Cid> _seen = new();
        public async ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct)
        {
            if (_seen.Add(cid)) await Car.WriteBlockAsync(output, cid, block, ct);
        }
    }

    /// <summary>Puts the real root into the CAR's header in place of the CIDv0 placeholder written first.</summary>
    private static async Task RewriteHeader(string car, Cid root, CancellationToken ct)
    {
        var header = Car.Header([root]);
        var placeholder = Car.Header([Cid.Of(0, Cid.DagPb, [])]);
        if (header.Length == placeholder.Length)
        {
            await using var f = new FileStream(car, FileMode.Open, FileAccess.Write);
            await f.WriteAsync(header, ct);
            return;
        }
        // A CIDv1 root is longer than the v0 placeholder: copy the sections behind a new header.
        var moved = car + ".root";
        await using (var input = File.OpenRead(car))
        await using (var output = File.Create(moved))
        {
            input.Position = placeholder.Length;
            await output.WriteAsync(header, ct);
            await input.CopyToAsync(output, ct);
        }
        File.Move(moved, car, overwrite: true);
    }

    private static Command Get()
    {
        var cid = new Argument<string>("cid");
        var output = new Option<string?>("-o", "--output") { Description = "Where to write it (default: the CID as the file name)" };
        var maxSize = new Option<long>("--max-size") { Description = "Refuse files larger than this many bytes (0: no limit)", DefaultValueFactory = _ => 1L << 30 };
        var c = new Command("get", "Download a file by CID into a file: every block is checked against its CID, whatever the node sends") { cid, output, maxSize };
        c.SetAction(async (pr, ct) =>
        {
            var id = ParseCid(pr.GetValue(cid)!);
            var target = pr.GetValue(output) ?? id.ToString();
            var max = pr.GetValue(maxSize) is > 0 and var m ? m : long.MaxValue / 2;
            if (pr.GetValue(maxSize) < 0) throw new CliException("--max-size must be 0 (no limit) or a number of bytes", ExitCodes.BadInput);
            using var client = new NodeClient(pr.GetValue(Global.Node), Transfer);
            var stat = await client.GetAsync($"/api/v1/files/{id}", ct);
            if (stat["kind"]?.GetValue<string>() == "directory")
                throw new CliException($"{id} is a directory: `file export {id} DIR.car` saves it whole", ExitCodes.BadInput);
            var size = stat["size"]!.GetValue<long>();
            if (size > max) throw new CliException($"{id} is {size} bytes, over --max-size {max}; raise it (or 0 for no limit) to download it", ExitCodes.BadInput);
            // The file's blocks as a CAR, each checked against its CID, rather than bytes the node could have changed.
            var req = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{id}?format=car&dag-scope=entity");
            using var resp = await client.OpenAsync(req, ct);
            var partial = target + ".part";
            long written;
            try
            {
                await using (var body = await resp.Content.ReadAsStreamAsync(ct))
                await using (var file = File.Create(partial))
                {
                    try { written = await CarFile.ExtractAsync(new BufferedStream(body, 1 << 16), id, file, max, target + ".blocks", ct); }
                    catch (FormatException e) { throw new CliException($"the node's answer for {id} does not hold: {e.Message}", ExitCodes.Failure); }
                }
                File.Move(partial, target, overwrite: true);
            }
            finally { if (File.Exists(partial)) File.Delete(partial); }
            if (!pr.GetValue(Global.Json)) Console.Out.WriteLine($"saved {target} ({written} bytes, every block checked)");
            else Console.Out.WriteLine(new JsonObject { ["cid"] = id.ToString(), ["path"] = target, ["size"] = written }.ToJsonString());
            return 0;
        });
        return c;
    }

    private static Command Stat()
    {
        var cid = new Argument<string>("cid");
        var c = new Command("stat", "What a CID is on the node: file or directory, size, name, anchors") { cid };
        c.SetAction(async (pr, ct) =>
        {
            var id = ParseCid(pr.GetValue(cid)!);
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var f = await client.GetAsync($"/api/v1/files/{id}", ct);
            if (pr.GetValue(Global.Json)) { Console.Out.WriteLine(f.ToJsonString()); return 0; }
            Console.Out.WriteLine($"cid      {f["cid"]}");
            Console.Out.WriteLine($"kind     {f["kind"]}");
            Console.Out.WriteLine($"size     {f["size"]}");
            if (f["name"] is { } n) Console.Out.WriteLine($"name     {n}");
            if (f["mediaType"] is { } m) Console.Out.WriteLine($"type     {m}");
            Console.Out.WriteLine($"kept     {(f["kept"]!.GetValue<bool>() ? f["expiresMs"] is { } e ? $"until {DateTimeOffset.FromUnixTimeMilliseconds(e.GetValue<long>()):u} unless anchored" : "for good" : "no")}");
            foreach (var a in f["anchors"]!.AsArray())
                Console.Out.WriteLine($"anchored block {a!["height"]} tx {a["txHash"]} by {a["anchoredBy"]}");
            foreach (var entry in f["entries"]?.AsArray() ?? [])
                Console.Out.WriteLine($"  {entry!["cid"]}  {entry["size"],12}  {entry["name"]}");
            return 0;
        });
        return c;
    }

    private static Command List()
    {
        var by = new Option<string?>("--anchored-by") { Description = "Files this address anchored on chain, instead of the files the node keeps" };
        var limit = new Option<int>("--limit") { Description = "Most lines", DefaultValueFactory = _ => 100 };
        var c = new Command("ls", "Files the node keeps (newest first), or those an address anchored") { by, limit };
        c.SetAction(async (pr, ct) =>
        {
            using var client = new NodeClient(pr.GetValue(Global.Node));
            var q = $"/api/v1/files?limit={Math.Clamp(pr.GetValue(limit), 1, 1000)}" + (pr.GetValue(by) is { } a ? $"&anchoredBy={Uri.EscapeDataString(a)}" : "");
            var list = await client.GetAsync(q, ct);
            if (pr.GetValue(Global.Json)) { Console.Out.WriteLine(list.ToJsonString()); return 0; }
            foreach (var f in list["files"]?.AsArray() ?? [])
                Console.Out.WriteLine($"{f!["cid"],-62} {f["size"],12}  {f["name"]}  {(f["expiresMs"] is null ? "kept" : "expires " + DateTimeOffset.FromUnixTimeMilliseconds(f["expiresMs"]!.GetValue<long>()).ToString("u"))}");
            foreach (var x in list["anchors"]?.AsArray() ?? [])
                Console.Out.WriteLine($"{x!["file"]!["cid"],-62} {x["file"]!["size"],12}  {x["file"]!["name"]}  block {x["height"]}");
            return 0;
        });
        return c;
    }

    private static Command Export()
    {
        var cid = new Argument<string>("cid");
        var file = new Argument<string>("file") { Description = "The CAR file to write" };
        var c = new Command("export", "Save a file or directory with every block as a CARv1 (checked block by block on the way)") { cid, file };
        c.SetAction(async (pr, ct) =>
        {
            var id = ParseCid(pr.GetValue(cid)!);
            var target = pr.GetValue(file)!;
            using var client = new NodeClient(pr.GetValue(Global.Node), Transfer);
            var req = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{id}");
            req.Headers.Accept.ParseAdd("application/vnd.ipld.car");
            using var resp = await client.OpenAsync(req, ct);
            var partial = target + ".part";
            long blocks = 0, bytes = 0;
            try
            {
                await using (var body = new BufferedStream(await resp.Content.ReadAsStreamAsync(ct), 256 * 1024))
                await using (var output = File.Create(partial))
                {
                    try
                    {
                        var roots = await Car.ReadHeaderAsync(body, ct);
                        if (roots.Count != 1 || roots[0] != id) throw new CliException($"the node's CAR names root {string.Join(',', roots)}, not {id}", ExitCodes.Failure);
                        await Car.WriteHeaderAsync(output, roots, ct);
                        while (await Car.ReadBlockAsync(body, ct) is { } b)
                        {
                            await Car.WriteBlockAsync(output, b.Cid, b.Block, ct);
                            blocks++; bytes += b.Block.Length;
                        }
                    }
                    catch (FormatException e) { throw new CliException($"the node sent a bad CAR: {e.Message}", ExitCodes.Failure); }
                    catch (IOException e) { throw new CliException($"the download broke off: {e.Message}", ExitCodes.Failure); }
                }
                File.Move(partial, target, overwrite: true);
            }
            finally { if (File.Exists(partial)) File.Delete(partial); }
            Console.Out.WriteLine(pr.GetValue(Global.Json)
                ? new JsonObject { ["cid"] = id.ToString(), ["path"] = target, ["blocks"] = blocks, ["bytes"] = bytes }.ToJsonString()
                : $"exported {id} to {target}: {blocks} blocks, {bytes} bytes");
            return 0;
        });
        return c;
    }

    private static Command Anchor()
    {
        var o = new TxCommands.SendOptions();
        var cids = new Argument<string[]>("cid") { Description = "One or more CIDs (at most 16) the node has, or --size and --name given", Arity = new ArgumentArity(1, FileRef.MaxPerTransaction) };
        var name = new Option<string?>("--name") { Description = "The name to anchor (default: the node's name for the file)" };
        var mediaType = new Option<string?>("--media-type") { Description = "The media type to anchor (default: the node's, else application/octet-stream)" };
        var size = new Option<string?>("--size") { Description = "The size to anchor, for a file the node does not have" };
        var c = new Command("anchor", "Anchor files on chain: a transaction with their CIDs, sizes, names and types (fee: the minimum fee per file)") { cids, name, mediaType, size };
        o.AddTo(c);
        c.SetAction(async (pr, ct) =>
        {
            var list = pr.GetValue(cids)!;
            if ((pr.GetValue(name) is not null || pr.GetValue(size) is not null) && list.Length > 1)
                throw new CliException("--name and --size describe one file: anchor several files with the names the node knows", ExitCodes.BadInput);
            var refs = new List<FileRef>();
            using (var client = new NodeClient(pr.GetValue(Global.Node)))
                foreach (var text in list)
                {
                    var id = ParseCid(text);
                    JsonNode? stat = null;
                    if (pr.GetValue(size) is null)
                        stat = await client.GetAsync($"/api/v1/files/{id}", ct);
                    var f = new FileRef(id,
                        pr.GetValue(size) is { } sz ? Global.ParseAmount(sz, "--size") : stat!["size"]!.GetValue<ulong>(),
                        pr.GetValue(name) ?? stat?["name"]?.GetValue<string>() ?? id.ToString(),
                        pr.GetValue(mediaType) ?? stat?["mediaType"]?.GetValue<string>() ?? "application/octet-stream");
                    if (f.Problem() is { } p) throw new CliException(p, ExitCodes.BadInput);
                    refs.Add(f);
                }
            var fee = pr.GetValue(o.Fee) is { } given ? Global.ParseAmount(given, "--fee") : (ulong?)null;
            return await TxCommands.SendAsync(pr, o, Core.Model.TxKind.FileAnchor, Core.Crypto.Address.Zero, 0, FileRef.EncodePayload(refs), ct,
                feeFromStatus: status => fee ?? status.MinFee * (ulong)refs.Count);
        });
        return c;
    }

    private static Command Import()
    {
        var file = new Argument<string>("file") { Description = "A CARv1 file with one root" };
        var name = new Option<string?>("--name") { Description = "The file's name on this node" };
        var c = new Command("import", "Add a CAR file's DAG to the node (the node checks every block and that the DAG is whole)") { file, name };
        c.SetAction(async (pr, ct) =>
        {
            var path = pr.GetValue(file)!;
            FileStream stream;
            try { stream = File.OpenRead(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
            await using (stream)
            {
                using var client = new NodeClient(pr.GetValue(Global.Node), Transfer);
                var content = new StreamContent(stream, 256 * 1024);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.ipld.car");
                var result = await client.PostContentAsync($"/api/v1/files?name={Uri.EscapeDataString(pr.GetValue(name) ?? Path.GetFileNameWithoutExtension(path))}", content, ct);
                Console.Out.WriteLine(pr.GetValue(Global.Json) ? result.ToJsonString() : $"imported {result["cid"]} ({result["size"]} bytes)");
            }
            return 0;
        });
        return c;
    }
}
