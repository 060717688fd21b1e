using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Devnets;

/// <summary>What a new devnet starts from: its keys and the chain spec that funds and empowers them.</summary>
public static class DevnetGenesis
{
    public const string DevPassword = "devnet";
    public const ulong DevBalance = 1_000_000_000_000;

    /// <summary>Keys (node keys, dev accounts, their password file) in keysDir and the chain spec that funds and empowers them.</summary>
    public static ChainSpec Create(string keysDir, ulong blockMs, int count, string engine, int nodes, int authorities = 1)
    {
        Directory.CreateDirectory(keysDir);
        var nodeKey = KeyPair.Generate();
        PrivateFile.CreateNew(Path.Combine(keysDir, "node.json"), Keystore.Encrypt(nodeKey, DevPassword, "devnet node1"));
        var producers = new List<KeyPair> { nodeKey };
        if (engine != "poa" || authorities > 1)
            for (var i = 2; i <= (engine == "poa" ? authorities : nodes); i++)
            {
                var k = KeyPair.Generate();
                PrivateFile.CreateNew(Path.Combine(keysDir, $"node{i}.json"), Keystore.Encrypt(k, DevPassword, $"devnet node{i}"));
                producers.Add(k);
            }
        PrivateFile.CreateNew(Path.Combine(keysDir, "password"), DevPassword);
        var dev = new KeyPair[count];
        Parallel.For(0, count, i =>
        {
            dev[i] = KeyPair.Generate();
            PrivateFile.CreateNew(Path.Combine(keysDir, $"dev{i + 1}.json"), Keystore.Encrypt(dev[i], DevPassword, $"dev{i + 1}"));
        });
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var pub = Convert.ToHexStringLower(nodeKey.PublicKey);
        return new ChainSpec
        {
            ChainId = "chainlab-devnet",
            GenesisTimeMs = now - now % blockMs,
            BlockTimeMs = blockMs,
            BlockReward = 1_000,
            MinFee = 1,
            Consensus = engine switch
            {
                // The miners share the laptop's cores: start near 5 million hashes per second of block time
                // (a few cores' worth, see docs/BENCHMARKS.md) and let retargeting settle the rest.
                "pow" => new ConsensusSpec { Engine = "pow", InitialDifficulty = Math.Max(1000, blockMs * 5_000), RetargetInterval = 10 },
                "pos" => new ConsensusSpec { Engine = "pos", Validators = producers.Select(k => new GenesisValidator(Convert.ToHexStringLower(k.PublicKey), 1_000_000)).ToList() },
                _ => new ConsensusSpec { Engine = "poa", Authorities = producers.Select(k => Convert.ToHexStringLower(k.PublicKey)).ToList(), Admin = pub },
            },
            Alloc = dev.ToDictionary(k => k.Address.ToString(), _ => DevBalance),
        };
    }
}
