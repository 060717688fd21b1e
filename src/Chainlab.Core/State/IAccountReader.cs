using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>Read access to account state.</summary>
public interface IAccountReader
{
    Account Get(in Address address);
}
