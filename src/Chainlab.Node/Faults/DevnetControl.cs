
namespace Chainlab.Node.Faults;

/// <summary>
/// What a devnet node exposes to its supervisor: the control route (faults on its own links and clock),
/// guarded by a token from the devnet folder. Exists only on nodes started with it, on a loopback API.
/// </summary>
public sealed class DevnetControl(string token, TimeProvider inner, Random random)
{
    public string Token { get; } = token;
    public LinkFaults Links { get; } = new(random);

    /// <summary>Every node of the devnet (this one too) by name and API address, for the dashboard's network and adversary pages.</summary>
    public IReadOnlyList<DevnetMember> Members { get; init; } = [];

    /// <summary>The address of the devnet supervisor's control route (faults, restarts), if it told the node.</summary>
    public string? ControlUrl { get; init; }

    /// <summary>The devnet's faucet, when the devnet gave this node its key (POST /api/v1/faucet).</summary>
    public Faucet? Faucet { get; init; }

    /// <summary>Web origins of the devnet's own dashboards (each node's API, by 127.0.0.1 and by localhost): the only ones allowed to read across nodes.</summary>
    public IReadOnlyList<string> Origins => Members.SelectMany(m => new[] { m.Api, m.Api.Replace("://127.0.0.1:", "://localhost:") })
        .Select(o => o.TrimEnd('/')).Distinct().ToList();

    /// <summary>"node1=http://127.0.0.1:7700,node2=…" → members; throws ArgumentException naming the bad part. Loopback addresses only.</summary>
    public static IReadOnlyList<DevnetMember> ParseMembers(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"'{part}' is not NAME=URL");
            if (!Uri.TryCreate(part[(eq + 1)..], UriKind.Absolute, out var uri) || uri.Scheme != "http" || !uri.IsLoopback || uri.AbsolutePath != "/")
                throw new ArgumentException($"'{part[(eq + 1)..]}' is not a loopback http://HOST:PORT address");
            return new DevnetMember(part[..eq], uri.GetLeftPart(UriPartial.Authority));
        }).ToList();
    public SkewedClock Clock { get; } = new(inner);

    /// <summary>Sets every fault of this node at once.</summary>
    public void Apply(FaultSettings settings)
    {
        Links.Set(settings);
        Clock.Skew = TimeSpan.FromMilliseconds(settings.ClockSkewMs);
    }

    /// <summary>Does this Authorization header carry the token (compared in constant time)? The devnet's supervisor route uses it too.</summary>
    public static bool Authorised(string? header, string token) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal)
        && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(header[7..].Trim()), System.Text.Encoding.UTF8.GetBytes(token));

    public FaultSettings Current => Links.Settings with { ClockSkewMs = (long)Clock.Skew.TotalMilliseconds };
}

