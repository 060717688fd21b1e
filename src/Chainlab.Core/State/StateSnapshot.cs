using System.Collections.Immutable;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>
/// The accounts of one committed state, frozen: it never changes after it is made, so any thread may read
/// it while the chain loop builds, executes or undoes blocks on the live <see cref="WorldState"/>. A new
/// snapshot shares everything with the previous one except the accounts that changed.
/// </summary>
public sealed class StateSnapshot : IAccountReader
{
    private readonly ImmutableDictionary<Address, Account> _accounts;

    private StateSnapshot(ImmutableDictionary<Address, Account> accounts) => _accounts = accounts;

    public static readonly StateSnapshot Empty = new(ImmutableDictionary<Address, Account>.Empty);

    public Account Get(in Address address) => _accounts.TryGetValue(address, out var a) ? a : Account.Empty;

    /// <summary>Every non-empty account (in no particular order).</summary>
    public IEnumerable<KeyValuePair<Address, Account>> All => _accounts;

    /// <summary>This snapshot with some accounts replaced by their values in <paramref name="source"/>.</summary>
    public StateSnapshot With(IEnumerable<Address> changed, IAccountReader source)
    {
        var b = _accounts.ToBuilder();
        foreach (var a in changed)
        {
            var acc = source.Get(a);
            if (acc.IsEmpty) b.Remove(a);
            else b[a] = acc;
        }
        return new StateSnapshot(b.ToImmutable());
    }
}
