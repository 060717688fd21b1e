namespace Chainlab.Contracts.Vm.Compiler;

/// <summary>Expressions: operator precedence as in Lua 5.4, suffixes (fields, indexing, calls, methods), constructors.</summary>
internal sealed partial class Parser
{
    // ---------------------------------------------------------------- expressions

    private Expr[] ParseExprList()
    {
        var list = new List<Expr> { ParseExpr() };
        while (Accept(T.Comma)) list.Add(ParseExpr());
        return list.ToArray();
    }

    private Expr ParseExpr() => ParseSub(0);

    private static (int Left, int Right) Priority(T t) => t switch
    {
        T.Or => (1, 1),
        T.And => (2, 2),
        T.Lt or T.Gt or T.Le or T.Ge or T.Ne or T.Eq => (3, 3),
        T.Pipe => (4, 4),
        T.Tilde => (5, 5),
        T.Amp => (6, 6),
        T.Shl or T.Shr => (7, 7),
        T.Concat => (9, 8),
        T.Plus or T.Minus => (10, 10),
        T.Star or T.Slash or T.DSlash or T.Percent => (11, 11),
        T.Caret => (14, 13),
        _ => (-1, -1),
    };

    private const int UnaryPriority = 12;

    private Expr ParseSub(int limit)
    {
        Enter();
        Expr e;
        var line = _lx.TokLine;
        if (Tok is T.Not or T.Minus or T.Hash or T.Tilde)
        {
            var op = Tok;
            Next();
            var operand = ParseSub(UnaryPriority);
            e = op switch
            {
                T.Not => Op(new NotExpr(operand), line, operand),
                T.Minus when operand is ConstExpr { V.IsNumber: true } c => At(new ConstExpr(c.V.IsInt ? Value.Int(unchecked(-c.V.N)) : Value.Float(-c.V.AsFloat)), line),
                T.Minus => Op(new NegExpr(operand), line, operand),
                T.Hash => Op(new LenExpr(operand), line, operand),
                _ => Op(new BNotExpr(operand), line, operand),
            };
        }
        else e = ParseSimple();
        while (true)
        {
            var op = Tok;
            var (left, right) = Priority(op);
            if (left <= limit) break;
            var opLine = _lx.TokLine;
            Next();
            var rhs = ParseSub(right);
            e = Binary(op, e, rhs, opLine);
        }
        Leave();
        return e;
    }

    private Expr Binary(T op, Expr a, Expr b, int line) => op switch
    {
        T.Plus => Op(new AddExpr(a, b), line, a, b),
        T.Minus => Op(new SubExpr(a, b), line, a, b),
        T.Star => Op(new MulExpr(a, b), line, a, b),
        T.Slash => Op(new ArithExpr(Vm.Op.Div, a, b), line, a, b),
        T.DSlash => Op(new ArithExpr(Vm.Op.IDiv, a, b), line, a, b),
        T.Percent => Op(new ArithExpr(Vm.Op.Mod, a, b), line, a, b),
        T.Caret => Op(new ArithExpr(Vm.Op.Pow, a, b), line, a, b),
        T.Amp => Op(new ArithExpr(Vm.Op.BAnd, a, b), line, a, b),
        T.Pipe => Op(new ArithExpr(Vm.Op.BOr, a, b), line, a, b),
        T.Tilde => Op(new ArithExpr(Vm.Op.BXor, a, b), line, a, b),
        T.Shl => Op(new ArithExpr(Vm.Op.Shl, a, b), line, a, b),
        T.Shr => Op(new ArithExpr(Vm.Op.Shr, a, b), line, a, b),
        T.Eq => Op(new EqExpr(a, b, negate: false), line, a, b),
        T.Ne => Op(new EqExpr(a, b, negate: true), line, a, b),
        T.Lt => Op(new LtExpr(a, b, swap: false), line, a, b),
        T.Gt => Op(new LtExpr(a, b, swap: true), line, a, b),
        T.Le => Op(new LeExpr(a, b, swap: false), line, a, b),
        T.Ge => Op(new LeExpr(a, b, swap: true), line, a, b),
        T.And => Op(new AndExpr(a, b), line, a, b),
        T.Or => Op(new OrExpr(a, b), line, a, b),
        // Right associative: a .. (b .. c) becomes one node over a, b, c (one copy instead of two).
        T.Concat when b is ConcatExpr c => Op(new ConcatExpr([a, .. c.Parts]), line, [a, .. c.Parts]),
        T.Concat => Op(new ConcatExpr([a, b]), line, a, b),
        _ => throw _lx.Error("unexpected operator"),
    };

    private Expr ParseSimple()
    {
        var line = _lx.TokLine;
        switch (Tok)
        {
            case T.Number: { var v = _lx.Num; Next(); return At(new ConstExpr(v), line); }
            case T.String: { var s = _lx.Str!; Next(); return At(new ConstExpr(Value.Str(s.Length == 0 ? LuaString.Empty : new LuaString(s))), line); }
            case T.Nil: Next(); return At(new ConstExpr(Value.Nil), line);
            case T.True: Next(); return At(new ConstExpr(Value.True), line);
            case T.False: Next(); return At(new ConstExpr(Value.False), line);
            case T.Dots:
                if (!_fs.P.IsVararg) throw _lx.Error("cannot use '...' outside a vararg function");
                Next();
                return At(new VarargExpr(), line);
            case T.LBrace: return ParseTable();
            case T.Function: Next(); return ParseFunctionBody("anonymous", line, isMethod: false);
            default: return ParseSuffixed();
        }
    }

    private Expr ParsePrimary()
    {
        var line = _lx.TokLine;
        if (Tok == T.Name) return ResolveName(ExpectName(), line);
        if (Tok == T.LParen)
        {
            Next();
            var e = ParseExpr();
            ExpectMatch(T.RParen, ")", "(", line);
            return e.IsMulti ? At(new ParenExpr(e) { Depth = e.Depth }, line) : e;
        }
        throw _lx.Error("unexpected symbol");
    }

    private Expr ParseSuffixed()
    {
        Enter();
        var e = ParsePrimary();
        while (true)
        {
            var line = _lx.TokLine;
            switch (Tok)
            {
                case T.Dot:
                {
                    Next();
                    var name = ExpectName();
                    ChargeName(name);
                    e = Op(new FieldExpr(e, Intern(name)), line, e);
                    break;
                }
                case T.LBracket:
                {
                    Next();
                    var k = ParseExpr();
                    Expect(T.RBracket, "]");
                    e = k is ConstExpr { V.IsString: true } c
                        ? Op(new FieldExpr(e, c.V.AsString), line, e)
                        : Op(new IndexExpr(e, k), line, e, k);
                    break;
                }
                case T.Colon:
                {
                    Next();
                    var name = ExpectName();
                    ChargeName(name);
                    var call = new MethodCallExpr(e, Intern(name));
                    call.Args = ParseArgs();
                    e = Op(call, line, [e, .. call.Args]);
                    break;
                }
                case T.LParen:
                case T.String:
                case T.LBrace:
                {
                    var call = new CallExpr(e);
                    call.Args = ParseArgs();
                    e = Op(call, line, [e, .. call.Args]);
                    break;
                }
                default:
                    Leave();
                    return e;
            }
        }
    }

    private Expr[] ParseArgs()
    {
        var line = _lx.TokLine;
        switch (Tok)
        {
            case T.String: { var s = _lx.Str!; Next(); return [At(new ConstExpr(Value.Str(new LuaString(s))), line)]; }
            case T.LBrace: return [ParseTable()];
            case T.LParen:
            {
                Next();
                if (Accept(T.RParen)) return [];
                var list = ParseExprList();
                ExpectMatch(T.RParen, ")", "(", line);
                return list;
            }
            default: throw _lx.Error("function arguments expected");
        }
    }

    private Expr ParseTable()
    {
        var line = _lx.TokLine;
        Expect(T.LBrace, "{");
        Enter();
        var items = new List<Expr>();
        var keyed = new List<(Expr, Expr)>();
        var children = new List<Expr>();
        while (Tok != T.RBrace)
        {
            if (Tok == T.LBracket)
            {
                Next();
                var k = ParseExpr();
                Expect(T.RBracket, "]");
                Expect(T.Assign, "=");
                var v = ParseExpr();
                keyed.Add((k, v));
                children.Add(k); children.Add(v);
            }
            else if (Tok == T.Name && PeekIsAssign())
            {
                var kline = _lx.TokLine;
                var k = At(new ConstExpr(Value.Str(Intern(ExpectName()))), kline);
                Expect(T.Assign, "=");
                var v = ParseExpr();
                keyed.Add((k, v));
                children.Add(v);
            }
            else
            {
                var v = ParseExpr();
                items.Add(v);
                children.Add(v);
            }
            _ops++;
            if (!Accept(T.Comma) && !Accept(T.Semi)) break;
        }
        ExpectMatch(T.RBrace, "}", "{", line);
        Leave();
        return Op(new TableExpr(items.ToArray(), keyed.ToArray()), line, children.ToArray());
    }

    // 'name =' inside a constructor is a keyed field; 'name' alone (or name == x) is a positional value.
    private bool PeekIsAssign() => _lx.PeekNextIsAssign();
}
