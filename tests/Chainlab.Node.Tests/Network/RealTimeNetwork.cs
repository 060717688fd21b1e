namespace Chainlab.Node.Tests.Network;

/// <summary>
/// Tests whose nodes run on the wall clock with short block times (and the CPU-heavy ones that would starve
/// them) run one after another rather than side by side: on two shared cores, a burst of other work once
/// held a follower back long enough to fail a "still producing" deadline. Devnets of several node processes
/// (the scenario runs, the four-node devnets of each engine, the fault story) are in it for the same reason.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealTimeNetwork
{
    public const string Name = "real-time network";
}
