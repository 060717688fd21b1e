using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>
/// A fork of the state: writes stay here, reads fall through to the base. A block is executed on an
/// overlay and only merged into the world state once it is valid and stored.
/// </summary>
public sealed class StateOverlay(IAccountReader baseState) : IAccountReader
{
    private readonly Dictionary<Address, Account> _changes = new();

    public IReadOnlyDictionary<Address, Account> Changes => _changes;

    public Account Get(in Address address) =>
        _changes.TryGetValue(address, out var a) ? a : baseState.Get(address);

    public void Set(in Address address, in Account account) => _changes[address] = account;
}
