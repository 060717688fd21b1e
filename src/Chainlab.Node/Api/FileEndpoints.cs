using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Node.Files;
using Chainlab.Node.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chainlab.Node.Api;

/// <summary>The file routes under /api/v1: upload (bytes or a CAR), metadata, lists of kept and anchored files.</summary>
public static class FileEndpoints
{
    public const string CarType = "application/vnd.ipld.car", RawType = "application/vnd.ipld.raw";

    public static void Map(RouteGroupBuilder api, ApiContext node)
    {
        var files = node.Files;
        api.MapPost("/files", async (HttpRequest req, string? name, string? mediaType, int? cidVersion, CancellationToken ct) =>
        {
            // A file may be larger than any other request: this route's own limit replaces the server's.
            if (req.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = files.Options.MaxFileBytes + (files.Options.MaxFileBytes >> 4) + 4096;
            if (req.ContentLength is { } declared && declared > files.Options.MaxFileBytes + (files.Options.MaxFileBytes >> 4) + 4096)
                return Problems.Of("too-large", 413, "File too large", $"a file is at most {files.Options.MaxFileBytes} bytes on this node");
            if (name is not null && FileRef.NameProblem(name) is { } badName) return Problems.Malformed(badName);
            if (mediaType is not null && FileRef.MediaTypeProblem(mediaType) is { } badType) return Problems.Malformed(badType);
            var isCar = req.ContentType?.StartsWith(CarType, StringComparison.OrdinalIgnoreCase) == true;
            try
            {
                var stored = isCar
                    ? await files.ImportCarAsync(req.Body, name, ct)
                    : await files.AddAsync(req.Body, new FileAddRequest(name, mediaType ?? MediaTypeOf(req.ContentType), cidVersion ?? 0), ct);
                return Results.Created($"/api/v1/files/{stored.Cid}", Dtos.StoredFile(stored));
            }
            catch (FileRefusedException e) { return Problems.Of(e.Type, e.Status, "File refused", e.Message); }
            catch (NotSupportedException e) { return Problems.Of("unsupported", 422, "File refused", e.Message); }
            catch (StoreException e) { return Problems.Of("unavailable", 503, "Store unavailable", e.Message); }
            // The client went away half-way: nothing of the file was kept, and there is nobody to answer.
            catch (Exception e) when (e is IOException or OperationCanceledException && req.HttpContext.RequestAborted.IsCancellationRequested) { return Results.Empty; }
        }).WithBinaryBody("application/octet-stream", CarType).Produces<StoredFileDto>(201).WithProblems(400, 413, 422, 503).WithName("AddFile")
          .WithSummary("Add a file: the body is its bytes (streamed; ?name=, ?mediaType=, ?cidVersion=0|1 as `ipfs add`), or a CARv1 with one root (Content-Type: application/vnd.ipld.car), every block checked. An unanchored file is kept for the node's set time after its last add; an anchored one for good while the anchored files fit half the node's quota (oldest anchors first).");

        api.MapGet("/files", (string? anchoredBy, int? limit, int? offset) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var skip = Math.Max(0, offset ?? 0);
            if (anchoredBy is not null)
            {
                if (!Address.TryParse(anchoredBy, out var by, out var why)) return Problems.Of("bad-address", 400, "Bad address", $"anchoredBy: {why}");
                var anchors = files.Store.FileAnchors(by, n, skip);
                return Results.Ok(new FileListDto(null, anchors.Select(Dtos.Anchor).ToList(), anchors.Count == n ? skip + n : null));
            }
            var kept = files.Store.StoredFiles(n, skip);
            return Results.Ok(new FileListDto(kept.Select(Dtos.StoredFile).ToList(), null, kept.Count == n ? skip + n : null));
        }).Produces<FileListDto>().WithProblems(400).WithName("ListFiles")
          .WithSummary("Files this node keeps, newest first; with ?anchoredBy=ADDRESS, the files that address anchored on chain, oldest first.");

        api.MapGet("/files/{cid}", async (string cid, CancellationToken ct) =>
        {
            if (!Cid.TryParse(cid, out var c, out var why)) return Problems.Malformed(why!);
            try { await files.EnsureAsync(c!, ct); }
            catch (FileRefusedException e) { return Problems.Of(e.Type, e.Status, "File not available", e.Message); }
            var stored = files.Store.StoredFile(c!);
            var anchors = files.Store.AnchorsOf(c!).Select(Dtos.Anchor).ToList();
            try
            {
                var info = await UnixFsReader.StatAsync(c!, files, ct);
                var entries = info.Kind == EntryKind.Directory ? info.Links.Select(l => new DirEntryDto(l.Name ?? "", l.Hash.ToString(), l.Tsize)).ToList() : null;
                return Results.Ok(new FileDto(c!.ToString(), info.Kind == EntryKind.Directory ? "directory" : "file", info.Size,
                    // Name and type as this node's uploader gave them; what anchors say is theirs, in anchors (decision 0008).
                    stored?.Name, stored?.MediaType,
                    stored is not null, stored?.ExpiresMs, entries, anchors));
            }
            catch (BlockMissingException) { return Problems.NotFound($"{c} is not on this node"); }
            catch (Exception e) when (e is FormatException or NotSupportedException) { return Problems.Of("unsupported", 422, "Not a UnixFS file", e.Message); }
        }).Produces<FileDto>().WithProblems(400, 404, 413, 422, 502).WithName("GetFile")
          .WithSummary("What a CID is: file or directory, size, name and media type, kept or expiring, its entries, and its anchors on chain. A file this node lacks is fetched from its providers first (found through the DHT).");
    }

    /// <summary>The upload's own Content-Type, unless it only says "bytes".</summary>
    private static string? MediaTypeOf(string? contentType)
    {
        if (contentType is null) return null;
        var t = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return t is "application/octet-stream" or "" || FileRef.MediaTypeProblem(t) is not null ? null : t;
    }
}
