using System.Reflection;
using System.Runtime.InteropServices;

namespace Chainlab.Core.Crypto;

/// <summary>
/// P/Invoke bindings to libsodium: the build that the libsodium NuGet package puts beside the application
/// (runtimes/&lt;rid&gt;/native), so a machine needs no system package; a system libsodium is the fallback.
/// </summary>
internal static partial class Sodium
{
    private const string Lib = "sodium";
    private static readonly string[] Candidates =
        ["libsodium", "libsodium.so.23", "libsodium.so.26", "libsodium.so", "libsodium.dylib", "libsodium.dll"];

    private static int _initialised;

    static Sodium()
    {
        NativeLibrary.SetDllImportResolver(typeof(Sodium).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException(
            "libsodium was not found (tried " + string.Join(", ", Candidates) +
            "). It ships with chainlab (the libsodium NuGet package); on a platform without a bundled build install it: apt-get install -y libsodium23");
    }

    /// <summary>Loads and initialises libsodium once; throws a clear error when it is missing.</summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _initialised) == 1) return;
        if (sodium_init() < 0) throw new InvalidOperationException("libsodium failed to initialise");
        Volatile.Write(ref _initialised, 1);
    }

    [LibraryImport(Lib)] internal static partial int sodium_init();

    [LibraryImport(Lib)]
    internal static unsafe partial int crypto_sign_seed_keypair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(Lib)]
    internal static unsafe partial int crypto_sign_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);

    [LibraryImport(Lib)]
    internal static unsafe partial int crypto_sign_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    // Group and scalar operations on edwards25519 (used by the RFC 9381 VRF).
    [LibraryImport(Lib)] internal static unsafe partial int crypto_core_ed25519_add(byte* r, byte* p, byte* q);
    [LibraryImport(Lib)] internal static unsafe partial int crypto_core_ed25519_sub(byte* r, byte* p, byte* q);
    [LibraryImport(Lib)] internal static unsafe partial int crypto_scalarmult_ed25519_noclamp(byte* q, byte* n, byte* p);
    [LibraryImport(Lib)] internal static unsafe partial int crypto_scalarmult_ed25519_base_noclamp(byte* q, byte* n);
    [LibraryImport(Lib)] internal static unsafe partial void crypto_core_ed25519_scalar_reduce(byte* r, byte* s);
    [LibraryImport(Lib)] internal static unsafe partial void crypto_core_ed25519_scalar_mul(byte* z, byte* x, byte* y);
    [LibraryImport(Lib)] internal static unsafe partial void crypto_core_ed25519_scalar_add(byte* z, byte* x, byte* y);
}
