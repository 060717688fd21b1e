using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.TestSupport;

/// <summary>Test data builders: seeded keys, a spec that funds them, signed transfers.</summary>
public static class Build
{
    public static KeyPair[] Keys(int n, int seed = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => KeyPair.FromRandom(rng)).ToArray();
    }

    public static ChainSpec Spec(KeyPair[] funded, ulong balance = 1_000_000, ulong reward = 0, ulong minFee = 1) => new()
    {
        ChainId = "test-chain",
        GenesisTimeMs = 1_700_000_000_000,
        BlockTimeMs = 1000,
        BlockReward = reward,
        MinFee = minFee,
        Consensus = new ConsensusSpec { Authorities = [Convert.ToHexStringLower(funded[0].PublicKey)], Admin = Convert.ToHexStringLower(funded[0].PublicKey) },
        Alloc = funded.ToDictionary(k => k.Address.ToString(), _ => balance),
    };

    /// <summary>Proof of authority with these authorities, the first being the admin.</summary>
    public static ConsensusSpec Authorities(IReadOnlyList<KeyPair> authorities) => new()
    {
        Authorities = authorities.Select(a => Convert.ToHexStringLower(a.PublicKey)).ToList(),
        Admin = Convert.ToHexStringLower(authorities[0].PublicKey),
    };

    public static Transaction Transfer(KeyPair from, Address to, ulong amount, ulong nonce, ulong fee = 1, string chain = "test-chain") =>
        Transaction.Create(from, chain, TxKind.Transfer, nonce, fee, to, amount);
}

/// <summary>File anchor transactions for tests.</summary>
public static class FileTx
{
    public static Transaction Anchor(KeyPair from, ulong nonce, ulong fee, string chain = "test-chain", params Chainlab.Core.Files.FileRef[] refs) =>
        Transaction.Create(from, chain, TxKind.FileAnchor, nonce, fee, Address.Zero, 0, Chainlab.Core.Files.FileRef.EncodePayload(refs));
}

/// <summary>Contract transactions for tests, signed like any other.</summary>
public static class ContractTx
{
    public static Transaction Deploy(KeyPair from, ulong nonce, string code, ulong gas = 2_000_000, ulong amount = 0, string chain = "test-chain",
        params Chainlab.Contracts.ContractValue[] args) =>
        Transaction.Create(from, chain, TxKind.Deploy, nonce, gas, Address.Zero, amount,
            Chainlab.Contracts.ContractPayload.Deploy(gas, System.Text.Encoding.UTF8.GetBytes(code), args));

    public static Transaction Invoke(KeyPair from, ulong nonce, Address contract, string function, ulong gas = 2_000_000, ulong amount = 0,
        string chain = "test-chain", params Chainlab.Contracts.ContractValue[] args) =>
        Transaction.Create(from, chain, TxKind.Invoke, nonce, gas, contract, amount,
            Chainlab.Contracts.ContractPayload.Invoke(gas, function, args));

    /// <summary>Arguments from JSON, as the CLI reads them.</summary>
    public static Chainlab.Contracts.ContractValue[] Args(string json) => Chainlab.Contracts.ContractValue.ArgumentsFromJson(json).ToArray();
}
