using Chainlab.Core.Crypto;

namespace Chainlab.Core.Consensus;

/// <summary>Reserved accounts that hold consensus records in their data; no key can sign for them.</summary>
public static class SystemAccounts
{
    public static readonly Address Authorities = Of("chainlab/system/authorities");
    public static readonly Address Validators = Of("chainlab/system/validators");

    private static Address Of(string tag) => new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tag)).AsSpan(0, Address.Size));
}
