using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Chain;

/// <summary>A committed head block and the state after it, frozen: safe to read from any thread.</summary>
public sealed record CommittedHead(BlockHeader Header, StateSnapshot State);
