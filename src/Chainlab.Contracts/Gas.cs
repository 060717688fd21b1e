namespace Chainlab.Contracts;

/// <summary>
/// The gas schedule (docs/contracts.md). Instructions cost 1 each, charged by the hook in blocks of
/// <see cref="Lua.LuaExecution.HookInterval"/>; memory a contract allocates costs 1 per <see cref="BytesPerGas"/>
/// bytes, which prices every copy made inside C (concatenation, string.rep, table.concat, string.format…).
/// Changing a number here changes consensus.
/// </summary>
public static class Gas
{
    public const ulong BytesPerGas = 16;
    public const ulong Deploy = 20_000;
    public const ulong DeployPerCodeByte = 8;
    public const ulong Invoke = 2_000;
    public const ulong InvokePerPayloadByte = 2;
    /// <summary>Starting a frame: a fresh Lua state with its libraries (about 40 µs of work).</summary>
    public const ulong Frame = 5_000;
    public const ulong HostCall = 20;
    public const ulong PerKey = 5;
    public const ulong StorageRead = 200;
    public const ulong StorageWrite = 1_000;
    public const ulong StorageWritePerByte = 4;
    public const ulong Event = 300;
    public const ulong Transfer = 500;
    public const ulong Sha256 = 100;
    public const ulong Verify = 5_000;
    /// <summary>Calling a library function (its work is charged on top).</summary>
    public const long LibraryCall = 2;
}
