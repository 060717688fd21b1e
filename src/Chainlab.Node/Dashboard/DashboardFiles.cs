using System.Security.Cryptography;

namespace Chainlab.Node.Dashboard;

/// <summary>
/// The web dashboard (docs/dashboard.md): plain ES modules, CSS and SVG embedded in this assembly, served at `/`
/// (the page) and `/ui/…` (its files), the JavaScript client's modules (clients/js/src) among them under `client/`. No build step and no third-party script; the page reads the same public
/// API as any client. A strict content security policy lets it load only its own files and talk only to this
/// node and the other loopback nodes of a devnet.
/// </summary>
public static class DashboardFiles
{
    private const string Prefix = "dashboard/";

    /// <summary>Every embedded file by its path under site/, with its type and a strong ETag.</summary>
    private static readonly Dictionary<string, (byte[] Bytes, string Type, string ETag)> Files = Load();

    public const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
        "connect-src 'self' http://127.0.0.1:* http://localhost:*; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var asm = typeof(DashboardFiles).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            var bytes = m.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            files[path] = (bytes, TypeOf(path), "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }
        return files;
    }

    private static string TypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    };

    /// <summary>The names of the embedded files (tests check each is served).</summary>
    public static IEnumerable<string> Names => Files.Keys;

    /// <summary>The embedded file at this path under site/, if there is one.</summary>
    public static bool TryGet(string path, out (byte[] Bytes, string Type, string ETag) file) => Files.TryGetValue(path, out file);
}
