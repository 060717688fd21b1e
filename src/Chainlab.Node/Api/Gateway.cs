using System.Net;
using System.Text;
using Chainlab.Core.Files;
using Chainlab.Node.Files;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;

namespace Chainlab.Node.Api;

/// <summary>
/// GET /ipfs/{cid}[/path], as the IPFS HTTP gateway specifications describe it: the file's bytes (a path
/// gateway), or with Accept (or ?format=) a single block (application/vnd.ipld.raw) or a CARv1 of the DAG
/// (application/vnd.ipld.car, with dag-scope=all|entity|block): the trustless responses a client verifies
/// itself. Content is served in a sandbox (CSP) so that a page someone uploaded cannot act as this node's
/// own origin.
/// </summary>
public static class Gateway
{
    private static readonly FileExtensionContentTypeProvider Types = new();

    public static void Map(WebApplication app, ApiContext node)
    {
        app.MapMethods("/ipfs/{cid}/{**path}", ["GET", "HEAD"], (HttpContext ctx, string cid, string? path, string? format) => Serve(ctx, node.Files, cid, path, format))
            .ExcludeFromDescription();
    }

    private static async Task Serve(HttpContext ctx, FileService files, string cidText, string? path, string? format)
    {
        var ct = ctx.RequestAborted;
        if (!Cid.TryParse(cidText, out var root, out var why)) { await Problems.Malformed(why!).ExecuteAsync(ctx); return; }
        // The route value is decoded once already (a second decoding would turn %252e%252e into "..").
        var segments = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        var wanted = Wanted(ctx.Request, format);
        if (wanted is null)
        {
            await Problems.Of("not-acceptable", 400, "Unsupported format", $"format '{format}' is not raw, car or a file's bytes").ExecuteAsync(ctx);
            return;
        }
        try { await files.EnsureAsync(root!, ct); }
        catch (FileRefusedException e) { await Problems.Of(e.Type, e.Status, "File not available", e.Message).ExecuteAsync(ctx); return; }
        var pathBlocks = new List<(Cid Cid, byte[] Block)>();
        EntryInfo entry;
        try { entry = await UnixFsReader.ResolveAsync(root!, segments!, files, ct, (c, b) => pathBlocks.Add((c, b))); }
        catch (BlockMissingException e) { await Problems.NotFound($"{e.Cid} is not on this node").ExecuteAsync(ctx); return; }
        catch (KeyNotFoundException e) { await Problems.NotFound(e.Message).ExecuteAsync(ctx); return; }
        catch (Exception e) when (e is FormatException or NotSupportedException) { await Problems.Of("unsupported", 422, "Not a UnixFS file", e.Message).ExecuteAsync(ctx); return; }

        var r = ctx.Response;
        // Escaped: a segment may hold any character, CR and LF among them, and headers may not.
        var ipfsPath = "/ipfs/" + root + (segments.Count > 0 ? "/" + string.Join('/', segments.Select(Uri.EscapeDataString)) : "");
        r.Headers["X-Ipfs-Path"] = ipfsPath;
        r.Headers["X-Ipfs-Roots"] = string.Join(',', pathBlocks.Select(p => p.Cid.ToString()).Append(entry.Cid.ToString()));
        r.Headers.CacheControl = "public, max-age=29030400, immutable";
        r.Headers.Vary = "Accept";
        r.Headers.XContentTypeOptions = "nosniff";
        r.Headers["Content-Security-Policy"] = "sandbox";

        switch (wanted)
        {
            case "raw":
                var block = await files.GetAsync(entry.Cid, ct);
                r.ContentType = FileEndpoints.RawType;
                r.Headers.ETag = $"\"{entry.Cid}.raw\"";
                r.Headers.ContentDisposition = $"attachment; filename=\"{entry.Cid}.bin\"";
                r.ContentLength = block!.Length;
                if (!HttpMethods.IsHead(ctx.Request.Method)) await r.Body.WriteAsync(block, ct);
                return;
            case "car":
                var scope = ctx.Request.Query["dag-scope"].ToString() is { Length: > 0 } s ? s : "all";
                if (scope is not ("all" or "entity" or "block"))
                {
                    await Problems.Malformed($"dag-scope '{scope}' is not all, entity or block").ExecuteAsync(ctx);
                    return;
                }
                r.ContentType = $"{FileEndpoints.CarType}; version=1; order=dfs; dups=n";
                r.Headers.ETag = $"\"{entry.Cid}.car.{scope}\"";
                r.Headers.ContentDisposition = $"attachment; filename=\"{entry.Cid}.car\"";
                if (HttpMethods.IsHead(ctx.Request.Method)) return;
                await WriteCar(r.Body, files, root!, pathBlocks, entry.Cid, scope, ct, ctx);
                return;
        }

        r.Headers.ETag = $"\"{entry.Cid}\"";
        if (entry.Kind == EntryKind.Directory)
        {
            if (entry.Links.FirstOrDefault(l => l.Name == "index.html") is { } index)
            {
                await SendFile(ctx, files, index.Hash, "index.html");
                return;
            }
            r.ContentType = "text/html; charset=utf-8";
            if (!HttpMethods.IsHead(ctx.Request.Method)) await r.WriteAsync(Listing(ipfsPath, entry), ct);
            return;
        }
        // The type comes from the path, or from what whoever uploaded it here said, else from its first bytes;
        // never from an anchor, whose name and type anyone can write for any CID.
        var kept = files.Store.StoredFile(entry.Cid);
        await SendFile(ctx, files, entry.Cid, segments.LastOrDefault() ?? kept?.Name, kept?.MediaType);
    }

    /// <summary>raw, car, or "" for the file's bytes; null for a format this gateway does not serve.</summary>
    private static string? Wanted(HttpRequest req, string? format)
    {
        if (format is { Length: > 0 }) return format switch { "raw" => "raw", "car" => "car", _ => null };
        var accept = req.Headers.Accept.ToString();
        if (accept.Contains(FileEndpoints.RawType, StringComparison.OrdinalIgnoreCase)) return "raw";
        if (accept.Contains(FileEndpoints.CarType, StringComparison.OrdinalIgnoreCase)) return "car";
        return "";
    }

    private static async Task WriteCar(Stream to, FileService files, Cid root, List<(Cid Cid, byte[] Block)> pathBlocks, Cid entry, string scope, CancellationToken ct, HttpContext ctx)
    {
        var written = new HashSet<Cid>();
        try
        {
            await Car.WriteHeaderAsync(to, [root], ct);
            foreach (var (c, b) in pathBlocks)
                if (written.Add(c)) await Car.WriteBlockAsync(to, c, b, ct);
            if (scope == "block")
            {
                if (written.Add(entry)) await Car.WriteBlockAsync(to, entry, (await files.GetAsync(entry, ct))!, ct);
                return;
            }
            await foreach (var (c, b) in UnixFsReader.WalkAsync(entry, files, entityOnly: scope == "entity", files.ReadLimits, ct))
                if (written.Add(c)) await Car.WriteBlockAsync(to, c, b, ct);
        }
        catch (Exception e) when (e is BlockMissingException or FormatException or NotSupportedException)
        {
            ctx.Abort(); // the status is sent: a truncated CAR is what tells the client (it checks every block anyway)
        }
    }

    /// <summary>
    /// The file's bytes as they are read: no Content-Length from the sizes its blocks claim (a root may claim
    /// anything), so the length served is the length read. A single `Range: bytes=a-b` (or `a-`, or `-n`) is
    /// answered 206 with those bytes, placed with the root's claimed size, as path gateways do; other ranges get
    /// the whole file.
    /// </summary>
    private static async Task SendFile(HttpContext ctx, FileService files, Cid cid, string? name, string? mediaType = null)
    {
        var r = ctx.Response;
        r.ContentType = mediaType ?? (name is not null && Types.TryGetContentType(name, out var t) ? t : await Sniff(files, cid, ctx.RequestAborted));
        r.Headers.AcceptRanges = "bytes";
        var range = HttpMethods.IsGet(ctx.Request.Method) ? await RangeOf(ctx.Request, files, cid) : null; // ranges are for GET only
        if (range is { Length: 0 } none)
        {
            r.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            r.Headers.ContentRange = $"bytes */{none.Size}";
            return;
        }
        if (range is { } w)
        {
            r.StatusCode = StatusCodes.Status206PartialContent;
            r.Headers.ContentRange = $"bytes {w.From}-{w.From + w.Length - 1}/{w.Size}";
        }
        if (HttpMethods.IsHead(ctx.Request.Method)) return;
        var body = range is { } x ? new WindowStream(r.Body, x.From, x.Length) : r.Body;
        try { await UnixFsReader.WriteFileAsync(cid, files, body, ctx.RequestAborted, files.ReadLimits); }
        catch (WindowStream.Done) { }
        catch (Exception e) when (e is BlockMissingException or FormatException or NotSupportedException or OverflowException)
        {
            // Before the first byte the client can still be told why; after it, only a cut answer can say it went wrong.
            if (r.HasStarted) { ctx.Abort(); return; }
            r.Headers.Remove("Content-Range"); r.Headers.Remove("ETag"); r.Headers.Remove("Accept-Ranges");
            r.Headers.CacheControl = "no-store";
            await Problems.Of("unsupported", 422, "File not readable", e.Message).ExecuteAsync(ctx);
        }
    }

    /// <summary>
    /// The one byte range asked for, placed with the size the root claims: (from, length, size); length 0 when it
    /// starts past the end (416). Null for the whole file: no Range, several ranges, or one that does not parse.
    /// </summary>
    private static async Task<(long From, long Length, long Size)?> RangeOf(HttpRequest req, FileService files, Cid cid)
    {
        var h = req.Headers.Range.ToString();
        if (!h.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || h.Contains(',')) return null;
        var spec = h[6..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0) return null;
        var (a, b) = (spec[..dash].Trim(), spec[(dash + 1)..].Trim());
        long first, last;
        if (a.Length == 0) { if (!long.TryParse(b, out var n) || n <= 0) return null; (first, last) = (-n, -1); }
        else if (!long.TryParse(a, out first) || first < 0) return null;
        else if (b.Length == 0) last = long.MaxValue;
        else if (!long.TryParse(b, out last) || last < first) return null;
        ulong claimed;
        try { claimed = (await UnixFsReader.StatAsync(cid, files, req.HttpContext.RequestAborted)).Size; }
        catch (Exception e) when (e is BlockMissingException or FormatException or NotSupportedException) { return null; }
        if (claimed > long.MaxValue) return null;
        var size = (long)claimed;
        if (first < 0) (first, last) = (Math.Max(0, size + first), long.MaxValue); // the last n bytes
        if (first >= size) return (first, 0, size);
        return (first, Math.Min(last, size - 1) - first + 1, size);
    }

    /// <summary>The media type of the first bytes: a few well-known signatures, else UTF-8 text or bytes.</summary>
    private static async Task<string> Sniff(FileService files, Cid cid, CancellationToken ct)
    {
        var first = new MemoryStream();
        // At most 64 blocks: a file of empty parts never brings 512 bytes, and is not walked to its end for them.
        try { await UnixFsReader.WriteFileAsync(cid, files, new WindowStream(first, 0, 512), ct, new DagLimits { MaxBlocks = 64 }); }
        catch (WindowStream.Done) { }
        catch (Exception e) when (e is BlockMissingException or FormatException or NotSupportedException) { return "application/octet-stream"; }
        var b = first.ToArray();
        bool Starts(params byte[] sig) => b.AsSpan().StartsWith(sig);
        if (Starts(0x89, (byte)'P', (byte)'N', (byte)'G')) return "image/png";
        if (Starts(0xff, 0xd8, 0xff)) return "image/jpeg";
        if (Starts((byte)'G', (byte)'I', (byte)'F', (byte)'8')) return "image/gif";
        if (Starts((byte)'%', (byte)'P', (byte)'D', (byte)'F')) return "application/pdf";
        if (Starts(0x50, 0x4b, 0x03, 0x04)) return "application/zip";
        if (Starts(0x1f, 0x8b)) return "application/gzip";
        var text = b.Length == 0 || (b.All(x => x >= 0x20 || x is (byte)'\n' or (byte)'\r' or (byte)'\t') && IsUtf8(b));
        return text ? "text/plain; charset=utf-8" : "application/octet-stream";
    }

    private static bool IsUtf8(byte[] b)
    {
        // The sample may end inside a character: allow an incomplete last sequence.
        for (var cut = 0; cut < 4 && cut <= b.Length; cut++)
            if (System.Text.Unicode.Utf8.IsValid(b.AsSpan(0, b.Length - cut))) return true;
        return false;
    }

    private static string Listing(string path, EntryInfo dir)
    {
        var h = new StringBuilder("<!doctype html><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(path)).Append("</title><h1>")
            .Append(WebUtility.HtmlEncode(path)).Append("</h1><ul>");
        foreach (var l in dir.Links)
            h.Append("<li><a href=\"").Append(WebUtility.HtmlEncode(path + "/" + Uri.EscapeDataString(l.Name ?? ""))).Append("\">")
                .Append(WebUtility.HtmlEncode(l.Name ?? "")).Append("</a> ").Append(WebUtility.HtmlEncode(l.Hash.ToString())).Append("</li>");
        return h.Append("</ul>").ToString();
    }

    /// <summary>Passes on the bytes of one window of what is written to it, then stops the writer.</summary>
    private sealed class WindowStream(Stream inner, long from, long length) : WriteOnlyStream
    {
        public sealed class Done : Exception;
        private long _seen;
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            var skip = (int)Math.Clamp(from - _seen, 0, buffer.Length);
            _seen += buffer.Length;
            var take = (int)Math.Min(buffer.Length - skip, length - Passed);
            if (take > 0) { await inner.WriteAsync(buffer.Slice(skip, take), ct); Passed += take; }
            if (Passed >= length) throw new Done();
        }
    }
}
