using Chainlab.Core.State;

namespace Chainlab.Node.Api;

/// <summary>RFC 9457 problem responses with a stable type per cause (listed in docs/api.md).</summary>
public static class Problems
{
    /// <summary>A piece of the client's input quoted in a problem's detail, cut at 80 characters.</summary>
    internal static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;

    public const string TypePrefix = "urn:chainlab:problem:";

    public static IResult Of(string slug, int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + slug);

    public static IResult NotFound(string detail) => Of("not-found", 404, "Not found", detail);
    public static IResult Malformed(string detail) => Of("malformed", 400, "Malformed request", detail);

    public static int StatusFor(TxError e) => e switch
    {
        TxError.TooLarge => 413,
        TxError.MempoolFull => 503,
        TxError.SenderLimit => 429,
        TxError.Duplicate => 409,
        TxError.Unauthorised => 403,
        TxError.Malformed or TxError.InvalidEvidence or TxError.WrongChain or TxError.BadSignature or TxError.UnsupportedKind or TxError.ZeroAmount => 400,
        _ => 422,
    };

    public static string TitleFor(TxError e) => e switch
    {
        TxError.Malformed => "Malformed transaction",
        TxError.TooLarge => "Transaction too large",
        TxError.WrongChain => "Wrong chain",
        TxError.BadSignature => "Bad signature",
        TxError.UnsupportedKind => "Unsupported transaction kind",
        TxError.ZeroAmount => "Zero amount",
        TxError.FeeTooLow => "Fee too low",
        TxError.NonceTooLow => "Nonce too low",
        TxError.NonceGap => "Nonce gap",
        TxError.InsufficientBalance => "Insufficient balance",
        TxError.InsufficientStake => "Insufficient stake",
        TxError.Overflow => "Amount overflow",
        TxError.Duplicate => "Duplicate transaction",
        TxError.SenderLimit => "Too many pending transactions for this sender",
        TxError.MempoolFull => "Mempool full",
        TxError.Unauthorised => "Not authorised",
        TxError.Conflict => "Conflicting change",
        TxError.InvalidEvidence => "Invalid evidence",
        TxError.InvalidVote => "Vote does not count",
        _ => "Rejected",
    };

    public static IResult Rejected(TxRejection r) => Of(r.Error.Slug(), StatusFor(r.Error), TitleFor(r.Error), r.Detail);
}
