using System.Globalization;
using System.Text;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// string.format as Lua 5.4 (5.4.4 and later) checks and prints it, with C's printf rules written out in C# so the
/// text is the same everywhere: flags '-', '0', ' ', '+', '#' where C and Lua allow them, width and precision of at
/// most two digits, conversions c d i u o x X e E f F g G a A s and %%. %q and %p are refused (they would show
/// addresses or need a parser's escapes). Floats print exactly (correctly rounded, ties to even), NaN as "nan" with
/// no sign. The result's bytes are charged at 16 per gas as they are written, plus two gas per conversion; floats
/// printed with %e %f %g are charged for their digit arithmetic on top (<see cref="FloatWork"/>).
/// </summary>
internal static class StringFormat
{
    // The flags each conversion accepts (Lua 5.4's L_FMTFLAGS*).
    private const string FlagsF = "-+ #0", FlagsX = "-#0", FlagsI = "-+ 0", FlagsU = "-0", FlagsC = "-";
    // Lua's MAX_FORMAT (32) less 10: a specification of this many characters or more is refused.
    private const int MaxSpec = 22;
    private const string Refused = "string.format: %p and %q are not available in contracts";

    /// <summary>The conversion as written ("%5.2f"), for messages; built only when one is needed.</summary>
    private readonly struct Form(byte[] fmt, int start, int length, byte conv)
    {
        public override string ToString() => "%" + Encoding.Latin1.GetString(fmt, start, length) + (conv == 0 ? "" : ((char)conv).ToString());
    }

    private struct Spec
    {
        public bool Left, Plus, Space, Alt, Zero;
        public int Width;
        /// <summary>-1 when none was given.</summary>
        public int Precision;
    }

    public static Value[] Run(Machine m, Value[] a)
    {
        var fmt = Args.String(m, a, 0, "format").Bytes;
        var b = new LuaBuffer(m);
        var arg = 0;
        var i = 0;
        while (i < fmt.Length)
        {
            var k = fmt.AsSpan(i).IndexOf((byte)'%');
            if (k < 0) { b.Add(fmt.AsSpan(i)); break; }
            b.Add(fmt.AsSpan(i, k));
            i += k + 1;
            if (i < fmt.Length && fmt[i] == '%') { b.Add((byte)'%'); i++; continue; }
            if (++arg >= a.Length) throw Args.Bad(m, arg, "format", "no value");
            var specStart = i;
            while (i < fmt.Length && IsSpecChar(fmt[i])) i++;
            var spec = fmt.AsSpan(specStart, i - specStart);
            if (spec.Length + 1 >= MaxSpec) throw m.Error("invalid format (too long)");
            var conv = i < fmt.Length ? fmt[i] : (byte)0;
            i++;
            // Two gas for the conversion itself.
            b.Work(32);
            var form = new Form(fmt, specStart, i - 1 - specStart, conv);
            switch (conv)
            {
                case (byte)'c':
                {
                    var sp = Check(m, spec, FlagsC, false, form);
                    var c = Args.Int(m, a, arg, "format");
                    Emit(b, sp, "", [unchecked((byte)c)], zero: false);
                    break;
                }
                case (byte)'d' or (byte)'i':
                {
                    var v = Args.Int(m, a, arg, "format");
                    Integer(b, Check(m, spec, FlagsI, true, form), v, conv);
                    break;
                }
                case (byte)'u':
                {
                    var v = Args.Int(m, a, arg, "format");
                    Integer(b, Check(m, spec, FlagsU, true, form), v, conv);
                    break;
                }
                case (byte)'o' or (byte)'x' or (byte)'X':
                {
                    var v = Args.Int(m, a, arg, "format");
                    Integer(b, Check(m, spec, FlagsX, true, form), v, conv);
                    break;
                }
                case (byte)'a' or (byte)'A':
                {
                    var sp = Check(m, spec, FlagsF, true, form);
                    Float(b, sp, Args.Number(m, a, arg, "format").ToDouble, conv);
                    break;
                }
                case (byte)'e' or (byte)'E' or (byte)'f' or (byte)'F' or (byte)'g' or (byte)'G':
                {
                    var d = Args.Number(m, a, arg, "format").ToDouble;
                    Float(b, Check(m, spec, FlagsF, true, form), d, conv);
                    break;
                }
                case (byte)'p' or (byte)'q':
                    throw m.Error(Refused);
                case (byte)'s':
                {
                    var v = a[arg];
                    ReadOnlySpan<byte> text = v.IsString ? v.AsString.Span : v.IsNumber ? Coerce.Text(m, v) : Encoding.ASCII.GetBytes(v.ToString());
                    if (spec.Length == 0) { b.Add(text); break; }
                    b.Work(text.Length);
                    if (text.IndexOf((byte)0) >= 0) throw Args.Bad(m, arg, "format", "string contains zeros");
                    var sp = Check(m, spec, FlagsC, true, form);
                    // Without a precision, a string of 100 bytes or more is copied whole (Lua's rule).
                    if (sp.Precision < 0 && text.Length >= 100) { b.Add(text); break; }
                    if (sp.Precision >= 0 && text.Length > sp.Precision) text = text[..sp.Precision];
                    Emit(b, sp, "", text, zero: false);
                    break;
                }
                default:
                    throw m.Error($"invalid conversion '{form}' to 'format'");
            }
        }
        return [Value.Str(b.ToLuaString())];
    }

    private static bool IsSpecChar(byte c) => c is (byte)'-' or (byte)'+' or (byte)' ' or (byte)'#' or (byte)'.' || (c >= '0' && c <= '9');

    /// <summary>Lua's checkformat: only the given flags, a width of at most two digits (not starting with 0), and if allowed '.' and a precision of at most two digits.</summary>
    private static Spec Check(Machine m, ReadOnlySpan<byte> spec, string flags, bool precision, Form form)
    {
        var k = 0;
        while (k < spec.Length && flags.Contains((char)spec[k])) k++;
        if (k >= spec.Length || spec[k] != '0')
        {
            k = TwoDigits(spec, k);
            if (k < spec.Length && spec[k] == '.' && precision) k = TwoDigits(spec, k + 1);
        }
        if (k != spec.Length) throw m.Error($"invalid conversion specification: '{form}'");
        var sp = new Spec { Precision = -1 };
        var j = 0;
        for (; j < spec.Length; j++)
        {
            switch (spec[j])
            {
                case (byte)'-': sp.Left = true; continue;
                case (byte)'+': sp.Plus = true; continue;
                case (byte)' ': sp.Space = true; continue;
                case (byte)'#': sp.Alt = true; continue;
                case (byte)'0': sp.Zero = true; continue;
            }
            break;
        }
        while (j < spec.Length && spec[j] != '.') sp.Width = sp.Width * 10 + (spec[j++] - '0');
        if (j < spec.Length)
        {
            sp.Precision = 0;
            for (j++; j < spec.Length; j++) sp.Precision = sp.Precision * 10 + (spec[j] - '0');
        }
        return sp;
    }

    private static int TwoDigits(ReadOnlySpan<byte> s, int k)
    {
        if (k < s.Length && CLocale.IsDigit(s[k]))
        {
            k++;
            if (k < s.Length && CLocale.IsDigit(s[k])) k++;
        }
        return k;
    }

    /// <summary>Writes prefix (sign, "0x") and body padded to the width: spaces on the left, or on the right with '-', or zeros between prefix and body.</summary>
    private static void Emit(LuaBuffer b, in Spec sp, string prefix, ReadOnlySpan<byte> body, bool zero)
    {
        var pad = sp.Width - prefix.Length - body.Length;
        if (pad <= 0) { b.Add(prefix); b.Add(body); }
        else if (sp.Left) { b.Add(prefix); b.Add(body); b.Fill((byte)' ', pad); }
        else if (zero) { b.Add(prefix); b.Fill((byte)'0', pad); b.Add(body); }
        else { b.Fill((byte)' ', pad); b.Add(prefix); b.Add(body); }
    }

    private static void Emit(LuaBuffer b, in Spec sp, string prefix, string body, bool zero)
    {
        var pad = sp.Width - prefix.Length - body.Length;
        if (pad <= 0) { b.Add(prefix); b.Add(body); }
        else if (sp.Left) { b.Add(prefix); b.Add(body); b.Fill((byte)' ', pad); }
        else if (zero) { b.Add(prefix); b.Fill((byte)'0', pad); b.Add(body); }
        else { b.Fill((byte)' ', pad); b.Add(prefix); b.Add(body); }
    }

    private static void Integer(LuaBuffer b, in Spec sp, long v, byte conv)
    {
        var ci = CultureInfo.InvariantCulture;
        var prefix = "";
        var u = unchecked((ulong)v);
        string digits;
        switch (conv)
        {
            case (byte)'d' or (byte)'i':
                digits = (v < 0 ? unchecked(0UL - u) : u).ToString(ci);
                prefix = v < 0 ? "-" : sp.Plus ? "+" : sp.Space ? " " : "";
                break;
            case (byte)'u': digits = u.ToString(ci); break;
            case (byte)'x': digits = u.ToString("x", ci); break;
            case (byte)'X': digits = u.ToString("X", ci); break;
            default: digits = Octal(u); break;
        }
        if (sp.Precision == 0 && v == 0) digits = "";
        else if (digits.Length < sp.Precision) digits = new string('0', sp.Precision - digits.Length) + digits;
        if (sp.Alt)
        {
            if (conv is (byte)'x' or (byte)'X') { if (v != 0) prefix = conv == 'x' ? "0x" : "0X"; }
            else if (digits.Length == 0 || digits[0] != '0') digits = "0" + digits;
        }
        // C ignores the '0' flag when a precision is given.
        Emit(b, sp, prefix, digits, sp.Zero && sp.Precision < 0);
    }

    private static string Octal(ulong u)
    {
        if (u == 0) return "0";
        Span<char> buf = stackalloc char[22];
        var n = buf.Length;
        while (u != 0) { buf[--n] = (char)('0' + (int)(u & 7)); u >>= 3; }
        return new string(buf[n..]);
    }

    private static void Float(LuaBuffer b, in Spec sp, double d, byte conv)
    {
        var upper = conv is (byte)'E' or (byte)'F' or (byte)'G' or (byte)'A';
        // NaN has no sign here (C prints the sign bit, which differs between machines).
        var negative = !double.IsNaN(d) && double.IsNegative(d);
        var prefix = negative ? "-" : sp.Plus ? "+" : sp.Space ? " " : "";
        if (!double.IsFinite(d))
        {
            var word = double.IsNaN(d) ? "nan" : "inf";
            Emit(b, sp, prefix, upper ? word.ToUpperInvariant() : word, zero: false);
            return;
        }
        var x = Math.Abs(d);
        var p = sp.Precision < 0 ? 6 : sp.Precision;
        string body;
        switch (conv | 0x20)
        {
            case 'f':
                body = x.ToString("F" + p, CultureInfo.InvariantCulture);
                if (sp.Alt && p == 0) body += ".";
                break;
            case 'e':
                body = Numbers.FormatE(x, p, upper, sp.Alt);
                break;
            case 'g':
                body = Numbers.FormatG(x, p, sp.Alt);
                if (sp.Alt && !body.Contains('.'))
                {
                    var e = body.IndexOf('e');
                    body = e < 0 ? body + "." : body[..e] + "." + body[e..];
                }
                if (upper) body = body.ToUpperInvariant();
                break;
            default:
                prefix += upper ? "0X" : "0x";
                body = HexFloat(x, sp.Precision, sp.Alt);
                if (upper) body = body.ToUpperInvariant();
                break;
        }
        // Exact decimal digits of a float are big-number arithmetic: each digit costs about one operation per 32 bits
        // of the number's binary exponent (printing 1e308 in full is ~10,000 word operations).
        b.Work(FloatWork(x, body.Length));
        Emit(b, sp, prefix, body, sp.Zero);
    }

    /// <summary>Work units for printing <paramref name="length"/> characters of the float <paramref name="x"/>: 32 + 2 × length × (1 + |binary exponent| / 32).</summary>
    internal static long FloatWork(double x, int length)
    {
        var e2 = x == 0 ? 0 : Math.Abs(Math.ILogB(x));
        return 32 + 2L * length * (1 + e2 / 32);
    }

    /// <summary>C's %a body for a finite non-negative double (after "0x"): glibc's form, "1.8p+1", subnormals as "0.xxxp-1022", rounding ties to even.</summary>
    private static string HexFloat(double x, int precision, bool alt)
    {
        var bits = BitConverter.DoubleToInt64Bits(x);
        var biased = (int)((bits >> 52) & 0x7FF);
        var frac = (ulong)bits & 0xF_FFFF_FFFF_FFFFUL;
        ulong lead;
        int exp;
        if (biased == 0) { lead = 0; exp = frac == 0 ? 0 : -1022; }
        else { lead = 1; exp = biased - 1023; }
        string digits;
        if (precision < 0) digits = frac == 0 ? "" : frac.ToString("x13", CultureInfo.InvariantCulture).TrimEnd('0');
        else if (precision < 13)
        {
            var shift = 4 * (13 - precision);
            var full = (lead << 52) | frac;
            var q = full >> shift;
            var rem = full & ((1UL << shift) - 1);
            var half = 1UL << (shift - 1);
            if (rem > half || (rem == half && (q & 1) != 0)) q++;
            lead = q >> (4 * precision);
            var kept = q & ((1UL << (4 * precision)) - 1);
            digits = precision == 0 ? "" : kept.ToString("x" + precision, CultureInfo.InvariantCulture);
        }
        else digits = frac.ToString("x13", CultureInfo.InvariantCulture) + new string('0', precision - 13);
        return lead.ToString(CultureInfo.InvariantCulture) + (digits.Length > 0 || alt ? "." : "") + digits +
               "p" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
    }
}
