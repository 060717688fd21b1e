using System.Text.Json;

namespace Chainlab.Cli;

/// <summary>Choices made when a devnet was created that later runs must keep (devnet.json).</summary>
public sealed record DevnetSettings
{
    public string? Postgres { get; init; }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static DevnetSettings Load(string root)
    {
        var path = Path.Combine(root, "devnet.json");
        if (!File.Exists(path)) return new DevnetSettings();
        try { return JsonSerializer.Deserialize<DevnetSettings>(File.ReadAllText(path), Options) ?? new DevnetSettings(); }
        catch (JsonException e) { throw new CliException($"{path} is damaged: {e.Message}", ExitCodes.BadInput); }
    }

    public void Save(string root)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "devnet.json"), JsonSerializer.Serialize(this, Options));
    }
}
