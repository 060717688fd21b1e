namespace Chainlab.Core.State;

/// <summary>Why a transaction is refused. Each has a stable slug used as the API problem type.</summary>
public enum TxError
{
    None,
    Malformed,
    TooLarge,
    WrongChain,
    BadSignature,
    UnsupportedKind,
    ZeroAmount,
    FeeTooLow,
    NonceTooLow,
    NonceGap,
    InsufficientBalance,
    InsufficientStake,
    Overflow,
    Duplicate,
    SenderLimit,
    MempoolFull,
    Unauthorised,
    Conflict,
    InvalidEvidence,
    InvalidVote,
}

public static class TxErrors
{
    public static string Slug(this TxError e) => e switch
    {
        TxError.Malformed => "malformed",
        TxError.TooLarge => "too-large",
        TxError.WrongChain => "wrong-chain",
        TxError.BadSignature => "bad-signature",
        TxError.UnsupportedKind => "unsupported-kind",
        TxError.ZeroAmount => "zero-amount",
        TxError.FeeTooLow => "fee-too-low",
        TxError.NonceTooLow => "nonce-too-low",
        TxError.NonceGap => "nonce-gap",
        TxError.InsufficientBalance => "insufficient-balance",
        TxError.InsufficientStake => "insufficient-stake",
        TxError.Overflow => "overflow",
        TxError.Duplicate => "duplicate",
        TxError.SenderLimit => "sender-limit",
        TxError.MempoolFull => "mempool-full",
        TxError.Unauthorised => "unauthorised",
        TxError.Conflict => "conflict",
        TxError.InvalidEvidence => "invalid-evidence",
        TxError.InvalidVote => "invalid-vote",
        _ => "none",
    };
}

/// <summary>A refusal with its cause and a human sentence.</summary>
public readonly record struct TxRejection(TxError Error, string Detail)
{
    public static readonly TxRejection Ok = new(TxError.None, "");
    public bool IsOk => Error == TxError.None;
}
