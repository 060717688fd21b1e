namespace Chainlab.Node.Common;

/// <summary>The node's version, as status and metrics report it (major.minor.patch of the assembly).</summary>
public static class NodeVersion
{
    public static readonly string Current = typeof(NodeVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
