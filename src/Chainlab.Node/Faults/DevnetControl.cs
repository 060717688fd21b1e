using Chainlab.Node.Network.Peers;

namespace Chainlab.Node.Faults;

/// <summary>
/// What a devnet node exposes to its supervisor: the control route (faults on its own links and clock),
/// guarded by a token from the devnet folder. Exists only on nodes started with it, on a loopback API.
/// </summary>
public sealed class DevnetControl(string token, TimeProvider inner, Random random)
{
    public string Token { get; } = token;
    public LinkFaults Links { get; } = new(random);
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

    /// <summary>The options of a node under this control: its clock can be skewed and its links cut or shaped.</summary>
    public NodeOptions Wrap(NodeOptions options) => options with
    {
        Time = Clock,
        Peers = options.Peers is { } peers ? peers with { Faults = Links } : null,
        Devnet = this,
    };
}
