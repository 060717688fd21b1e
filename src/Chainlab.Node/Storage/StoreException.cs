namespace Chainlab.Node.Storage;

/// <summary>The database cannot be opened or used; the message says why in one line.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
