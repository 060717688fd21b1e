using System.Text;

namespace Chainlab.Contracts.Vm.Compiler;

internal enum T
{
    Eof, Name, Number, String,
    // keywords
    And, Break, Do, Else, Elseif, End, False, For, Function, Goto, If, In, Local, Nil, Not, Or, Repeat, Return,
    Then, True, Until, While,
    // symbols
    Plus, Minus, Star, Slash, DSlash, Percent, Caret, Hash, Amp, Tilde, Pipe, Shl, Shr,
    Eq, Ne, Le, Ge, Lt, Gt, Assign, LParen, RParen, LBrace, RBrace, LBracket, RBracket, DColon,
    Semi, Colon, Comma, Dot, Concat, Dots,
}

/// <summary>A syntax error: "contract:LINE: message near 'token'".</summary>
public sealed class SyntaxError(string message) : Exception(message);

/// <summary>Lua 5.4 tokens from source bytes: names, numerals (decimal and hex, integer and float), short and long strings with every escape, comments.</summary>
internal sealed class Lexer
{
    private static readonly Dictionary<string, T> Keywords = new()
    {
        ["and"] = T.And, ["break"] = T.Break, ["do"] = T.Do, ["else"] = T.Else, ["elseif"] = T.Elseif, ["end"] = T.End,
        ["false"] = T.False, ["for"] = T.For, ["function"] = T.Function, ["goto"] = T.Goto, ["if"] = T.If, ["in"] = T.In,
        ["local"] = T.Local, ["nil"] = T.Nil, ["not"] = T.Not, ["or"] = T.Or, ["repeat"] = T.Repeat, ["return"] = T.Return,
        ["then"] = T.Then, ["true"] = T.True, ["until"] = T.Until, ["while"] = T.While,
    };

    private readonly byte[] _src;
    private readonly string _chunk;
    private int _pos;
    public int Line = 1;

    public T Tok;
    public int TokLine;
    public string? Name;          // for Name
    public byte[]? Str;           // for String
    public Value Num;             // for Number
    private int _tokStart;

    public Lexer(byte[] src, string chunk)
    {
        _src = src;
        _chunk = chunk;
        if (_src.Length > 0 && _src[0] == '#') while (_pos < _src.Length && _src[_pos] != '\n') _pos++; // shebang line
    }

    public SyntaxError Error(string msg, bool near = true) =>
        new($"{_chunk}:{TokLine}: {msg}{(near ? $" near {Near()}" : "")}");

    private string Near()
    {
        if (Tok == T.Eof) return "<eof>";
        var len = Math.Min(_pos - _tokStart, 40);
        return "'" + Encoding.UTF8.GetString(_src, _tokStart, Math.Max(0, len)) + "'";
    }

    /// <summary>After a name: whether the next token is a single '=' (a keyed field in a constructor).</summary>
    public bool PeekNextIsAssign()
    {
        var (pos, line, tok, tokLine, name, str, num, start) = (_pos, Line, Tok, TokLine, Name, Str, Num, _tokStart);
        Next();
        var result = Tok == T.Assign;
        (_pos, Line, Tok, TokLine, Name, Str, Num, _tokStart) = (pos, line, tok, tokLine, name, str, num, start);
        return result;
    }

    private int Peek(int k = 0) => _pos + k < _src.Length ? _src[_pos + k] : -1;

    /// <summary>Tokens read so far (a measure of the compiled tree's size).</summary>
    public int Tokens;

    public void Next()
    {
        Tokens++;
        SkipSpace();
        _tokStart = _pos;
        TokLine = Line;
        if (_pos >= _src.Length) { Tok = T.Eof; return; }
        var c = _src[_pos];
        if (IsAlpha(c)) { ReadName(); return; }
        if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) { ReadNumber(); return; }
        _pos++;
        switch (c)
        {
            case (byte)'+': Tok = T.Plus; return;
            case (byte)'-': Tok = T.Minus; return;
            case (byte)'*': Tok = T.Star; return;
            case (byte)'/': if (Peek() == '/') { _pos++; Tok = T.DSlash; } else Tok = T.Slash; return;
            case (byte)'%': Tok = T.Percent; return;
            case (byte)'^': Tok = T.Caret; return;
            case (byte)'#': Tok = T.Hash; return;
            case (byte)'&': Tok = T.Amp; return;
            case (byte)'~': if (Peek() == '=') { _pos++; Tok = T.Ne; } else Tok = T.Tilde; return;
            case (byte)'|': Tok = T.Pipe; return;
            case (byte)'<': if (Peek() == '<') { _pos++; Tok = T.Shl; } else if (Peek() == '=') { _pos++; Tok = T.Le; } else Tok = T.Lt; return;
            case (byte)'>': if (Peek() == '>') { _pos++; Tok = T.Shr; } else if (Peek() == '=') { _pos++; Tok = T.Ge; } else Tok = T.Gt; return;
            case (byte)'=': if (Peek() == '=') { _pos++; Tok = T.Eq; } else Tok = T.Assign; return;
            case (byte)'(': Tok = T.LParen; return;
            case (byte)')': Tok = T.RParen; return;
            case (byte)'{': Tok = T.LBrace; return;
            case (byte)'}': Tok = T.RBrace; return;
            case (byte)']': Tok = T.RBracket; return;
            case (byte)';': Tok = T.Semi; return;
            case (byte)',': Tok = T.Comma; return;
            case (byte)':': if (Peek() == ':') { _pos++; Tok = T.DColon; } else Tok = T.Colon; return;
            case (byte)'.':
                if (Peek() == '.') { _pos++; if (Peek() == '.') { _pos++; Tok = T.Dots; } else Tok = T.Concat; }
                else Tok = T.Dot;
                return;
            case (byte)'[':
            {
                var level = LongBracketLevel();
                if (level >= 0) { Str = ReadLong(level); Tok = T.String; return; }
                if (level == -2) throw Error("invalid long string delimiter");
                Tok = T.LBracket;
                return;
            }
            case (byte)'"': case (byte)'\'': ReadString(c); return;
        }
        Tok = T.Name;
        throw Error("unexpected symbol");
    }

    private void SkipSpace()
    {
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            if (c == '\n') { Line++; _pos++; }
            else if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v') _pos++;
            else if (c == '-' && Peek(1) == '-')
            {
                _pos += 2;
                if (Peek() == '[')
                {
                    _pos++;
                    var level = LongBracketLevel();
                    if (level >= 0) { ReadLong(level); continue; }
                }
                while (_pos < _src.Length && _src[_pos] != '\n') _pos++;
            }
            else break;
        }
    }

    // After a '[': the level of "[==[" (the '=' count), consuming it; -1 when it is not a long bracket, -2 when malformed.
    private int LongBracketLevel()
    {
        var start = _pos;
        var level = 0;
        while (Peek() == '=') { _pos++; level++; }
        if (Peek() == '[') { _pos++; return level; }
        _pos = start;
        return level == 0 ? -1 : -2;
    }

    private byte[] ReadLong(int level)
    {
        var startLine = Line;
        if (Peek() == '\r') { _pos++; if (Peek() == '\n') _pos++; Line++; }
        else if (Peek() == '\n') { _pos++; if (Peek() == '\r') _pos++; Line++; }
        var buf = new List<byte>();
        while (true)
        {
            if (_pos >= _src.Length) { TokLine = startLine; Tok = T.Eof; throw Error("unfinished long string/comment"); }
            var c = _src[_pos];
            if (c == ']')
            {
                var p = _pos + 1;
                var l = 0;
                while (p < _src.Length && _src[p] == '=') { p++; l++; }
                if (l == level && p < _src.Length && _src[p] == ']') { _pos = p + 1; return buf.ToArray(); }
            }
            if (c == '\n') Line++;
            buf.Add(c);
            _pos++;
        }
    }

    private void ReadString(byte quote)
    {
        var buf = new List<byte>();
        while (true)
        {
            if (_pos >= _src.Length) { Tok = T.Eof; throw Error("unfinished string"); }
            var c = _src[_pos];
            if (c == quote) { _pos++; break; }
            if (c == '\n' || c == '\r') { Tok = T.String; throw Error("unfinished string"); }
            if (c != '\\') { buf.Add(c); _pos++; continue; }
            _pos++;
            var e = Peek();
            switch (e)
            {
                case 'a': buf.Add(7); _pos++; break;
                case 'b': buf.Add(8); _pos++; break;
                case 'f': buf.Add(12); _pos++; break;
                case 'n': buf.Add(10); _pos++; break;
                case 'r': buf.Add(13); _pos++; break;
                case 't': buf.Add(9); _pos++; break;
                case 'v': buf.Add(11); _pos++; break;
                case '\\': buf.Add((byte)'\\'); _pos++; break;
                case '"': buf.Add((byte)'"'); _pos++; break;
                case '\'': buf.Add((byte)'\''); _pos++; break;
                case '\n':
                case '\r':
                    Line++;
                    _pos++;
                    if ((Peek() == '\n' || Peek() == '\r') && Peek() != e) _pos++;
                    buf.Add((byte)'\n');
                    break;
                case 'x':
                {
                    _pos++;
                    int h1 = Hex(Peek()), h2 = Hex(Peek(1));
                    if (h1 < 0 || h2 < 0) { Tok = T.String; throw Error("hexadecimal digit expected"); }
                    buf.Add((byte)(h1 * 16 + h2));
                    _pos += 2;
                    break;
                }
                case 'z':
                    _pos++;
                    while (_pos < _src.Length && _src[_pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\f' or (byte)'\v')
                    {
                        if (_src[_pos] == '\n') Line++;
                        _pos++;
                    }
                    break;
                case 'u':
                {
                    _pos++;
                    if (Peek() != '{') { Tok = T.String; throw Error("missing '{' in \\u{xxxx}"); }
                    _pos++;
                    long cp = 0;
                    var digits = 0;
                    while (Hex(Peek()) >= 0)
                    {
                        cp = cp * 16 + Hex(Peek());
                        digits++;
                        _pos++;
                        if (cp > 0x7FFFFFFF) { Tok = T.String; throw Error("UTF-8 value too large"); }
                    }
                    if (digits == 0) { Tok = T.String; throw Error("hexadecimal digit expected"); }
                    if (Peek() != '}') { Tok = T.String; throw Error("missing '}' in \\u{xxxx}"); }
                    _pos++;
                    Utf8Encode(buf, cp);
                    break;
                }
                default:
                    if (e >= '0' && e <= '9')
                    {
                        var v = 0;
                        for (var i = 0; i < 3 && Peek() >= '0' && Peek() <= '9'; i++) { v = v * 10 + (Peek() - '0'); _pos++; }
                        if (v > 255) { Tok = T.String; throw Error("decimal escape too large"); }
                        buf.Add((byte)v);
                        break;
                    }
                    if (e < 0) { Tok = T.Eof; throw Error("unfinished string"); }
                    Tok = T.String;
                    throw Error("invalid escape sequence");
            }
        }
        Str = buf.ToArray();
        Tok = T.String;
    }

    internal static void Utf8Encode(List<byte> buf, long x)
    {
        if (x < 0x80) { buf.Add((byte)x); return; }
        Span<byte> tmp = stackalloc byte[8];
        var n = 0;
        long mfb = 0x3f;
        do
        {
            tmp[n++] = (byte)(0x80 | (x & 0x3f));
            x >>= 6;
            mfb >>= 1;
        } while (x > mfb);
        var first = (byte)((~mfb << 1) | x);
        buf.Add(first);
        for (var i = n - 1; i >= 0; i--) buf.Add(tmp[i]);
    }

    private void ReadName()
    {
        var start = _pos;
        while (_pos < _src.Length && (IsAlpha(_src[_pos]) || IsDigit(_src[_pos]))) _pos++;
        var s = Encoding.ASCII.GetString(_src, start, _pos - start);
        if (Keywords.TryGetValue(s, out var k)) { Tok = k; return; }
        Name = s;
        Tok = T.Name;
    }

    private void ReadNumber()
    {
        var start = _pos;
        var hex = _src[_pos] == '0' && (Peek(1) | 0x20) == 'x';
        if (hex) _pos += 2;
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            var expChar = hex ? (c | 0x20) == 'p' : (c | 0x20) == 'e';
            if (expChar && (Peek(1) == '+' || Peek(1) == '-')) { _pos += 2; continue; }
            if (IsDigit(c) || IsAlpha(c) || c == '.') { _pos++; continue; }
            break;
        }
        var v = Numbers.Parse(_src.AsSpan(start, _pos - start));
        if (v is null) { Tok = T.Number; throw Error("malformed number"); }
        Num = v.Value;
        Tok = T.Number;
    }

    private static bool IsAlpha(int c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    private static bool IsDigit(int c) => c >= '0' && c <= '9';
    private static int Hex(int c) => c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}
