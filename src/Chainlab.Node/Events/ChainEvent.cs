namespace Chainlab.Node.Events;

/// <summary>Something subscribers (SSE clients, the CLI, the dashboard) may want to hear about.</summary>
public sealed record ChainEvent(string Type, object Data);
