using Chainlab.Client.Models;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.State;

namespace Chainlab.Client;

/// <summary>Checks the API's proofs offline, against a block header's roots: no trust in the node that sent them.</summary>
public static class ProofChecks
{
    /// <summary>True when the transaction's Merkle proof leads from its hash to the header's transaction root.</summary>
    public static bool Transaction(TxStatusDto tx, HeaderDto header)
    {
        if (tx.Proof is not { } p || tx.BlockHash != header.Hash) return false;
        return Checked(() => MerkleTree.Verify(Hash.Parse(header.TxRoot), Hash.Parse(tx.Hash),
            new MerkleProof(p.Index, p.LeafCount, p.Path.Select(Hash.Parse).ToList())));
    }

    /// <summary>
    /// True when the account's state proof shows exactly these values (balance, nonce, stake, data) under the
    /// header's state root; an account with nothing in it must be proved absent.
    /// </summary>
    public static bool Account(AccountDto account, HeaderDto header)
    {
        if (account.Proof is not { } p || p.StateRoot != header.StateRoot) return false;
        return Checked(() =>
        {
            var address = Address.Parse(account.Address);
            var value = new Account(account.Balance, account.Nonce, account.Stake, Convert.FromHexString(account.Data));
            Hash? leafKey = p.LeafKey is { } lk ? Hash.Parse(lk) : null;
            Hash? leafValue = p.LeafValue is { } lv ? Hash.Parse(lv) : null;
            return StateTree.Verify(Hash.Parse(header.StateRoot), StateTree.KeyOf(address), value.IsEmpty ? null : value.ValueHash(),
                new StateProof(p.Siblings.Select(Hash.Parse).ToList(), leafKey, leafValue));
        });
    }

    /// <summary>A proof with a malformed part (bad hex, a bad address, an impossible index) does not verify; it is not an error.</summary>
    private static bool Checked(Func<bool> check)
    {
        try { return check(); }
        catch (Exception e) when (e is FormatException or ArgumentException or Chainlab.Core.Encoding.DecodeException) { return false; }
    }
}
