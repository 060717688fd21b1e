namespace Chainlab.Contracts;

/// <summary>
/// The gas schedule (docs/contracts.md). Every statement costs 1 plus its operations, each further loop
/// iteration 1 plus its test, library functions <see cref="LibraryCall"/> plus their work as it happens, and
/// memory a run allocates 1 per <see cref="BytesPerGas"/> bytes.
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
    /// <summary>An error caught by pcall or xpcall (unwinding is the dearest thing the VM does).</summary>
    public const long ErrorCaught = 200;
    /// <summary>Writing a float as text (tostring, "..", format's %s, table.concat).</summary>
    public const long FloatText = 20;
    /// <summary>And per call level the error unwound on its way.</summary>
    public const long ErrorPerLevel = 100;
    /// <summary>And per stack unit (nesting of blocks and expressions) of the calls it unwound.</summary>
    public const long ErrorPerStackUnit = 20;
    /// <summary>Loading a contract's code into a frame, per byte of source (compiling it, or taking it from the cache).</summary>
    public const long CodePerByte = 3;
}
