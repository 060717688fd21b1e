using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chainlab.Cli;

/// <summary>Options every command understands, and output helpers.</summary>
public static class Global
{
    public static readonly Option<string?> Node = new("--node")
    {
        Description = "Node API URL (default $CHAINLAB_NODE or http://127.0.0.1:7700)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public static readonly Option<bool> NoColor = new("--no-color")
    {
        Description = "Plain output without colours (also when the NO_COLOR variable is set, see no-color.org)",
        Recursive = true,
    };

    /// <summary>Should output go without colours: --no-color given, or NO_COLOR set to anything but the empty string?</summary>
    public static bool Plain(ParseResult parse) =>
        parse.GetValue(NoColor) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    private static readonly JsonSerializerOptions Pretty = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void PrintJson(object value)
    {
        var text = value is JsonNode n ? n.ToJsonString(Pretty) : JsonSerializer.Serialize(value, Pretty);
        Console.Out.WriteLine(text);
    }

    public static ulong ParseAmount(string? text, string name)
    {
        if (text is null) throw new CliException($"{name} is required", ExitCodes.BadInput);
        var t = text.Replace("_", "");
        if (!ulong.TryParse(t, System.Globalization.NumberStyles.None, null, out var v))
            throw new CliException($"{name} '{text}' must be a whole number of base units (0..{ulong.MaxValue})", ExitCodes.BadInput);
        return v;
    }

    /// <summary>Parses durations like "2s", "500ms" or a plain number of milliseconds.</summary>
    /// <summary>A duration that may be negative ("-30s") or zero, in milliseconds.</summary>
    public static long ParseSignedDurationMs(string text, string name) => text.Trim() switch
    {
        "0" or "0s" or "0ms" => 0,
        var t when t.StartsWith('-') => -(long)ParseDurationMs(t[1..], name),
        var t => (long)ParseDurationMs(t, name),
    };

    public static ulong ParseDurationMs(string text, string name)
    {
        var t = text.Trim();
        ulong mult = 1;
        if (t.EndsWith("ms")) t = t[..^2];
        else if (t.EndsWith('s')) { t = t[..^1]; mult = 1000; }
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || v <= 0 || v > 3_600_000)
            throw new CliException($"{name} '{text}' is not a duration (e.g. 2s, 500ms)", ExitCodes.BadInput);
        return (ulong)Math.Round(v * mult);
    }

    /// <summary>Parses sizes like "1GiB", "500MiB", "64KiB", "10GB" or a plain number of bytes.</summary>
    public static long ParseSize(string text, string name)
    {
        var t = text.Trim();
        var units = new (string Suffix, long Factor)[] { ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1) };
        long factor = 1;
        foreach (var (suffix, f) in units)
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { t = t[..^suffix.Length].Trim(); factor = f; break; }
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || v <= 0 || v * factor > long.MaxValue / 2)
            throw new CliException($"{name} '{text}' is not a size (e.g. 512MiB, 10GiB)", ExitCodes.BadInput);
        return (long)Math.Round(v * factor);
    }

    /// <summary>Parses long durations like "24h", "90m", "30s" or "7d".</summary>
    public static TimeSpan ParseSpan(string text, string name)
    {
        var t = text.Trim();
        var (n, unit) = t.Length > 1 && char.IsLetter(t[^1]) ? (t[..^1], t[^1]) : (t, 's');
        if (!double.TryParse(n, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || v <= 0 || v > 3650 * 24 * 3600)
            throw new CliException($"{name} '{text}' is not a duration (e.g. 24h, 30m, 7d)", ExitCodes.BadInput);
        return unit switch
        {
            's' => TimeSpan.FromSeconds(v),
            'm' => TimeSpan.FromMinutes(v),
            'h' => TimeSpan.FromHours(v),
            'd' => TimeSpan.FromDays(v),
            _ => throw new CliException($"{name} '{text}': the unit is s, m, h or d", ExitCodes.BadInput),
        };
    }
}
