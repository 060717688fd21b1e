using System.Security.Cryptography;

namespace Chainlab.Core.Crypto;

/// <summary>
/// ECVRF-EDWARDS25519-SHA512-TAI from RFC 9381 (suite 0x03): a proof that beta = VRF_sk(alpha) was
/// computed with the secret key behind a public Ed25519 key, which anyone can check and nobody can
/// predict without the key. Keys are ordinary Ed25519 keys (the 32-byte seed and its public key).
/// Group and scalar arithmetic run in libsodium; the try-and-increment hash to the curve checks
/// candidates with point addition, which (unlike scalar multiplication) accepts points outside the
/// prime-order subgroup, so the cofactor can be cleared with three doublings.
/// </summary>
public static class Vrf
{
    public const int ProofSize = 80;   // Gamma (32) | c (16) | s (32)
    public const int OutputSize = 64;  // beta: SHA-512
    private const byte Suite = 0x03;
    private const int CLen = 16;

    // The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    private static readonly byte[] Order = Convert.FromHexString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

    /// <summary>The proof pi for alpha under the key with this seed.</summary>
    public static byte[] Prove(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> alpha)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException("VRF secret key must be a 32-byte seed", nameof(seed));
        Sodium.EnsureLoaded();
        var hashed = SHA512.HashData(seed);
        var x = hashed[..32];
        x[0] &= 248; x[31] &= 127; x[31] |= 64; // RFC 8032 clamping: the secret scalar
        var y = Ed25519.PublicKeyFromSeed(seed);
        var h = EncodeToCurve(y, alpha) ?? throw new CryptographicException("hash to curve found no point");
        var gamma = Mul(x, h) ?? throw new CryptographicException("x*H failed");
        var k = Reduce64(SHA512.HashData([.. hashed.AsSpan(32, 32), .. h]));
        var kb = MulBase(k) ?? throw new CryptographicException("k*B failed");
        var kh = Mul(k, h) ?? throw new CryptographicException("k*H failed");
        var c = Challenge(y, h, gamma, kb, kh);
        var xr = Reduce64([.. x, .. new byte[32]]);
        var s = ScalarAdd(k, ScalarMul(c, xr));
        CryptographicOperations.ZeroMemory(hashed);
        CryptographicOperations.ZeroMemory(x);
        CryptographicOperations.ZeroMemory(xr);
        CryptographicOperations.ZeroMemory(k);
        return [.. gamma, .. c.AsSpan(0, CLen), .. s];
    }

    /// <summary>
    /// Checks proof pi for alpha under publicKey. Returns beta (64 bytes) when valid, null otherwise:
    /// wrong lengths, points not on the curve or of small order, a non-canonical s, or a wrong proof.
    /// </summary>
    public static byte[]? Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> proof, ReadOnlySpan<byte> alpha)
    {
        if (publicKey.Length != Ed25519.PublicKeySize || proof.Length != ProofSize) return null;
        Sodium.EnsureLoaded();
        var y = publicKey.ToArray();
        var gamma = proof[..32].ToArray();
        var c = new byte[32];
        proof.Slice(32, CLen).CopyTo(c);
        var s = proof.Slice(48, 32).ToArray();
        if (!LessThanOrder(s)) return null;
        if (!IsCanonicalY(y) || !IsCanonicalY(gamma)) return null;
        // libsodium's scalar multiplication refuses points off the curve, outside the prime-order subgroup
        // or of small order, so these two products also validate Y and Gamma.
        if (Mul(c, y) is not { } cy || Mul(c, gamma) is not { } cGamma) return null;
        var h = EncodeToCurve(y, alpha);
        if (h is null) return null;
        var sb = MulBase(s);
        var sh = Mul(s, h);
        if (sb is null || sh is null) return null;
        var u = Sub(sb, cy);
        var v = Sub(sh, cGamma);
        if (u is null || v is null) return null;
        var expected = Challenge(y, h, gamma, u, v);
        if (!CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, CLen), c.AsSpan(0, CLen))) return null;
        return ProofToHash(gamma);
    }

    /// <summary>beta from a proof, without checking it (use only on verified proofs).</summary>
    public static byte[]? ProofToHash(ReadOnlySpan<byte> proof)
    {
        if (proof.Length < 32) return null;
        var g8 = TimesCofactor(proof[..32].ToArray());
        return g8 is null ? null : SHA512.HashData([Suite, 0x03, .. g8, 0x00]);
    }

    /// <summary>ECVRF_encode_to_curve_try_and_increment with the public key as salt.</summary>
    private static byte[]? EncodeToCurve(byte[] salt, ReadOnlySpan<byte> alpha)
    {
        var input = new byte[2 + salt.Length + alpha.Length + 2];
        input[0] = Suite; input[1] = 0x01;
        salt.CopyTo(input, 2);
        alpha.CopyTo(input.AsSpan(2 + salt.Length));
        for (var ctr = 0; ctr < 256; ctr++)
        {
            input[^2] = (byte)ctr;
            var candidate = SHA512.HashData(input)[..32];
            if (!IsCanonicalY(candidate)) continue;
            if (TimesCofactor(candidate) is { } h && !IsIdentity(h)) return h;
        }
        return null;
    }

    private static byte[] Challenge(byte[] p1, byte[] p2, byte[] p3, byte[] p4, byte[] p5)
    {
        var digest = SHA512.HashData([Suite, 0x02, .. p1, .. p2, .. p3, .. p4, .. p5, 0x00]);
        var c = new byte[32];
        digest.AsSpan(0, CLen).CopyTo(c);
        return c;
    }

    /// <summary>8*P by three doublings; null when P is not a point on the curve.</summary>
    private static byte[]? TimesCofactor(byte[] p)
    {
        byte[]? r = p;
        for (var i = 0; i < 3 && r is not null; i++) r = Add(r, r);
        return r;
    }

    /// <summary>
    /// RFC 8032 decoding rules that libsodium does not apply: y must be below p = 2^255 - 19, and x = 0
    /// (y = 1 or y = p - 1) may not carry the sign bit.
    /// </summary>
    private static bool IsCanonicalY(byte[] s)
    {
        // y >= p only when bytes 1..30 are 0xff, byte 31 (without the sign) is 0x7f and byte 0 >= 0xed.
        var top = (byte)(s[31] & 0x7f);
        var allOnes = top == 0x7f;
        for (var i = 1; i < 31 && allOnes; i++) allOnes = s[i] == 0xff;
        if (allOnes && s[0] >= 0xed) return false;
        if ((s[31] & 0x80) != 0)
        {
            var isOne = s[0] == 1 && top == 0 && s.AsSpan(1, 30).IndexOfAnyExcept((byte)0) < 0;
            var isMinusOne = s[0] == 0xec && top == 0x7f && s.AsSpan(1, 30).IndexOfAnyExcept((byte)0xff) < 0;
            if (isOne || isMinusOne) return false;
        }
        return true;
    }

    private static bool IsIdentity(byte[] p) => p[0] == 1 && p.AsSpan(1).IndexOfAnyExcept((byte)0) < 0;

    private static bool LessThanOrder(byte[] s)
    {
        for (var i = 31; i >= 0; i--)
        {
            if (s[i] < Order[i]) return true;
            if (s[i] > Order[i]) return false;
        }
        return false;
    }

    private static unsafe byte[]? Add(byte[] p, byte[] q)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* pp = p) fixed (byte* qp = q)
            return Sodium.crypto_core_ed25519_add(rp, pp, qp) == 0 ? r : null;
    }

    private static unsafe byte[]? Sub(byte[] p, byte[] q)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* pp = p) fixed (byte* qp = q)
            return Sodium.crypto_core_ed25519_sub(rp, pp, qp) == 0 ? r : null;
    }

    /// <summary>n*P for P in the prime-order subgroup; null for any other point or an identity result.</summary>
    private static unsafe byte[]? Mul(byte[] n, byte[] p)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* np = n) fixed (byte* pp = p)
            return Sodium.crypto_scalarmult_ed25519_noclamp(rp, np, pp) == 0 ? r : null;
    }

    private static unsafe byte[]? MulBase(byte[] n)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* np = n)
            return Sodium.crypto_scalarmult_ed25519_base_noclamp(rp, np) == 0 ? r : null;
    }

    private static unsafe byte[] Reduce64(byte[] wide)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* wp = wide) Sodium.crypto_core_ed25519_scalar_reduce(rp, wp);
        return r;
    }

    private static unsafe byte[] ScalarMul(byte[] a, byte[] b)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* ap = a) fixed (byte* bp = b) Sodium.crypto_core_ed25519_scalar_mul(rp, ap, bp);
        return r;
    }

    private static unsafe byte[] ScalarAdd(byte[] a, byte[] b)
    {
        var r = new byte[32];
        fixed (byte* rp = r) fixed (byte* ap = a) fixed (byte* bp = b) Sodium.crypto_core_ed25519_scalar_add(rp, ap, bp);
        return r;
    }
}
