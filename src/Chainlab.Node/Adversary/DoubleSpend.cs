using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// double-spend (proof of work or stake, a producing node): pays a merchant in public, and at the same time
/// builds a hidden branch in which the same coins (the same nonce) go back to itself. While it does, its node
/// takes no blocks and no transactions from its peers (it keeps mining on its own branch however far the public
/// one gets ahead, as an attacker with most of the hash power would, and never mines its own public payment).
/// Once the public chain is three blocks past where the attempt began (the payment, in one of the first two,
/// has two confirmations) and the hidden branch is longer, it releases the branch: honest nodes switch to it and
/// the payment is gone.
/// When the public chain is <see cref="GiveUpAfter"/> blocks past the start without the hidden branch getting
/// ahead (or after three minutes), it gives up, follows the public chain again and tries later; counted in blocks,
/// not seconds, so a busy machine that slows every miner does not make it give up sooner. With more than half the
/// hash power it gets ahead in the end almost always. Each attempt is logged.
/// </summary>
public sealed class HiddenBranchDoubleSpend : IMisbehaviour
{
    public string Name => "double-spend";
    public string What => "pays in public while mining a hidden branch that spends the same coins again, released once the payment is confirmed";

    /// <summary>Public blocks past the attempt's start before the hidden branch is released: the payment goes
    /// into the first or (when the first was already being mined) the second, and has two confirmations by the third.</summary>
    public const int PublicBlocks = 3;

    /// <summary>Public blocks past the attempt's start after which a hidden branch still behind is given up.</summary>
    public const int GiveUpAfter = 12;

    private ulong _published = ulong.MaxValue;

    /// <summary>Whom it pays in public: an address without a known key, the same on every run (lessons look at its balance as "merchant").</summary>
    public static Address Merchant { get; } = KeyPair.FromRandom(new Random(1)).Address;

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        c.Network.Serving.Withhold(h => h > Volatile.Read(ref _published));
        var merchant = Merchant;
        var stash = KeyPair.FromRandom(c.Random).Address;
        var spec = c.Chain.Spec;
        try
        {
            for (var attempt = 1; !ct.IsCancellationRequested; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), c.Time, ct);
                var me = c.Chain.Committed.State.Get(c.Key.Address);
                if (me.Balance < 4 * spec.MinFee + 2 || c.Pool.NextNonce(c.Key.Address) != me.Nonce) continue;
                var amount = me.Balance / 2;
                var pay = Transaction.Create(c.Key, spec.ChainId, TxKind.Transfer, me.Nonce, spec.MinFee, merchant, amount);
                var back = Transaction.Create(c.Key, spec.ChainId, TxKind.Transfer, me.Nonce, spec.MinFee, stash, amount);
                // Hide from here on: the payment goes to the peers only, the spend back to ourselves into our own blocks.
                var from = c.Chain.Head.Height;
                Volatile.Write(ref _published, from);
                c.Network.Deaf = true;
                c.Network.Broadcast(new Txs([pay.Raw]));
                await Task.Delay(TimeSpan.FromMilliseconds(500), c.Time, ct);
                c.Pool.Admit([back.Raw]);
                c.Log.LogWarning("Misbehaving (double-spend): attempt {Attempt}: paid {Amount} to {Merchant} in public ({Pay}), spending it again in private ({Back}) from height {From}",
                    attempt, amount, merchant, pay.Hash.Short, back.Hash.Short, from);
                var outcome = $"given up: the public chain went {GiveUpAfter} blocks on and stayed ahead; following it again";
                var started = c.Time.GetTimestamp();
                while (!ct.IsCancellationRequested && c.Time.GetElapsedTime(started) < TimeSpan.FromMinutes(3))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(10), c.Time, ct);
                    var head = c.Chain.Head;
                    var ours = head.Producer.AsSpan().SequenceEqual(c.Key.PublicKey) && head.Height > from;
                    var publicHeight = c.Network.HighestAnnounced;
                    if (!ours && head.Height > from && publicHeight > from + PublicBlocks) { outcome = "failed: our node followed the longer public chain"; break; }
                    if (publicHeight >= from + GiveUpAfter && (!ours || head.Height <= publicHeight)) break;
                    if (ours && publicHeight >= from + PublicBlocks && head.Height > publicHeight)
                    {
                        outcome = $"released a hidden branch of {head.Height - from} blocks over a public one of {publicHeight - from}";
                        break;
                    }
                }
                Volatile.Write(ref _published, ulong.MaxValue);
                c.Network.Deaf = false;
                var tip = c.Chain.Head;
                c.Network.Broadcast(new AnnounceBlock(tip.Hash, tip.Height));
                c.Log.LogWarning("Misbehaving (double-spend): attempt {Attempt} {Outcome}", attempt, outcome);
                await Task.Delay(TimeSpan.FromSeconds(10), c.Time, ct);
            }
        }
        finally
        {
            // Stopped in the middle of an attempt: the node follows its peers again.
            c.Network.Deaf = false;
        }
    }
}
