using System.Collections.Concurrent;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Sim;

/// <summary>
/// One memo of transaction signature results for every node of a run: a transaction's hash covers its signature,
/// so the answer for a hash never changes, and a thousand simulated nodes verify each transaction once between
/// them instead of a thousand times. Each node still asks (admission, import), and a bad signature is still refused
/// by every node that sees it; only the repeated Ed25519 arithmetic is shared.
/// </summary>
public sealed class SharedSignatures
{
    private readonly ConcurrentDictionary<Hash, bool> _results = new();
    private long _verified, _asked;

    public bool Verify(Transaction t)
    {
        Interlocked.Increment(ref _asked);
        if (_results.TryGetValue(t.Hash, out var ok)) return ok;
        Interlocked.Increment(ref _verified);
        return _results.GetOrAdd(t.Hash, t.VerifySignature());
    }

    /// <summary>Signature checks asked for by the nodes, and how many of them did the arithmetic.</summary>
    public (long Asked, long Verified) Counts => (Interlocked.Read(ref _asked), Interlocked.Read(ref _verified));
}
