using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Mempool;

/// <summary>The mempool as the API and the network see it: the one admission function and reads of what is pending.</summary>
public interface ITransactionAdmission
{
    /// <summary>Admits raw canonical transactions, in order. Results line up with the input.</summary>
    Admission[] Admit(IReadOnlyList<byte[]> raws);
    int Count { get; }
    bool Contains(in Hash hash);
    Transaction? Get(in Hash hash);
    string? RejectionReason(in Hash hash);
    /// <summary>The nonce the sender's next transaction should carry, counting pending ones.</summary>
    ulong NextNonce(in Address sender);
    List<Hash> PendingHashes(int max);
    List<Transaction> List(int offset, int limit);
}
