using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.State;

namespace Chainlab.Cli;

/// <summary>Checks proofs from the API offline, against a block header's roots.</summary>
public static class Proofs
{
    /// <summary>True when the transaction proof leads to the txRoot of the given header.</summary>
    public static bool VerifyTransaction(JsonNode tx, JsonNode header)
    {
        var p = tx["proof"];
        if (p is null) return false;
        var path = p["path"]!.AsArray().Select(x => Hash.Parse(x!.GetValue<string>())).ToList();
        var proof = new MerkleProof(p["index"]!.GetValue<int>(), p["leafCount"]!.GetValue<int>(), path);
        return MerkleTree.Verify(Hash.Parse(header["txRoot"]!.GetValue<string>()), Hash.Parse(tx["hash"]!.GetValue<string>()), proof);
    }

    /// <summary>True when the account proof shows these values under the header's state root.</summary>
    public static bool VerifyAccount(JsonNode account, JsonNode header)
    {
        var p = account["proof"];
        if (p is null) return false;
        var address = Address.Parse(account["address"]!.GetValue<string>());
        var acc = new Account(account["balance"]!.GetValue<ulong>(), account["nonce"]!.GetValue<ulong>(), account["stake"]!.GetValue<ulong>());
        var siblings = p["siblings"]!.AsArray().Select(x => Hash.Parse(x!.GetValue<string>())).ToList();
        Hash? leafKey = p["leafKey"]?.GetValue<string>() is { } lk ? Hash.Parse(lk) : null;
        Hash? leafValue = p["leafValue"]?.GetValue<string>() is { } lv ? Hash.Parse(lv) : null;
        var root = Hash.Parse(header["stateRoot"]!.GetValue<string>());
        return StateTree.Verify(root, StateTree.KeyOf(address), acc.IsEmpty ? null : acc.ValueHash(), new StateProof(siblings, leafKey, leafValue));
    }
}
