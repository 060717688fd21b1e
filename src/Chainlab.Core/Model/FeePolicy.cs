namespace Chainlab.Core.Model;

/// <summary>Where transaction fees go.</summary>
public enum FeePolicy
{
    /// <summary>Fees are credited to the block producer.</summary>
    Producer,
    /// <summary>Fees are destroyed.</summary>
    Burn,
}
