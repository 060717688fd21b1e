using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Adversary;

/// <summary>
/// double-spend (proof of work or stake, a producing node): pays a merchant in public, and at the same time
/// builds a hidden branch in which the same coins (the same nonce) go back to itself. Once the payment has
/// two confirmations on the public chain and the hidden branch is longer, it releases the branch: if honest
/// nodes switch to it, the payment is gone. When the public chain gets ahead instead, its own node follows it
/// and the attempt is over; it tries again a little later. Each attempt is logged.
/// </summary>
public sealed class HiddenBranchDoubleSpend : IMisbehaviour
{
    public string Name => "double-spend";
    public string What => "pays in public while mining a hidden branch that spends the same coins again, released once the payment is confirmed";

    /// <summary>Public confirmations of the payment before the hidden branch is released.</summary>
    public const int Confirmations = 2;

    private ulong _published = ulong.MaxValue;

    public async Task RunAsync(MisbehaviourContext c, CancellationToken ct)
    {
        c.Network.Serving.Withhold(h => h > Volatile.Read(ref _published));
        var merchant = KeyPair.FromRandom(new Random(1)).Address;
        var stash = KeyPair.FromRandom(c.Random).Address;
        var spec = c.Chain.Spec;
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
            c.Network.Broadcast(new Txs([pay.Raw]));
            await Task.Delay(TimeSpan.FromMilliseconds(500), c.Time, ct);
            c.Pool.Admit([back.Raw]);
            c.Log.LogWarning("Misbehaving (double-spend): attempt {Attempt}: paid {Amount} to {Merchant} in public ({Pay}), spending it again in private ({Back}) from height {From}",
                attempt, amount, merchant, pay.Hash.Short, back.Hash.Short, from);
            var outcome = "given up: the public chain stayed ahead for a minute";
            for (var waited = 0; waited < 6000 && !ct.IsCancellationRequested; waited++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), c.Time, ct);
                var head = c.Chain.Head;
                var ours = head.Producer.AsSpan().SequenceEqual(c.Key.PublicKey) && head.Height > from;
                var publicHeight = c.Network.HighestAnnounced;
                if (!ours && head.Height > from && publicHeight > from + Confirmations) { outcome = "failed: our node followed the longer public chain"; break; }
                if (ours && publicHeight >= from + Confirmations && head.Height > publicHeight)
                {
                    outcome = $"released a hidden branch of {head.Height - from} blocks over a public one of {publicHeight - from}";
                    break;
                }
            }
            Volatile.Write(ref _published, ulong.MaxValue);
            var tip = c.Chain.Head;
            c.Network.Broadcast(new AnnounceBlock(tip.Hash, tip.Height));
            c.Log.LogWarning("Misbehaving (double-spend): attempt {Attempt} {Outcome}", attempt, outcome);
            await Task.Delay(TimeSpan.FromSeconds(10), c.Time, ct);
        }
    }
}
