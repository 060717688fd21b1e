namespace Chainlab.Core.Encoding;

/// <summary>Input bytes are truncated, oversized, non-canonical or otherwise malformed.</summary>
public sealed class DecodeException(string message) : Exception(message);
