namespace Chainlab.Core.Model;

/// <summary>
/// Transaction kinds. The numbers are part of the signed encoding and never change.
/// Kinds after Unstake are reserved so later features extend the format without breaking it;
/// they carry their data in the payload field.
/// </summary>
public enum TxKind : byte
{
    Transfer = 1,
    Stake = 2,
    Unstake = 3,
    Deploy = 4,
    Invoke = 5,
    AuthorityChange = 6,
    Evidence = 7,
    FileAnchor = 8,
    /// <summary>Finality votes (decision 0007): a batch of signed checkpoint votes, fee-free; only on chains whose spec switches finality on.</summary>
    Vote = 9,
    /// <summary>Evidence of a double or surround vote (two signed finality votes of one voter), fee-free; only on chains whose spec switches finality on.</summary>
    VoteEvidence = 10,
}
