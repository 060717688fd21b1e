using Chainlab.Client.Models;
using Chainlab.Contracts;
using Chainlab.Core.Consensus.Poa;
using Chainlab.Core.Consensus.Pos;
using Chainlab.Core.Crypto;
using Chainlab.Core.Files;
using Chainlab.Core.Model;

namespace Chainlab.Client;

/// <summary>A transaction in a block, the header it is in, and whether its Merkle proof led to that header's root.</summary>
public sealed record Inclusion(TxStatusDto Transaction, HeaderDto Header, bool ProofVerified);

/// <summary>Transactions signed here with the sender's key, then submitted; the node never sees a key.</summary>
public sealed partial class ChainlabClient
{
    /// <summary>
    /// Signs a transaction of any kind for this node's chain: the nonce is the sender's next (counting its pending
    /// transactions) and the fee what the rules ask of the kind (<see cref="DefaultFee"/>), unless given.
    /// </summary>
    public async Task<Transaction> SignAsync(KeyPair key, TxKind kind, Address to, ulong amount, byte[]? payload = null,
        ulong? fee = null, ulong? nonce = null, CancellationToken ct = default)
    {
        var status = await GetStatusAsync(ct);
        var n = nonce ?? (await GetAccountAsync(key.Address, ct: ct)).NextNonce;
        return Transaction.Create(key, status.ChainId, kind, n, fee ?? DefaultFee(kind, payload ?? [], status), to, amount, payload ?? []);
    }

    /// <summary>
    /// The fee a kind needs on this chain: evidence none; a contract deploy or invoke its gas limit (the payload's
    /// first 8 bytes) times the gas price, exactly; a file anchor the minimum per ref; anything else the minimum.
    /// </summary>
    public static ulong DefaultFee(TxKind kind, ReadOnlySpan<byte> payload, StatusDto status) => kind switch
    {
        TxKind.Evidence or TxKind.Vote or TxKind.VoteEvidence => 0,
        TxKind.Deploy or TxKind.Invoke when payload.Length >= 8 =>
            checked(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(payload) * status.Contracts.GasPrice),
        TxKind.FileAnchor => checked(status.MinFee * (ulong)Math.Max(1, FileRef.DecodePayload(payload).Count)),
        _ => status.MinFee,
    };

    /// <summary>Signs and submits; answers the signed transaction (its Hash is what to wait for).</summary>
    public async Task<Transaction> SendAsync(KeyPair key, TxKind kind, Address to, ulong amount, byte[]? payload = null,
        ulong? fee = null, ulong? nonce = null, CancellationToken ct = default)
    {
        var tx = await SignAsync(key, kind, to, amount, payload, fee, nonce, ct);
        await SubmitAsync(tx, ct);
        return tx;
    }

    public Task<Transaction> TransferAsync(KeyPair key, Address to, ulong amount, ulong? fee = null, CancellationToken ct = default) =>
        SendAsync(key, TxKind.Transfer, to, amount, null, fee, null, ct);

    /// <summary>Moves balance into stake (proof of stake: bonds for the lottery from the next epoch).</summary>
    public Task<Transaction> StakeAsync(KeyPair key, ulong amount, ulong? fee = null, CancellationToken ct = default) =>
        SendAsync(key, TxKind.Stake, Address.Zero, amount, null, fee, null, ct);

    /// <summary>Moves stake back to balance (paid after the chain's unbonding blocks in proof of stake).</summary>
    public Task<Transaction> UnstakeAsync(KeyPair key, ulong amount, ulong? fee = null, CancellationToken ct = default) =>
        SendAsync(key, TxKind.Unstake, Address.Zero, amount, null, fee, null, ct);

    /// <summary>Adds or removes a proof-of-authority authority; only the chain's admin key may.</summary>
    public Task<Transaction> ChangeAuthorityAsync(KeyPair admin, bool add, ReadOnlyMemory<byte> authorityKey, ulong? fee = null, CancellationToken ct = default) =>
        SendAsync(admin, TxKind.AuthorityChange, Address.Zero, 0, PoaEngine.ChangePayload(add, authorityKey.Span), fee, null, ct);

    /// <summary>Reports two headers one producer signed for one height (proof of stake slashes it); evidence pays no fee.</summary>
    public Task<Transaction> SubmitEvidenceAsync(KeyPair reporter, BlockHeader a, BlockHeader b, CancellationToken ct = default) =>
        SendAsync(reporter, TxKind.Evidence, Address.Zero, 0, PosEngine.EvidencePayload(a, b), 0, null, ct);

    /// <summary>Deploys a Lua contract; the fee is the gas limit times the chain's gas price, as the rules require.</summary>
    public async Task<Transaction> DeployAsync(KeyPair key, byte[] code, IReadOnlyList<ContractValue> args, ulong gasLimit, ulong value = 0, CancellationToken ct = default) =>
        await SendAsync(key, TxKind.Deploy, Address.Zero, value, ContractPayload.Deploy(gasLimit, code, args), await ContractFee(gasLimit, ct), null, ct);

    /// <summary>Calls a contract function in a transaction (value goes to the contract if the call succeeds).</summary>
    public async Task<Transaction> InvokeAsync(KeyPair key, Address contract, string function, IReadOnlyList<ContractValue> args, ulong gasLimit,
        ulong value = 0, CancellationToken ct = default) =>
        await SendAsync(key, TxKind.Invoke, contract, value, ContractPayload.Invoke(gasLimit, function, args), await ContractFee(gasLimit, ct), null, ct);

    /// <summary>Anchors file refs on chain (a claim that these CIDs have these sizes and names); the fee is the minimum per ref unless given.</summary>
    public async Task<Transaction> AnchorFilesAsync(KeyPair key, IReadOnlyList<FileRef> refs, ulong? fee = null, CancellationToken ct = default) =>
        await SendAsync(key, TxKind.FileAnchor, Address.Zero, 0, FileRef.EncodePayload(refs), fee ?? (await GetStatusAsync(ct)).MinFee * (ulong)refs.Count, null, ct);

    private async Task<ulong> ContractFee(ulong gasLimit, CancellationToken ct)
    {
        var price = (await GetStatusAsync(ct)).Contracts.GasPrice;
        return gasLimit != 0 && price > ulong.MaxValue / gasLimit
            ? throw new ArgumentOutOfRangeException(nameof(gasLimit), "the gas limit times the gas price overflows")
            : gasLimit * price;
    }

    /// <summary>
    /// Waits until the transaction is in a block (polling), then checks its Merkle proof against that block's header.
    /// A rejected transaction throws with the node's reason; still pending after the timeout throws TimeoutException.
    /// </summary>
    public async Task<Inclusion> WaitForInclusionAsync(Hash tx, TimeSpan timeout, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var st = await GetTransactionAsync(tx, ct);
            if (st.Hash != tx.ToString()) throw new InvalidDataException($"asked for transaction {tx}, the node answered {st.Hash}");
            if (st.Status == "included")
            {
                var header = (await GetBlockAsync(st.BlockHeight!.Value, ct)).Header;
                return new Inclusion(st, header, ProofChecks.Transaction(st, header));
            }
            if (st.Status == "rejected")
                throw new ChainlabApiException(System.Net.HttpStatusCode.UnprocessableEntity, "rejected", "Transaction rejected", $"transaction {tx} was rejected: {st.Reason}", null);
            if (DateTime.UtcNow > until) throw new TimeoutException($"transaction {tx} is still {st.Status} after {timeout.TotalSeconds:0.#} s");
            await Task.Delay(250, ct);
        }
    }

    /// <summary>
    /// An account with its state proof checked against the header of the block the proof is for; throws when the
    /// proof does not verify (the node lied or the data changed under it).
    /// </summary>
    public async Task<(AccountDto Account, HeaderDto Header)> GetVerifiedAccountAsync(Address address, CancellationToken ct = default)
    {
        var account = await GetAccountAsync(address, proof: true, ct);
        if (account.Address != address.ToString()) throw new InvalidDataException($"asked for {address}, the node answered {account.Address}");
        if (account.Proof is null) throw new InvalidDataException($"the node sent no state proof for {address}");
        var header = (await GetBlockAsync(account.Proof!.Height, ct)).Header;
        return ProofChecks.Account(account, header)
            ? (account, header)
            : throw new InvalidDataException($"the state proof of {address} does not verify against block {header.Height}'s state root");
    }
}
