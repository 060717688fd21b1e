using System.Globalization;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// Number rules shared by the interpreter and the libraries, written so that every result is the same on every
/// platform: float text is "%.14g" built from .NET's exact formatting, NaN is always "nan" (never "-nan"),
/// and conversions from text follow the Lua lexer.
/// </summary>
public static class Numbers
{
    /// <summary>True when the float is an integer that fits in 64 bits.</summary>
    public static bool FloatFitsInt(double f, out long i)
    {
        if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 && Math.Floor(f) == f) { i = (long)f; return true; }
        i = 0;
        return false;
    }

    /// <summary>Lua's tostring of a float: "%.14g", with ".0" added when it reads as an integer.</summary>
    public static string FloatToText(double f)
    {
        if (double.IsNaN(f)) return "nan";
        if (double.IsPositiveInfinity(f)) return "inf";
        if (double.IsNegativeInfinity(f)) return "-inf";
        // .NET's "G14" picks the same style as C's %.14g (exact digits, scientific below 1e-4 and from 1e14 up,
        // trailing zeros dropped, two exponent digits at least); only the exponent's letter differs.
        var s = f.ToString("G14", CultureInfo.InvariantCulture);
        var e = s.IndexOf('E');
        if (e >= 0) return string.Concat(s.AsSpan(0, e), "e", s.AsSpan(e + 1));
        return s.Contains('.') ? s : s + ".0";
    }

    /// <summary>C's %.{precision}g for a finite float (no width or flags).</summary>
    public static string FormatG(double f, int precision, bool alternate)
    {
        if (precision == 0) precision = 1;
        if (f == 0) return (double.IsNegative(f) ? "-" : "") + (alternate ? "0." + new string('0', precision - 1) : "0");
        // The exponent after rounding to 'precision' significant digits decides between the two styles.
        var e = f.ToString("E" + (precision - 1), CultureInfo.InvariantCulture);
        var exp = int.Parse(e.AsSpan(e.IndexOf('E') + 1), CultureInfo.InvariantCulture);
        string body;
        if (exp < -4 || exp >= precision)
        {
            var mant = e[..e.IndexOf('E')];
            if (!alternate) mant = StripZeros(mant);
            body = mant + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        else
        {
            body = f.ToString("F" + Math.Max(0, precision - 1 - exp), CultureInfo.InvariantCulture);
            if (!alternate) body = StripZeros(body);
            else if (!body.Contains('.')) body += ".";
        }
        return body;
    }

    private static string StripZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }

    /// <summary>C's %.{precision}e for a finite float.</summary>
    public static string FormatE(double f, int precision, bool upper, bool alternate)
    {
        var e = f.ToString("E" + precision, CultureInfo.InvariantCulture);
        var at = e.IndexOf('E');
        var exp = int.Parse(e.AsSpan(at + 1), CultureInfo.InvariantCulture);
        var mant = e[..at];
        if (alternate && precision == 0) mant += ".";
        return mant + (upper ? "E" : "e") + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>A string converted to a number as the Lua lexer reads numerals (decimal or hex, integer or float, spaces around); null when it is not one.</summary>
    public static Value? Parse(ReadOnlySpan<byte> s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        if (a == b) return null;
        var t = s[a..b];
        var neg = false;
        var i = 0;
        if (t[0] is (byte)'-' or (byte)'+') { neg = t[0] == '-'; i = 1; }
        if (i + 1 < t.Length && t[i] == '0' && (t[i + 1] | 0x20) == 'x') return ParseHex(t[(i + 2)..], neg);
        // Decimal: digits, optional fraction, optional exponent.
        var j = i;
        var digits = 0;
        var isFloat = false;
        while (j < t.Length && IsDigit(t[j])) { j++; digits++; }
        if (j < t.Length && t[j] == '.') { isFloat = true; j++; while (j < t.Length && IsDigit(t[j])) { j++; digits++; } }
        if (digits == 0) return null;
        if (j < t.Length && (t[j] | 0x20) == 'e')
        {
            isFloat = true;
            j++;
            if (j < t.Length && t[j] is (byte)'-' or (byte)'+') j++;
            var ed = 0;
            while (j < t.Length && IsDigit(t[j])) { j++; ed++; }
            if (ed == 0) return null;
        }
        if (j != t.Length) return null;
        var text = System.Text.Encoding.ASCII.GetString(t);
        if (!isFloat && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return Value.Int(l);
        // An integer numeral that does not fit becomes a float, as in Lua.
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? Value.Float(d) : null;
    }

    private static Value? ParseHex(ReadOnlySpan<byte> t, bool neg)
    {
        ulong mant = 0;
        var exp = 0;
        var any = false;
        var isFloat = false;
        var j = 0;
        var significant = 0;
        for (; j < t.Length && HexDigit(t[j]) >= 0; j++)
        {
            any = true;
            if (significant < 16) { mant = (mant << 4) | (uint)HexDigit(t[j]); if (mant != 0) significant++; }
            else exp += 4;
        }
        if (j < t.Length && t[j] == '.')
        {
            isFloat = true;
            for (j++; j < t.Length && HexDigit(t[j]) >= 0; j++)
            {
                any = true;
                if (significant < 16) { mant = (mant << 4) | (uint)HexDigit(t[j]); if (mant != 0) significant++; exp -= 4; }
            }
        }
        if (!any) return null;
        if (j < t.Length && (t[j] | 0x20) == 'p')
        {
            isFloat = true;
            j++;
            var eneg = false;
            if (j < t.Length && t[j] is (byte)'-' or (byte)'+') { eneg = t[j] == '-'; j++; }
            var e = 0;
            var ed = 0;
            while (j < t.Length && IsDigit(t[j])) { if (e < 100_000) e = e * 10 + (t[j] - '0'); j++; ed++; }
            if (ed == 0) return null;
            exp += eneg ? -e : e;
        }
        if (j != t.Length) return null;
        if (!isFloat)
        {
            // Hex integers wrap around (Lua reads 0xffffffffffffffff as -1).
            ulong w = 0;
            foreach (var c in t) w = (w << 4) | (uint)HexDigit(c);
            var v = unchecked((long)w);
            return Value.Int(neg ? unchecked(-v) : v);
        }
        var d = Math.ScaleB(mant, exp);
        return Value.Float(neg ? -d : d);
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';
    private static bool IsDigit(byte c) => c >= '0' && c <= '9';
    private static int HexDigit(byte c) => c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;

    /// <summary>Floor division of integers (caller checks for zero).</summary>
    public static long IntFloorDiv(long a, long b)
    {
        if (b == -1) return unchecked(-a);
        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    /// <summary>Modulo with the sign of the divisor (caller checks for zero).</summary>
    public static long IntMod(long a, long b)
    {
        if (b == -1) return 0;
        var r = a % b;
        if (r != 0 && (r ^ b) < 0) r += b;
        return r;
    }

    public static double FloatMod(double a, double b)
    {
        var r = a % b;
        if (r != 0 && (r < 0) != (b < 0)) r += b;
        return r;
    }

    /// <summary>a ^ b without the C library's pow (whose last bit differs between platforms): integer exponents by squaring.</summary>
    public static bool TryPow(double a, double b, out double r)
    {
        r = 0;
        if (!FloatFitsInt(b, out var e) || e > 1 << 30 || e < -(1 << 30)) return false;
        var neg = e < 0;
        var n = neg ? -e : e;
        double result = 1, x = a;
        while (n > 0)
        {
            if ((n & 1) != 0) result *= x;
            x *= x;
            n >>= 1;
        }
        r = neg ? 1 / result : result;
        return true;
    }

    /// <summary>Integer a &lt; float b, exactly.</summary>
    public static bool IntLessThanFloat(long a, double b)
    {
        if (double.IsNaN(b)) return false;
        if (b >= 9.2233720368547758e18) return true;
        if (b <= -9.2233720368547758e18) return false;
        var c = Math.Ceiling(b);
        return a < (long)c;
    }

    public static bool IntLessOrEqualFloat(long a, double b)
    {
        if (double.IsNaN(b)) return false;
        if (b >= 9.2233720368547758e18) return true;
        if (b < -9.2233720368547758e18) return false;
        return a <= (long)Math.Floor(b);
    }

    public static bool FloatLessThanInt(double a, long b)
    {
        if (double.IsNaN(a)) return false;
        if (a >= 9.2233720368547758e18) return false;
        if (a < -9.2233720368547758e18) return true;
        return (long)Math.Floor(a) < b;
    }

    public static bool FloatLessOrEqualInt(double a, long b)
    {
        if (double.IsNaN(a)) return false;
        if (a >= 9.2233720368547758e18) return false;
        if (a <= -9.2233720368547758e18) return true;
        return (long)Math.Ceiling(a) <= b;
    }

    /// <summary>A number value as an integer, when it has an exact integer value.</summary>
    public static bool ToInteger(in Value v, out long i)
    {
        if (v.IsInt) { i = v.N; return true; }
        if (v.IsFloat) return FloatFitsInt(v.AsFloat, out i);
        i = 0;
        return false;
    }
}
