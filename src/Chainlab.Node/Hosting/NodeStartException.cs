namespace Chainlab.Node.Hosting;

/// <summary>The node cannot start; the message is one line that says why and what to do.</summary>
public sealed class NodeStartException(string message, Exception? inner = null) : Exception(message, inner);
