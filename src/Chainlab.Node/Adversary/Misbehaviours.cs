using Chainlab.Node.Network;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Chain;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>What a misbehaviour may use: the node's chain, its links, a key to sign with, its clock and randomness.</summary>
/// <param name="ProducerClock">The clock this node's block producer stamps blocks with, when a misbehaviour needs to move it (time-warp).</param>
public sealed record MisbehaviourContext(IChainReader Chain, PeerNetwork Network, KeyPair Key, TimeProvider Time, Random Random, ILogger Log,
    Mempool.ITransactionAdmission Pool, Faults.SkewedClock? ProducerClock = null);

/// <summary>
/// One way a node breaks the rules on purpose, for the adversary lab (docs/ATTACKS.md). Each lives in the normal
/// binary and does nothing unless a node is started with its name (--misbehave NAME).
/// </summary>
public interface IMisbehaviour
{
    string Name { get; }
    /// <summary>One line on what it does, for the log, the status route and --help.</summary>
    string What { get; }
    /// <summary>The consensus engines it makes sense on (null: any); a node started with it on another refuses to start.</summary>
    IReadOnlyList<string>? Engines => null;
    Task RunAsync(MisbehaviourContext context, CancellationToken ct);
}

/// <summary>The misbehaviours a node can be started with, by name.</summary>
public static class Misbehaviours
{
    private static readonly Dictionary<string, Func<IMisbehaviour>> Known = new()
    {
        ["invalid-tx"] = () => new InvalidTransactions(),
        ["flood-tx"] = () => new TransactionFlood(),
        ["double-sign"] = () => new DoubleSign(),
        ["invalid-blocks"] = () => new InvalidBlocks(),
        ["selfish-mine"] = () => new SelfishMining(),
        ["eclipse"] = () => new Eclipse(),
        ["forged-seals"] = () => new ForgedSeals(),
        ["double-spend"] = () => new HiddenBranchDoubleSpend(),
        ["forge-vrf"] = () => new ForgedClaims(),
        ["time-warp"] = () => new TimeWarp(),
        ["double-vote"] = () => new VoteLie(surround: false),
        ["surround-vote"] = () => new VoteLie(surround: true),
    };

    public static IReadOnlyCollection<string> Names => Known.Keys;

    /// <summary>The named misbehaviours; an unknown name is an ArgumentException that lists the known ones.</summary>
    public static IReadOnlyList<IMisbehaviour> Parse(IEnumerable<string> names) =>
        names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct().Select(n => Known.TryGetValue(n, out var make)
            ? make() : throw new ArgumentException($"unknown misbehaviour '{n}' (known: {string.Join(", ", Known.Keys)})")).ToList();
}

/// <summary>
/// invalid-tx: relays transactions no honest node relays, one kind after another every second: an amount over
/// the balance, an amount of zero, a bad signature, another chain id, and a replay of an included transaction.
/// Honest peers refuse them all and ban the node for the ones that fail a stateless rule.
/// </summary>
public sealed class InvalidTransactions : IMisbehaviour
{
    public string Name => "invalid-tx";
    public string What => "relays transactions no honest node relays: overspends, zero amounts, bad signatures, other chain ids, replays";

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var spec = c.Chain.Spec;
        var step = 0;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), c.Time, ct);
            var me = c.Chain.Committed.State.Get(c.Key.Address);
            var to = Address.FromPublicKey(c.Key.PublicKey);
            Transaction? tx = (step++ % 5) switch
            {
                0 => Transaction.Create(c.Key, spec.ChainId, TxKind.Transfer, me.Nonce, spec.MinFee, to, me.Balance + 1_000_000),
                1 => Transaction.Create(c.Key, spec.ChainId, TxKind.Transfer, me.Nonce, spec.MinFee, to, 0),
                2 => BadSignature(Transaction.Create(c.Key, spec.ChainId, TxKind.Transfer, me.Nonce, spec.MinFee, to, 1)),
                3 => Transaction.Create(c.Key, spec.ChainId + "-other", TxKind.Transfer, me.Nonce, spec.MinFee, to, 1),
                _ => Replay(c.Chain),
            };
            if (tx is null) continue;
            c.Log.LogWarning("Misbehaving ({Name}): relaying transaction {Hash} to {Peers} peers", Name, tx.Hash.Short, c.Network.Peers.Count);
            c.Network.Broadcast(new Txs([tx.Raw]));
        }
    }

    private static Transaction BadSignature(Transaction t)
    {
        var raw = t.Raw.ToArray();
        raw[^1] ^= 0x01;
        return Transaction.Decode(raw);
    }

    /// <summary>A transaction already in a recent block, sent again.</summary>
    private static Transaction? Replay(IChainReader chain)
    {
        for (var h = chain.Head.Height; h > 0 && h + 50 > chain.Head.Height; h--)
            if (chain.Blocks.BlockByHeight(h) is { Transactions.Count: > 0 } b) return b.Transactions[0];
        return null;
    }
}

/// <summary>
/// flood-tx: announces thousands of made-up transaction hashes per message, far past any peer's message budget.
/// Honest peers take a score point for each message over the budget and ban the node at the limit.
/// </summary>
public sealed class TransactionFlood : IMisbehaviour
{
    public string Name => "flood-tx";
    public string What => "floods peers with announcements of made-up transactions, past their message budget";

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        var hash = new byte[32];
        while (!ct.IsCancellationRequested)
        {
            // Twenty announcements at a time to every peer, waiting for each send: several thousand a second,
            // where the budget is a thousand.
            for (var burst = 0; burst < 20; burst++)
            {
                var hashes = new List<Hash>(64);
                for (var i = 0; i < 64; i++)
                {
                    lock (c.Random) c.Random.NextBytes(hash);
                    hashes.Add(new Hash(hash));
                }
                var message = new AnnounceTxs(hashes);
                await Task.WhenAll(c.Network.Peers.Select(p => c.Network.Send(p, message)));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(2), c.Time, ct);
        }
    }
}
