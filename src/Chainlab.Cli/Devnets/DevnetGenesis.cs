using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Devnets;

/// <summary>What a new devnet starts from: its keys and the chain spec that funds and empowers them.</summary>
public static class DevnetGenesis
{
    public const string DevPassword = "devnet";
    /// <summary>A devnet with finality checkpoints every this many blocks: final within about 20 blocks.</summary>
    public const ulong DevnetCheckpointInterval = 8;
    public const ulong DevBalance = 1_000_000_000_000;
    /// <summary>What the faucet account (keys/faucet.json) starts with: a thousand drips of the default size.</summary>
    public const ulong FaucetBalance = 1_000_000_000_000;
    /// <summary>The faucet's key file in a devnet's keys folder; every node of the devnet is given it (docs/LEARN.md).</summary>
    public static string FaucetKeyFile(string keysDir) => Path.Combine(keysDir, "faucet.json");

    /// <summary>Keys (node keys, dev accounts, their password file) in keysDir and the chain spec that funds and empowers them.</summary>
    /// <param name="faucet">Make and fund the faucet account (keys/faucet.json): devnets whose nodes run under the supervisor's control; container networks have no faucet.</param>
    /// <param name="hashRate">PoW: the hashes per second all miners try together when it is known (hash power shares), so the first blocks come at the block time.</param>
    /// <param name="finality">PoS, PoA: switch finality on, a checkpoint every 8 blocks voted for 2 blocks later (docs/consensus.md, "Finality").</param>
    public static ChainSpec Create(string keysDir, ulong blockMs, int count, string engine, int nodes, int authorities = 1, bool faucet = true, long? hashRate = null,
        bool finality = false)
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
        var faucetKey = faucet ? KeyPair.Generate() : null;
        if (faucetKey is not null) PrivateFile.CreateNew(FaucetKeyFile(keysDir), Keystore.Encrypt(faucetKey, DevPassword, "faucet"));
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var pub = Convert.ToHexStringLower(nodeKey.PublicKey);
        return new ChainSpec
        {
            ChainId = Chainlab.Node.Faults.Faucet.DevnetChainId,
            GenesisTimeMs = now - now % blockMs,
            BlockTimeMs = blockMs,
            BlockReward = 1_000,
            MinFee = 1,
            Consensus = engine switch
            {
                // The miners share the laptop's cores: start near 5 million hashes per second of block time
                // (a few cores' worth, see docs/BENCHMARKS.md) and let retargeting settle the rest.
                "pow" => new ConsensusSpec { Engine = "pow", InitialDifficulty = hashRate is { } rate ? (ulong)Math.Max(1, rate * (long)blockMs / 1000) : Math.Max(1000, blockMs * 5_000), RetargetInterval = 10 },
                "pos" => new ConsensusSpec { Engine = "pos", Validators = producers.Select(k => new GenesisValidator(Convert.ToHexStringLower(k.PublicKey), 1_000_000)).ToList() },
                _ => new ConsensusSpec { Engine = "poa", Authorities = producers.Select(k => Convert.ToHexStringLower(k.PublicKey)).ToList(), Admin = pub },
            },
            Finality = finality ? new FinalitySpec { CheckpointInterval = DevnetCheckpointInterval, VoteDepth = 2 } : null,
            Alloc = dev.Select(k => (k.Address, DevBalance)).Concat(faucetKey is null ? [] : [(faucetKey.Address, FaucetBalance)])
                .ToDictionary(a => a.Address.ToString(), a => a.Item2),
        };
    }
}
