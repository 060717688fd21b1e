using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chainlab.Cli;

/// <summary>
/// `chainlab node run --config FILE`: the same settings as the flags, as JSON. Flags given on the
/// command line win over the file.
/// </summary>
public sealed record NodeConfigFile
{
    /// <summary>The environment variable that carries a PostgreSQL connection string to a node.</summary>
    public const string DbEnvVar = "CHAINLAB_DB";

    public string? Data { get; init; }
    public string? Spec { get; init; }
    public string? Key { get; init; }
    public string? PasswordFile { get; init; }
    public int? Port { get; init; }
    public string? Listen { get; init; }
    public string? P2pListen { get; init; }
    /// <summary>PostgreSQL connection string; absent means SQLite in the data folder.</summary>
    public string? Db { get; init; }
    public int? MempoolCapacity { get; init; }
    public int? PerSenderLimit { get; init; }
    public string? LogLevel { get; init; }
    public string? LogFormat { get; init; }
    public string? MaxFileSize { get; init; }
    public string? FilesQuota { get; init; }
    public string? FilesTtl { get; init; }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static NodeConfigFile Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CliException($"cannot read config {path}: {e.Message}", ExitCodes.BadInput); }
        try { return JsonSerializer.Deserialize<NodeConfigFile>(text, Options) ?? throw new CliException($"{path} is empty", ExitCodes.BadInput); }
        catch (JsonException e) { throw new CliException($"{path}: {e.Message.Split(" Path:")[0]}", ExitCodes.BadInput); }
    }
}
