using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>
/// SHA-256 for the proof-of-work inner loop. .NET's SHA256.HashData (like OpenSSL 3's one-shot SHA256())
/// goes through OpenSSL's EVP layer, which costs more than the hashing itself for a 40-byte input;
/// OpenSSL's low-level SHA256_Init/Update/Final work on a context on our stack and still use the CPU's
/// SHA instructions. When libcrypto is not there (or gives a wrong answer
/// on the self-check) the managed call is used instead.
/// </summary>
public static unsafe partial class FastSha256
{
    private static readonly bool Native = Probe();

    /// <summary>True when OpenSSL's one-shot SHA256() is in use.</summary>
    public static bool UsesOpenSsl => Native;

    [LibraryImport("libcrypto.so.3", EntryPoint = "SHA256_Init")]
    [SuppressGCTransition]
    private static partial int Init(byte* ctx);

    [LibraryImport("libcrypto.so.3", EntryPoint = "SHA256_Update")]
    [SuppressGCTransition]
    private static partial int Update(byte* ctx, byte* data, nuint length);

    [LibraryImport("libcrypto.so.3", EntryPoint = "SHA256_Final")]
    [SuppressGCTransition]
    private static partial int Final(byte* digest, byte* ctx);

    private const int ContextBytes = 128; // sizeof(SHA256_CTX) is 112

    private static void OpenSslSha256(byte* data, nuint length, byte* digest)
    {
        var ctx = stackalloc byte[ContextBytes];
        Init(ctx);
        Update(ctx, data, length);
        Final(digest, ctx);
    }

    private static bool Probe()
    {
        try
        {
            var input = "chainlab sha-256 self-check"u8;
            Span<byte> a = stackalloc byte[32];
            fixed (byte* i = input) fixed (byte* o = a) OpenSslSha256(i, (nuint)input.Length, o);
            return a.SequenceEqual(SHA256.HashData(input));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException) { return false; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> digest)
    {
        if (digest.Length < 32) throw new ArgumentException("digest needs 32 bytes", nameof(digest));
        if (!Native) { SHA256.HashData(input, digest); return; }
        fixed (byte* i = input) fixed (byte* o = digest) OpenSslSha256(i, (nuint)input.Length, o);
    }
}
