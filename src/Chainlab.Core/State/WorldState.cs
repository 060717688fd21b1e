using System.Collections.Concurrent;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>
/// All accounts at the head plus their commitment tree. One writer (the chain loop) mutates it;
/// readers may read single accounts concurrently.
/// </summary>
public sealed class WorldState : IAccountReader
{
    private readonly ConcurrentDictionary<Address, Account> _accounts = new();
    private readonly StateTree _tree = new();

    public int AccountCount => _accounts.Count;
    public Hash Root => _tree.Root;

    public Account Get(in Address address) => _accounts.TryGetValue(address, out var a) ? a : Account.Empty;

    public bool Exists(in Address address) => _accounts.ContainsKey(address);

    public IEnumerable<KeyValuePair<Address, Account>> All => _accounts;

    /// <summary>Writes one account (empty accounts are removed from the tree).</summary>
    public void Put(in Address address, in Account account)
    {
        var key = StateTree.KeyOf(address);
        if (account.IsEmpty)
        {
            _accounts.TryRemove(address, out _);
            _tree.Remove(key);
        }
        else
        {
            _accounts[address] = account;
            _tree.Set(key, account.ValueHash());
        }
    }

    /// <summary>
    /// Applies changes and returns the previous values (the undo set). The caller restores them
    /// with <see cref="Revert"/> when the resulting root is not the expected one.
    /// </summary>
    public Dictionary<Address, Account> Apply(IReadOnlyDictionary<Address, Account> changes)
    {
        var previous = new Dictionary<Address, Account>(changes.Count);
        foreach (var (addr, acc) in changes)
        {
            previous[addr] = Get(addr);
            Put(addr, acc);
        }
        return previous;
    }

    public void Revert(IReadOnlyDictionary<Address, Account> previous)
    {
        foreach (var (addr, acc) in previous) Put(addr, acc);
    }

    public StateProof Prove(in Address address) => _tree.Prove(StateTree.KeyOf(address));
}
