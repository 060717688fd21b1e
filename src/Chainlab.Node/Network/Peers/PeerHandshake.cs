using Chainlab.Core.Crypto;
using Chainlab.Node.Chain;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Node.Network.Peers;

/// <summary>
/// Our side of the handshake on a new link (rules in <see cref="Handshake"/>): Hello both ways, the checks of
/// version, chain and genesis, bans, and the signed answers that prove both node keys. Bounded by the
/// handshake time-out on the injected clock.
/// </summary>
internal sealed class PeerHandshake(KeyPair key, IChainReader chain, PeerOptions options, TimeProvider time, ILogger log)
{
    /// <summary>True when the link is through the handshake; false when either side turned it down.</summary>
    public async Task<bool> RunAsync(Peer peer, ushort listenPort, BanList banned, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(options.HandshakeTimeout, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var spec = chain.Spec;
        var ours = Handshake.CreateHello(key, spec.ChainId, chain.GenesisHash, listenPort, chain.Head.Height);
        try
        {
            await peer.SendAsync(ours, timeout.Token);
            if (await peer.ReadAsync(timeout.Token) is not Hello theirs) throw new ProtocolViolation("expected Hello first");
            if (Handshake.CheckHello(theirs, spec.ChainId, chain.GenesisHash, key.PublicKey) is { } refusal)
            {
                log.LogWarning("Peer {Address} refused: {Detail}", peer.Address, refusal.Detail);
                await peer.SendAsync(new Disconnect(refusal.Reason, refusal.Detail), timeout.Token);
                return false;
            }
            var id = Convert.ToHexStringLower(theirs.NodeKey);
            if (banned.IsBanned(id))
            {
                await peer.SendAsync(new Disconnect(DisconnectReason.Banned, "banned"), timeout.Token);
                return false;
            }
            await peer.SendAsync(Handshake.Answer(key, theirs, chain.GenesisHash), timeout.Token);
            var reply = await peer.ReadAsync(timeout.Token);
            if (reply is Disconnect refused)
            {
                // The other side turned us down (it banned us, or it is full): not a violation on its part.
                log.LogInformation("Peer {Address} refused the link: {Reason} {Detail}", peer.Address, refused.Reason, refused.Detail);
                return false;
            }
            if (reply is not HelloAck ack || !Handshake.VerifyAnswer(ours, theirs, ack, chain.GenesisHash))
                throw new ProtocolViolation("handshake signature does not prove the node key");
            peer.NodeKey = theirs.NodeKey;
            peer.ListenPort = theirs.ListenPort;
            peer.BestHeight = chain.CapClaim(theirs.BestHeight);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProtocolViolation("handshake timed out");
        }
    }
}
