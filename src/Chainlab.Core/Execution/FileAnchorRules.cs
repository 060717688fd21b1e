using Chainlab.Core.Rules;
using Chainlab.Core.Encoding;
using Chainlab.Core.Files;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Execution;

/// <summary>
/// File anchor transactions (kind 8): 1..16 file references (CID, size, name, media type) in the payload,
/// no recipient, no amount. The fee is the chain's minimum fee per reference, whatever the files' sizes:
/// the chain stores references, not bytes. What a reference says is a claim (docs/decisions/0008): the chain
/// cannot know that anyone holds the file or that its size is true, so it checks only the form, and a size of
/// at most 2^53 - 1 (the largest every JSON reader keeps exact; no node stores more). Applying one changes nothing but fee and nonce; the block that
/// holds it lists its references, and the header's files root commits to them.
/// </summary>
public sealed class FileAnchorRules : ITransactionRules
{
    public TxKind Kind => TxKind.FileAnchor;
    public bool CheckedAtAdmission => false;
    public ulong Moved(Transaction tx) => 0;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        if (!tx.To.IsZero || tx.Amount != 0) return new(TxError.Malformed, "a file anchor has no recipient and no amount");
        IReadOnlyList<FileRef> refs;
        try { refs = FileRef.DecodePayload(tx.Payload); }
        catch (DecodeException e) { return new(TxError.Malformed, e.Message); }
        if (refs.Select(r => r.Cid).Distinct().Count() != refs.Count) return new(TxError.Malformed, "a file anchor names the same CID twice");
        if (refs.FirstOrDefault(r => r.Size > FileRef.MaxAnchoredSize) is { } huge)
            return new(TxError.Malformed, $"a file anchor says {huge.Cid} holds {huge.Size} bytes; an anchored file holds at most {FileRef.MaxAnchoredSize} (2^53 - 1)");
        var due = spec.MinFee * (ulong)refs.Count;
        if (tx.Fee < due) return new(TxError.FeeTooLow, $"fee {tx.Fee} is below {due}: a file anchor pays the minimum fee ({spec.MinFee}) for each of its {refs.Count} files");
        return TxRejection.Ok;
    }

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        state.Set(tx.Sender, after);
        return TxRejection.Ok;
    }

    /// <summary>The file references a block with these transactions lists, in order: every ref of every file anchor.</summary>
    public static IReadOnlyList<byte[]> BlockRefs(IReadOnlyList<Transaction> txs)
    {
        var list = new List<byte[]>();
        foreach (var t in txs)
            if (t.Kind == TxKind.FileAnchor)
                foreach (var f in FileRef.DecodePayload(t.Payload)) list.Add(f.Encode());
        return list;
    }
}
