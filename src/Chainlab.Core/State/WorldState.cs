using System.Collections.Concurrent;
using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>
/// All accounts at the head plus their commitment tree. Only the chain loop uses it: block building,
/// execution and reorganisation change and undo it in place. Other threads read the frozen
/// <see cref="StateSnapshot"/> that <see cref="Freeze"/> makes once a change is committed.
/// </summary>
public sealed class WorldState : IAccountReader
{
    private readonly ConcurrentDictionary<Address, Account> _accounts = new();
    private readonly StateTree _tree = new();
    // Accounts written since the last Freeze (written and restored ones too: the snapshot re-reads them).
    private readonly HashSet<Address> _touched = new();
    private StateSnapshot _frozen = StateSnapshot.Empty;

    public int AccountCount => _accounts.Count;
    public Hash Root => _tree.Root;

    public Account Get(in Address address) => _accounts.TryGetValue(address, out var a) ? a : Account.Empty;

    public bool Exists(in Address address) => _accounts.ContainsKey(address);

    public IEnumerable<KeyValuePair<Address, Account>> All => _accounts;

    /// <summary>Writes one account (empty accounts are removed from the tree).</summary>
    public void Put(in Address address, in Account account)
    {
        var key = StateTree.KeyOf(address);
        _touched.Add(address);
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

    /// <summary>
    /// A frozen copy of the state as it is now; the caller freezes only committed states (after a block or a
    /// reorganisation is stored), never one in the middle of building or executing a block.
    /// </summary>
    public StateSnapshot Freeze()
    {
        if (_touched.Count > 0)
        {
            _frozen = _frozen.With(_touched, this);
            _touched.Clear();
        }
        return _frozen;
    }

    public StateProof Prove(in Address address) => _tree.Prove(StateTree.KeyOf(address));
}
