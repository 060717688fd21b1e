using Chainlab.Core.Model;

namespace Chainlab.Node.Chain;

/// <summary>The way blocks from outside (peers, the API, an import file) enter: the one import pipeline, on the chain loop.</summary>
public interface IBlockImport
{
    Task<ImportResult> ImportAsync(Block block);

    /// <summary>Starts checking the signatures of a block that will be imported soon (sync imports runs of blocks).</summary>
    void VerifyAhead(Block block);
}
