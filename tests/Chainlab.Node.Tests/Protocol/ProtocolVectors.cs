using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Merkle;
using Chainlab.Core.Model;
using Chainlab.Core.Rules;
using Chainlab.Core.State;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Tests.Protocol;

/// <summary>
/// The test vectors of docs/vectors/*.json. Each vector holds inputs and the outputs a client must compute
/// from them; <see cref="Compute"/> derives the outputs from the inputs with the node's own code. The test
/// checks every file against it; <c>CHAINLAB_WRITE_VECTORS=1</c> rewrites the files from the inputs below.
/// </summary>
public static class ProtocolVectors
{
    public static readonly string[] Files = ["keys", "transactions", "headers", "genesis", "merkle", "state", "frames", "contracts", "contract-runs", "files"];

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
    private static byte[] Bytes(JsonNode? n) => Convert.FromHexString((string)n!);
    private static ulong U64(JsonNode? n) => ulong.Parse(n!.ToJsonString());
    private static long I64(JsonNode? n) => long.Parse(n!.ToJsonString());
    private static KeyPair Key(JsonNode? seedHex) => new(Bytes(seedHex));
    private static byte[] Seed(int i) => Hash.Sha256(System.Text.Encoding.UTF8.GetBytes($"chainlab test vector key {i}")).ToArray();

    /// <summary>The inputs of every vector, by file.</summary>
    public static JsonArray Inputs(string file) => file switch
    {
        "keys" => [.. Enumerable.Range(0, 3).Select(i => new JsonObject { ["seed"] = Hex(Seed(i)) })],
        "transactions" => TransactionInputs(),
        "contracts" => ContractInputs(),
        "contract-runs" => ContractRunInputs(),
        // Each ref names the CID of bytes given here (a file's content, or a directory of such files), so a client can
        // make the CID itself (docs/files.md); the size is the anchorer's claim and is not checked against them.
        "files" =>
        [
            new JsonObject { ["name"] = "CIDv0 of a file (hello world)", ["content"] = Hex("hello world\n"u8), ["cidVersion"] = 0, ["size"] = 12, ["fileName"] = "hello.txt", ["mediaType"] = "text/plain" },
            new JsonObject { ["name"] = "CIDv1 of the same file: one raw block", ["content"] = Hex("hello world\n"u8), ["cidVersion"] = 1, ["size"] = 12, ["fileName"] = "héllo.txt", ["mediaType"] = "text/plain" },
            new JsonObject
            {
                ["name"] = "CIDv1 of a directory holding that file, with a size claim the chain does not check",
                ["directory"] = new JsonArray(new JsonObject { ["name"] = "hello.txt", ["content"] = Hex("hello world\n"u8) }),
                ["cidVersion"] = 1, ["size"] = 18446744073709551615UL, ["fileName"] = "site", ["mediaType"] = "application/octet-stream",
            },
            new JsonObject { ["name"] = "an anchor payload and the files root of a block with these refs", ["refs"] = new JsonArray(0, 1, 2) },
        ],
        "headers" => HeaderInputs(),
        "genesis" => GenesisInputs(),
        "merkle" => [.. new[] { 0, 1, 2, 3, 5 }.Select(n => new JsonObject
        {
            ["items"] = new JsonArray([.. Enumerable.Range(0, n).Select(i => (JsonNode)Hex(Hash.Sha256([(byte)i]).ToArray()))]),
            ["proveIndex"] = n == 0 ? -1 : n - 1,
        })],
        "state" => StateInputs(),
        "frames" => FrameInputs(),
        _ => throw new ArgumentException(file),
    };

    private static JsonArray TransactionInputs()
    {
        var to = new KeyPair(Seed(1)).Address.ToString();
        return
        [
            new JsonObject { ["name"] = "transfer", ["seed"] = Hex(Seed(0)), ["kind"] = 1, ["chainId"] = "test-chain", ["nonce"] = 0, ["fee"] = 1, ["to"] = to, ["amount"] = 1000, ["payload"] = "" },
            new JsonObject { ["name"] = "transfer with a large nonce and amount", ["seed"] = Hex(Seed(0)), ["kind"] = 1, ["chainId"] = "devnet", ["nonce"] = 4294967296UL, ["fee"] = 250, ["to"] = to, ["amount"] = 18446744073709551615UL, ["payload"] = "" },
            new JsonObject { ["name"] = "stake (no recipient: the zero address)", ["seed"] = Hex(Seed(2)), ["kind"] = 2, ["chainId"] = "test-chain", ["nonce"] = 7, ["fee"] = 1, ["to"] = null, ["amount"] = 500000, ["payload"] = "" },
            new JsonObject { ["name"] = "authority change (add), payload op|key", ["seed"] = Hex(Seed(0)), ["kind"] = 6, ["chainId"] = "test-chain", ["nonce"] = 1, ["fee"] = 1, ["to"] = null, ["amount"] = 0, ["payload"] = "01" + Hex(new KeyPair(Seed(2)).PublicKey) },
        ];
    }

    private static JsonArray HeaderInputs() =>
    [
        new JsonObject
        {
            ["name"] = "proof-of-authority header, seal = Ed25519 signature",
            ["engine"] = "poa",
            ["seed"] = Hex(Seed(0)), ["height"] = 12, ["parent"] = Hex(Hash.Sha256("parent"u8).ToArray()), ["timestampMs"] = 1700000012000UL,
            ["txRoot"] = Hex(Hash.Sha256("txs"u8).ToArray()), ["stateRoot"] = Hex(Hash.Sha256("state"u8).ToArray()),
            ["filesRoot"] = Hex(new byte[32]), ["txCount"] = 3,
        },
        PosHeaderInput(),
        new JsonObject
        {
            ["name"] = "proof-of-work header, seal = difficulty | window start | nonce (the smallest nonce from 0 that meets the target)",
            ["engine"] = "pow",
            ["seed"] = Hex(Seed(1)), ["height"] = 11, ["parent"] = Hex(Hash.Sha256("parent"u8).ToArray()), ["timestampMs"] = 1700000021337UL,
            ["txRoot"] = Hex(new byte[32]), ["stateRoot"] = Hex(Hash.Sha256("state"u8).ToArray()), ["filesRoot"] = Hex(new byte[32]), ["txCount"] = 0,
            ["difficulty"] = 1000, ["windowStartMs"] = 1700000001000UL,
        },
    ];

    /// <summary>A proof-of-stake header in the first slot from 20 on that the producer wins with 300 of 1,000 staked.</summary>
    private static JsonObject PosHeaderInput()
    {
        var key = new KeyPair(Seed(2));
        var randomness = Hash.Sha256("epoch randomness"u8).ToArray();
        var threshold = Chainlab.Core.Consensus.Pos.PosEngine.Threshold(300, 1000, 600_000);
        var slot = 20UL;
        while (!Chainlab.Core.Consensus.Pos.PosEngine.Wins(Vrf.ProofToHash(Vrf.Prove(key.Seed, Chainlab.Core.Consensus.Pos.PosEngine.Alpha(randomness, slot)))!, threshold)) slot++;
        return new JsonObject
        {
            ["name"] = "proof-of-stake header, seal = claimed stake | VRF proof | Ed25519 signature",
            ["engine"] = "pos",
            ["seed"] = Hex(Seed(2)), ["genesisTimeMs"] = 1700000000000UL, ["blockTimeMs"] = 2000, ["slot"] = slot,
            ["epochRandomness"] = Hex(randomness), ["snapshotStake"] = 300, ["totalStake"] = 1000, ["activeSlotsPpm"] = 600_000,
            ["height"] = 17, ["parent"] = Hex(Hash.Sha256("parent"u8).ToArray()),
            ["txRoot"] = Hex(Hash.Sha256("txs"u8).ToArray()), ["stateRoot"] = Hex(Hash.Sha256("state"u8).ToArray()), ["filesRoot"] = Hex(new byte[32]), ["txCount"] = 1,
        };
    }

    /// <summary>
    /// Chain specs, each written out in full as a node stores it (every field, defaults included), whose
    /// genesis blocks a client recomputes: canonical spec bytes, seal, genesis state (allocations and the
    /// engine's system account) and header.
    /// </summary>
    private static JsonArray GenesisInputs()
    {
        string Key(int i) => Hex(new KeyPair(Seed(i)).PublicKey);
        string Addr(int i) => new KeyPair(Seed(i)).Address.ToString();
        var poa = new ChainSpec
        {
            ChainId = "vector-poa", GenesisTimeMs = 1700000000000, BlockTimeMs = 2000, BlockReward = 1000,
            Consensus = new ConsensusSpec { Engine = "poa", Authorities = [Key(0), Key(1)], Admin = Key(0), TakeoverMs = 400 },
            Alloc = new() { [Addr(0)] = 1_000_000, [Addr(3)] = 18446744073709551615UL - 1_000_000 },
        };
        var pos = new ChainSpec
        {
            ChainId = "vector-pos", GenesisTimeMs = 1700000000000, BlockTimeMs = 1000, MinFee = 10,
            Consensus = new ConsensusSpec
            {
                Engine = "pos", EpochSlots = 8,
                // One key in upper case (the canonical bytes hold it in lower case) and one with no stake (kept in the spec, left out of the state).
                Validators = [new(Key(1), 300), new(Key(2).ToUpperInvariant(), 500), new(Key(0), 200), new(Key(3), 0)],
            },
            Alloc = new() { [Addr(2)] = 5_000, [Addr(4)] = 77 },
        };
        var pow = new ChainSpec
        {
            ChainId = "vector-pow", GenesisTimeMs = 1700000000000, BlockTimeMs = 10000, BlockReward = 50, FeePolicy = FeePolicy.Burn, InclusionDelay = 2,
            Consensus = new ConsensusSpec { Engine = "pow", InitialDifficulty = 123_456, RetargetInterval = 20 },
            Contracts = new ContractSpec { Enabled = false },
            Alloc = new() { [Addr(1)] = 42 },
        };
        return
        [
            new JsonObject { ["name"] = "proof-of-authority genesis: alloc and the authority record", ["spec"] = JsonNode.Parse(poa.ToJson()) },
            new JsonObject { ["name"] = "proof-of-stake genesis: alloc, validator stakes and the validator record", ["spec"] = JsonNode.Parse(pos.ToJson()) },
            new JsonObject { ["name"] = "proof-of-work genesis: alloc only, burnt fees, contracts off", ["spec"] = JsonNode.Parse(pow.ToJson()) },
        ];
    }

    private static JsonArray StateInputs()
    {
        var accounts = new JsonArray([.. Enumerable.Range(0, 3).Select(i => (JsonNode)new JsonObject
        {
            ["address"] = new KeyPair(Seed(i)).Address.ToString(), ["balance"] = 1000UL * (ulong)(i + 1), ["nonce"] = (ulong)i, ["stake"] = i == 2 ? 77UL : 0UL, ["data"] = "",
        })]);
        accounts.Add(new JsonObject { ["address"] = Chainlab.Core.State.SystemAccounts.Authorities.ToString(), ["balance"] = 0, ["nonce"] = 0, ["stake"] = 0, ["data"] = "0102030405" });
        // Absent keys chosen so that one path ends at another account's leaf and one at an empty subtree.
        var (endsAtLeaf, endsEmpty) = AbsentAddresses(accounts);
        return
        [
            new JsonObject
            {
                ["accounts"] = accounts,
                ["prove"] = new JsonArray(accounts[0]!["address"]!.GetValue<string>(), accounts[3]!["address"]!.GetValue<string>(), endsAtLeaf, endsEmpty),
            },
        ];
    }

    private static (string EndsAtLeaf, string EndsEmpty) AbsentAddresses(JsonArray accounts)
    {
        var world = World(accounts);
        string? leaf = null, empty = null;
        for (var i = 100; leaf is null || empty is null; i++)
        {
            var a = new KeyPair(Seed(i)).Address;
            var p = world.Prove(a);
            if (p.LeafKey is null) empty ??= a.ToString(); else leaf ??= a.ToString();
        }
        return (leaf, empty);
    }

    private static WorldState World(JsonArray accounts)
    {
        var w = new WorldState();
        foreach (var a in accounts)
        {
            var data = Bytes(a!["data"]);
            w.Put(Address.Parse((string)a["address"]!), new Account(U64(a["balance"]), U64(a["nonce"]), U64(a["stake"]), data.Length > 0 ? data : null));
        }
        return w;
    }

    private static JsonArray FrameInputs()
    {
        var genesis = Hex(Hash.Sha256("genesis"u8).ToArray());
        return
        [
            new JsonObject { ["message"] = "Ping", ["nonce"] = 42 },
            new JsonObject { ["message"] = "AnnounceBlock", ["hash"] = genesis, ["height"] = 9 },
            new JsonObject { ["message"] = "GetBlocks", ["fromHeight"] = 100, ["count"] = 128 },
            new JsonObject { ["message"] = "Disconnect", ["reason"] = 4, ["detail"] = "banned" },
            new JsonObject
            {
                ["message"] = "Votes", ["votes"] = new JsonArray(Enumerable.Range(0, 2).Select(i => (JsonNode)Hex(Chainlab.Core.Finality.Vote.Create(Key(Hex(Seed(i))), "test-chain",
                    new Chainlab.Core.Finality.Checkpoint(0, Hash.Sha256("genesis"u8)), new Chainlab.Core.Finality.Checkpoint(8, Hash.Sha256("block 8"u8))).Raw)).ToArray()),
            },
            new JsonObject
            {
                ["message"] = "Hello", ["seed"] = Hex(Seed(0)), ["chainId"] = "test-chain", ["genesis"] = genesis,
                ["challenge"] = Hex(Hash.Sha256("challenge"u8).ToArray()), ["listenPort"] = 30301, ["bestHeight"] = 12,
                ["answerSeed"] = Hex(Seed(1)),
            },
        ];
    }

    private static JsonArray ContractInputs()
    {
        var deployer = new KeyPair(Seed(0)).Address.ToString();
        return
        [
            new JsonObject { ["name"] = "value: nil", ["value"] = null },
            new JsonObject { ["name"] = "value: booleans", ["value"] = new JsonArray(true, false) },
            new JsonObject { ["name"] = "value: integers (i64, two's complement)", ["value"] = new JsonArray(0, 1, -1, 1234567890123) },
            new JsonObject { ["name"] = "value: a string", ["value"] = "héllo" },
            new JsonObject { ["name"] = "value: a table with string keys, in byte order", ["value"] = new JsonObject { ["to"] = "x", ["amount"] = 250, ["Zeta"] = true, ["nested"] = new JsonObject { ["b"] = 2, ["a"] = 1 } } },
            new JsonObject { ["name"] = "deploy payload", ["kind"] = "deploy", ["gasLimit"] = 1000000, ["code"] = "function init(n) storage.set('n', n) end", ["args"] = new JsonArray(7) },
            new JsonObject { ["name"] = "invoke payload", ["kind"] = "invoke", ["gasLimit"] = 200000, ["function"] = "transfer", ["args"] = new JsonArray(deployer, 250) },
            new JsonObject { ["name"] = "contract address", ["deployer"] = deployer, ["nonce"] = 3 },
            new JsonObject { ["name"] = "storage slot address", ["deployer"] = deployer, ["nonce"] = 3, ["key"] = "bal:" + deployer },
        ];
    }

    // Runs of the contract VM (Chainlab.Contracts.ContractRunner: the code deployed by the sender of the zero public key
    // with 1,000,000,000 coins at height 1, the function called at height 2): gas and state root are consensus.
    private static JsonArray ContractRunInputs() =>
    [
        new JsonObject { ["name"] = "arithmetic and a loop", ["code"] = "function main(n) local s = 0 for i = 1, n do s = s + i * i % 7 end return s end", ["function"] = "main", ["args"] = new JsonArray(1000), ["gasLimit"] = 1000000 },
        new JsonObject { ["name"] = "string keys deleted while a table grows (split the native sandbox)", ["code"] = "function main() local t = {} for r = 1, 2000 do t['k' .. r] = r; t['k' .. (r - 5)] = nil end local n = 0 for k, v in pairs(t) do n = n + v end return n end", ["function"] = "main", ["args"] = new JsonArray(), ["gasLimit"] = 5000000 },
        new JsonObject { ["name"] = "storage, an event, a caught error", ["code"] = "function main(k) storage.set(k, { 1, 'two', true }) chain.emit('Set', k) local ok, e = pcall(error, 'no') return { ok = ok, e = e, back = storage.get(k) } end", ["function"] = "main", ["args"] = new JsonArray("key"), ["gasLimit"] = 1000000 },
        new JsonObject { ["name"] = "library work: gsub, format, sort, concat", ["code"] = "function main() local t = {} for w in ('pear fig apple kiwi'):gmatch('%a+') do t[#t + 1] = w:gsub('[aeiou]', '%0%0') end table.sort(t) return string.format('%s|%5.2f|%x', table.concat(t, ','), 1 / 3, 255) end", ["function"] = "main", ["args"] = new JsonArray(), ["gasLimit"] = 1000000 },
        new JsonObject { ["name"] = "out of gas (all gas used, nothing written)", ["code"] = "function main() storage.set('a', 1) while true do end end", ["function"] = "main", ["args"] = new JsonArray(), ["gasLimit"] = 100000 },
        new JsonObject { ["name"] = "a float refused at the boundary", ["code"] = "function main() return 1 / 4 end", ["function"] = "main", ["args"] = new JsonArray(), ["gasLimit"] = 100000 },
    ];

    /// <summary>The vector's inputs with every output computed by the node's code.</summary>
    public static JsonObject Compute(string file, JsonObject input)
    {
        var v = (JsonObject)input.DeepClone();
        switch (file)
        {
            case "keys":
            {
                var k = Key(v["seed"]);
                v["publicKey"] = Hex(k.PublicKey);
                v["addressBytes"] = Hex(k.Address.ToArray());
                v["address"] = k.Address.ToString();
                break;
            }
            case "transactions":
            {
                var k = Key(v["seed"]);
                var to = v["to"] is null ? Address.Zero : Address.Parse((string)v["to"]!);
                var tx = Transaction.Create(k, (string)v["chainId"]!, (TxKind)(int)I64(v["kind"]), U64(v["nonce"]), U64(v["fee"]), to,
                    U64(v["amount"]), Bytes(v["payload"]));
                var unsigned = tx.Raw.AsSpan(0, tx.Raw.Length - 64);
                v["senderKey"] = Hex(k.PublicKey);
                v["sender"] = tx.Sender.ToString();
                v["unsignedBytes"] = Hex(unsigned);
                v["signingBytes"] = Hex([.. "chainlab/tx/v1"u8, .. unsigned]);
                v["signature"] = Hex(tx.Signature);
                v["raw"] = Hex(tx.Raw);
                v["hash"] = tx.Hash.ToString();
                break;
            }
            case "headers":
            {
                var k = Key(v["seed"]);
                var engine = (string)v["engine"]!;
                var timestamp = engine == "pos" ? U64(v["genesisTimeMs"]) + U64(v["slot"]) * U64(v["blockTimeMs"]) : U64(v["timestampMs"]);
                var draft = new BlockHeader(U64(v["height"]), Hash.Parse((string)v["parent"]!), timestamp, k.PublicKey,
                    Hash.Parse((string)v["txRoot"]!), Hash.Parse((string)v["stateRoot"]!), Hash.Parse((string)v["filesRoot"]!), (uint)U64(v["txCount"]), []);
                if (engine == "pos") v["timestampMs"] = timestamp;
                v["producer"] = Hex(k.PublicKey);
                v["sealingBytes"] = Hex(draft.SealingMessage());
                BlockHeader h;
                switch (engine)
                {
                    case "poa":
                        h = draft with { Seal = Chainlab.Core.Consensus.SignedSeal.Sign(draft, k) };
                        if (Chainlab.Core.Consensus.SignedSeal.Verify(h, 0) is { } poaError) throw new InvalidOperationException(poaError);
                        break;
                    case "pos":
                    {
                        var alpha = Chainlab.Core.Consensus.Pos.PosEngine.Alpha(Bytes(v["epochRandomness"]), U64(v["slot"]));
                        var proof = Vrf.Prove(k.Seed, alpha);
                        var beta = Vrf.Verify(k.PublicKey, proof, alpha) ?? throw new InvalidOperationException("the VRF proof does not verify");
                        var threshold = Chainlab.Core.Consensus.Pos.PosEngine.Threshold(U64(v["snapshotStake"]), U64(v["totalStake"]), U64(v["activeSlotsPpm"]));
                        v["vrfInput"] = Hex(alpha);
                        v["vrfProof"] = Hex(proof);
                        v["vrfOutput"] = Hex(beta);
                        v["threshold"] = threshold;
                        v["wins"] = Chainlab.Core.Consensus.Pos.PosEngine.Wins(beta, threshold);
                        byte[] prefix = [.. new byte[8], .. proof];
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(prefix, U64(v["snapshotStake"]));
                        var withPrefix = draft with { Seal = prefix };
                        h = withPrefix with { Seal = Chainlab.Core.Consensus.SignedSeal.Sign(withPrefix, k) };
                        if (Chainlab.Core.Consensus.SignedSeal.Verify(h, Chainlab.Core.Consensus.Pos.PosEngine.PrefixSize) is { } posError) throw new InvalidOperationException(posError);
                        v["signedBytes"] = Hex(Chainlab.Core.Consensus.SignedSeal.Message(h, prefix));
                        break;
                    }
                    case "pow":
                    {
                        byte[] prefix = new byte[16];
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(prefix, U64(v["difficulty"]));
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(prefix.AsSpan(8), U64(v["windowStartMs"]));
                        var work = Chainlab.Core.Consensus.Pow.PowEngine.WorkHeader(draft with { Seal = prefix });
                        var target = Chainlab.Core.Consensus.Pow.PowEngine.Target(U64(v["difficulty"]));
                        ulong nonce = 0;
                        while (Chainlab.Core.Consensus.Pow.PowEngine.Work(work, nonce) >= target) nonce++;
                        byte[] worked = [.. work, .. new byte[8]];
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(worked.AsSpan(32), nonce);
                        v["workHeader"] = Hex(work);
                        v["target"] = target;
                        v["nonce"] = nonce;
                        v["work"] = Hex(Hash.Sha256(Hash.Sha256(worked).ToArray()).ToArray());
                        byte[] seal = [.. prefix, .. new byte[8]];
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(seal.AsSpan(16), nonce);
                        h = draft with { Seal = seal };
                        break;
                    }
                    default: throw new ArgumentException(engine);
                }
                v["seal"] = Hex(h.Seal);
                v["encoded"] = Hex(h.Encode());
                v["hash"] = h.Hash.ToString();
                break;
            }
            case "genesis":
            {
                var spec = ChainSpec.FromJson(v["spec"]!.ToJsonString());
                var canonical = spec.CanonicalBytes();
                var state = spec.GenesisState();
                var genesis = spec.GenesisBlock();
                v["canonicalSpec"] = Hex(canonical);
                v["seal"] = Hash.Sha256(canonical).ToString();
                // Every account of the genesis state, in key order (the order of the trie's leaves).
                v["accounts"] = new JsonArray([.. state.All.OrderBy(a => StateTree.KeyOf(a.Key).ToString(), StringComparer.Ordinal).Select(a => (JsonNode)new JsonObject
                {
                    ["address"] = a.Key.ToString(), ["key"] = StateTree.KeyOf(a.Key).ToString(), ["accountBytes"] = Hex(a.Value.Encode()),
                })]);
                v["stateRoot"] = genesis.Header.StateRoot.ToString();
                v["encoded"] = Hex(genesis.Header.Encode());
                v["hash"] = genesis.Hash.ToString();
                break;
            }
            case "merkle":
            {
                var items = v["items"]!.AsArray().Select(x => Hash.Parse((string)x!)).ToArray();
                v["leafHashes"] = new JsonArray([.. items.Select(i => (JsonNode)MerkleTree.LeafHash(i).ToString())]);
                v["root"] = MerkleTree.Root(items).ToString();
                var index = (int)I64(v["proveIndex"]);
                if (index >= 0)
                {
                    var p = MerkleTree.Prove(items, index);
                    v["proof"] = new JsonObject { ["index"] = p.Index, ["leafCount"] = p.LeafCount, ["path"] = new JsonArray([.. p.Path.Select(x => (JsonNode)x.ToString())]) };
                }
                break;
            }
            case "state":
            {
                var w = World(v["accounts"]!.AsArray());
                v["root"] = w.Root.ToString();
                var proofs = new JsonArray();
                foreach (var text in v["prove"]!.AsArray().Select(x => (string)x!))
                {
                    var a = Address.Parse(text);
                    var p = w.Prove(a);
                    var acc = w.Get(a);
                    proofs.Add(new JsonObject
                    {
                        ["address"] = text,
                        ["key"] = StateTree.KeyOf(a).ToString(),
                        ["present"] = w.Exists(a),
                        ["accountBytes"] = w.Exists(a) ? Hex(acc.Encode()) : null,
                        ["valueHash"] = w.Exists(a) ? acc.ValueHash().ToString() : null,
                        ["siblings"] = new JsonArray([.. p.Siblings.Select(s => (JsonNode)s.ToString())]),
                        ["leafKey"] = p.LeafKey?.ToString(),
                        ["leafValue"] = p.LeafValue?.ToString(),
                    });
                }
                v["proofs"] = proofs;
                break;
            }
            case "files":
            {
                var all = Inputs("files").Take(3).Select(x => (JsonObject)x!).Select(x => new Chainlab.Core.Files.FileRef(
                    FileCid(x), U64(x["size"]), (string)x["fileName"]!, (string)x["mediaType"]!)).ToList();
                if (v["refs"] is JsonArray picks)
                {
                    var refs = picks.Select(i => all[(int)I64(i)]).ToList();
                    v["payload"] = Hex(Chainlab.Core.Files.FileRef.EncodePayload(refs));
                    v["filesRoot"] = Block.ComputeFilesRoot(refs.Select(r => r.Encode()).ToList()).ToString();
                }
                else
                {
                    var f = new Chainlab.Core.Files.FileRef(FileCid(v), U64(v["size"]), (string)v["fileName"]!, (string)v["mediaType"]!);
                    v["cid"] = f.Cid.ToString();
                    v["cidBytes"] = Hex(f.Cid.Bytes);
                    v["ref"] = Hex(f.Encode());
                    v["leafItem"] = Hash.Sha256(f.Encode()).ToString();
                }
                break;
            }
            case "contracts":
            {
                if (v.ContainsKey("value")) v["encoded"] = Hex(Chainlab.Contracts.ContractValue.FromJson(v["value"]?.DeepClone()).Encode());
                else if ((string?)v["kind"] == "deploy")
                    v["payload"] = Hex(Chainlab.Contracts.ContractPayload.Deploy(U64(v["gasLimit"]), System.Text.Encoding.UTF8.GetBytes((string)v["code"]!),
                        v["args"]!.AsArray().Select(x => Chainlab.Contracts.ContractValue.FromJson(x?.DeepClone())).ToList()));
                else if ((string?)v["kind"] == "invoke")
                    v["payload"] = Hex(Chainlab.Contracts.ContractPayload.Invoke(U64(v["gasLimit"]), (string)v["function"]!,
                        v["args"]!.AsArray().Select(x => Chainlab.Contracts.ContractValue.FromJson(x?.DeepClone())).ToList()));
                else
                {
                    var contract = Chainlab.Contracts.ContractState.ContractAddress(Address.Parse((string)v["deployer"]!), U64(v["nonce"]));
                    v["contract"] = contract.ToString();
                    if (v["key"] is { } key) v["slot"] = Chainlab.Contracts.ContractState.SlotAddress(contract, System.Text.Encoding.UTF8.GetBytes((string)key!)).ToString();
                }
                break;
            }
            case "contract-runs":
            {
                var r = Chainlab.Contracts.ContractRunner.Run((string)v["name"]!, System.Text.Encoding.UTF8.GetBytes((string)v["code"]!), (string)v["function"]!,
                    v["args"]!.AsArray().Select(x => Chainlab.Contracts.ContractValue.FromJson(x?.DeepClone())).ToList(), U64(v["gasLimit"]));
                v["ok"] = r.Ok;
                v["error"] = r.Error;
                v["gasUsed"] = r.GasUsed;
                v["result"] = Hex(r.Result);
                v["eventsSha256"] = Hash.Sha256(r.Events).ToString();
                v["stateRoot"] = r.StateRoot.ToString();
                break;
            }
            case "frames":
            {
                Message m = (string)v["message"]! switch
                {
                    "Ping" => new Ping(U64(v["nonce"])),
                    "AnnounceBlock" => new AnnounceBlock(Hash.Parse((string)v["hash"]!), U64(v["height"])),
                    "GetBlocks" => new GetBlocks(U64(v["fromHeight"]), (uint)U64(v["count"])),
                    "Disconnect" => new Disconnect((DisconnectReason)(int)I64(v["reason"]), (string)v["detail"]!),
                    "Votes" => new Votes(v["votes"]!.AsArray().Select(x => Convert.FromHexString((string)x!)).ToList()),
                    "Hello" => new Hello(WireLimits.ProtocolVersion, (string)v["chainId"]!, Hash.Parse((string)v["genesis"]!), Key(v["seed"]).PublicKey,
                        Bytes(v["challenge"]), (ushort)(int)I64(v["listenPort"]), U64(v["bestHeight"])),
                    var other => throw new ArgumentException(other),
                };
                v["frame"] = Hex(MessageCodec.Encode(m));
                if (m is Hello hello)
                {
                    // The other side answers our challenge with its key (answerSeed): HelloAck's signature.
                    var answer = Handshake.Answer(Key(v["answerSeed"]), hello, hello.Genesis);
                    v["answerKey"] = Hex(Key(v["answerSeed"]).PublicKey);
                    v["helloAckFrame"] = Hex(MessageCodec.Encode(answer));
                }
                break;
            }
        }
        return v;
    }

    /// <summary>The CID `ipfs add` (or `ipfs add -r`) gives the vector's content or directory, made by the node's importer.</summary>
    private static Chainlab.Core.Files.Cid FileCid(JsonObject v)
    {
        var options = I64(v["cidVersion"]) == 1 ? Chainlab.Core.Files.ImportOptions.V1 : Chainlab.Core.Files.ImportOptions.V0;
        var sink = new DiscardBlocks();
        Chainlab.Core.Files.ImportedNode Add(JsonNode? content) =>
            Chainlab.Core.Files.UnixFsImporter.AddFileAsync(new MemoryStream(Bytes(content)), sink, options).GetAwaiter().GetResult();
        if (v["directory"] is JsonArray entries)
            return Chainlab.Core.Files.UnixFsImporter.AddDirectoryAsync([.. entries.Select(e => ((string)e!["name"]!, Add(e["content"])))], sink, options)
                .GetAwaiter().GetResult().Cid;
        return Add(v["content"]).Cid;
    }

    private sealed class DiscardBlocks : Chainlab.Core.Files.IBlockSink
    {
        public ValueTask PutAsync(Chainlab.Core.Files.Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct) => ValueTask.CompletedTask;
    }

    /// <summary>The whole file as it should read.</summary>
    public static JsonObject Document(string file) => new()
    {
        ["description"] = $"Chainlab protocol test vectors: {file}. Inputs and the outputs to compute from them; see docs/protocol.md.",
        ["vectors"] = new JsonArray([.. Inputs(file).Select(i => (JsonNode)Compute(file, (JsonObject)i!))]),
    };
}
