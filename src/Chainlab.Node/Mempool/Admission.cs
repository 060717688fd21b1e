using Chainlab.Core.Crypto;
using Chainlab.Core.State;

namespace Chainlab.Node.Mempool;

/// <summary>The answer to one submitted transaction.</summary>
public readonly record struct Admission(Hash? Hash, TxRejection Result)
{
    public bool Accepted => Result.IsOk;
}
