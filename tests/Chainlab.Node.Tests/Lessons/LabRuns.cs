namespace Chainlab.Node.Tests.Lessons;

/// <summary>
/// The lessons and challenges, each on a devnet of its own, run one after another in their own lane, beside the
/// real-time network collection rather than behind it: every one waits on live checks with generous time
/// limits, and the proof-of-work ones cap their miners' hash rates, so a busy neighbour slows them without
/// failing them. (Behind the other collection, the suite's longest lane had grown past fifteen minutes.)
/// </summary>
[CollectionDefinition(Name)]
public sealed class LabRuns
{
    public const string Name = "lab runs";
}
