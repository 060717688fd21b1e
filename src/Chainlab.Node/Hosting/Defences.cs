namespace Chainlab.Node.Hosting;

/// <summary>
/// Defences a test may switch off (`node run --test-only-disable-defence NAME`), so the adversary lab can show
/// that its checks catch their absence. Every defence is on unless named; a node with one off says so loudly.
/// </summary>
public sealed record Defences
{
    /// <summary>Peers that break the protocol are disconnected and refused for a while.</summary>
    public bool Ban { get; init; } = true;
    /// <summary>Proof of stake: a node with a key submits evidence when it sees a producer sign two blocks for one slot.</summary>
    public bool Slashing { get; init; } = true;
    /// <summary>Block seals (signatures, proof of work) are checked before a block is taken.</summary>
    public bool SealCheck { get; init; } = true;

    public static readonly string[] Names = ["ban", "slashing", "seal-check"];
    public static readonly Defences All = new();

    /// <summary>All defences but the named ones; throws ArgumentException for an unknown name.</summary>
    public static Defences Without(IEnumerable<string> names)
    {
        var d = All;
        foreach (var n in names)
            d = n switch
            {
                "ban" => d with { Ban = false },
                "slashing" => d with { Slashing = false },
                "seal-check" => d with { SealCheck = false },
                _ => throw new ArgumentException($"unknown defence '{n}' ({string.Join(", ", Names)})"),
            };
        return d;
    }

    public IEnumerable<string> Off => Names.Where(n => n switch { "ban" => !Ban, "slashing" => !Slashing, "seal-check" => !SealCheck, _ => false });
}
