namespace Chainlab.Contracts.Vm.Compiler;

/// <summary>Blocks, statements (each stamped with its gas cost) and function bodies.</summary>
internal sealed partial class Parser
{
    // ---------------------------------------------------------------- blocks and statements

    private static bool BlockFollows(T t, bool withUntil) =>
        t is T.Else or T.Elseif or T.End or T.Eof || (withUntil && t == T.Until);

    /// <summary>A block in its own scope.</summary>
    private Block ParseBlockBody(bool isLoop)
    {
        OpenScope(isLoop);
        var b = ParseStatements();
        CloseScope();
        return b;
    }

    private Block ParseStatements()
    {
        Enter();
        var savedOps = _ops;
        var stats = new List<Stat>();
        while (!BlockFollows(Tok, withUntil: true))
        {
            if (Tok == T.Return)
            {
                stats.Add(ParseReturn());
                break;
            }
            _statementIndex = stats.Count;
            var s = ParseStatement();
            if (s is not null) stats.Add(s);
        }
        _ops = savedOps;
        Leave();
        var scope = _fs.Scope!;
        scope.Stats = stats;
        return new Block(stats.ToArray(), scope.Labels);
    }

    private Stat ParseReturn()
    {
        var line = _lx.TokLine;
        Next();
        _ops = 0;
        Expr[] exprs = BlockFollows(Tok, true) || Tok == T.Semi ? [] : ParseExprList();
        Accept(T.Semi);
        if (!BlockFollows(Tok, true)) throw _lx.Error("'<eof>' expected");
        return Stamp(new ReturnStat(exprs), line);
    }

    private Stat Stamp(Stat s, int line)
    {
        s.Line = line;
        s.Cost = 1 + _ops;
        return s;
    }

    private Stat? ParseStatement()
    {
        var line = _lx.TokLine;
        _ops = 0;
        switch (Tok)
        {
            case T.Semi: Next(); return null;
            case T.If: return ParseIf(line);
            case T.While:
            {
                Next();
                var cond = ParseExpr();
                var condCost = 1 + _ops;
                Expect(T.Do, "do");
                var body = ParseBlockBody(isLoop: true);
                ExpectMatch(T.End, "end", "while", line);
                _ops = condCost - 1;
                return Stamp(new WhileStat(cond, condCost, body), line);
            }
            case T.Do:
            {
                Next();
                var body = ParseBlockBody(isLoop: false);
                ExpectMatch(T.End, "end", "do", line);
                _ops = 0;
                return Stamp(new DoStat(body), line);
            }
            case T.For: return ParseFor(line);
            case T.Repeat:
            {
                Next();
                OpenScope(isLoop: true);
                _fs.Scope!.IsRepeat = true;
                var body = ParseStatements();
                ExpectMatch(T.Until, "until", "repeat", line);
                _ops = 0;
                var cond = ParseExpr();
                var condCost = 1 + _ops;
                CloseScope();
                _ops = 0;
                return Stamp(new RepeatStat(body, cond, condCost), line);
            }
            case T.Function: return ParseFunctionStat(line);
            case T.Local:
                Next();
                return Accept(T.Function) ? ParseLocalFunction(line) : ParseLocal(line);
            case T.DColon:
            {
                Next();
                var name = ExpectName();
                Expect(T.DColon, "::");
                var scope = _fs.Scope!;
                for (var s = scope; s is not null; s = s.Parent)
                {
                    if (s.Labels?.ContainsKey(name) == true) throw new SyntaxError($"{_chunk}:{line}: label '{name}' already defined");
                    if (_rootScopes.Contains(s)) break;
                }
                scope.Labels ??= new();
                scope.Labels[name] = _statementIndex;
                scope.LabelInfo[name] = (_statementIndex, _fs.Active.Count);
                return Stamp(new NopStat(), line);
            }
            case T.Return: throw _lx.Error("unexpected return");
            case T.Break:
            {
                Next();
                var inLoop = false;
                for (var s = _fs.Scope; s is not null; s = s.Parent)
                {
                    if (s.IsLoop) { inLoop = true; break; }
                    if (_rootScopes.Contains(s)) break;
                }
                if (!inLoop) throw new SyntaxError($"{_chunk}:{line}: break outside a loop at line {line}");
                return Stamp(new BreakStat(), line);
            }
            case T.Goto:
            {
                Next();
                var name = ExpectName();
                _fs.Scope!.AddGoto(name, line, _fs.Active.Count);
                return Stamp(new GotoStat(name), line);
            }
            default: return ParseExprStat(line);
        }
    }

    // The index a label gets in its block: the count of statements before it (set by the statement loop).
    private int _statementIndex;

    private Stat ParseIf(int line)
    {
        var conds = new List<Expr>();
        var blocks = new List<Block>();
        Block? otherwise = null;
        var ops = 0;
        do
        {
            Next(); // 'if' or 'elseif'
            _ops = 0;
            conds.Add(ParseExpr());
            ops += _ops;
            Expect(T.Then, "then");
            blocks.Add(ParseBlockBody(isLoop: false));
        } while (Tok == T.Elseif);
        if (Accept(T.Else)) otherwise = ParseBlockBody(isLoop: false);
        ExpectMatch(T.End, "end", "if", line);
        _ops = ops;
        return Stamp(new IfStat(conds.ToArray(), blocks.ToArray(), otherwise), line);
    }

    private Stat ParseFor(int line)
    {
        Next();
        var first = ExpectName();
        if (Tok == T.Assign)
        {
            Next();
            _ops = 0;
            var start = ParseExpr();
            Expect(T.Comma, ",");
            var limit = ParseExpr();
            Expr? step = null;
            if (Accept(T.Comma)) step = ParseExpr();
            var ops = _ops;
            Expect(T.Do, "do");
            OpenScope(isLoop: true);
            var v = Declare(first);
            var body = ParseStatements();
            CloseScope();
            ExpectMatch(T.End, "end", "for", line);
            _ops = ops;
            return Stamp(new NumForStat(v, start, limit, step, body), line);
        }
        var names = new List<string> { first };
        while (Accept(T.Comma)) names.Add(ExpectName());
        Expect(T.In, "in");
        _ops = 0;
        var exprs = ParseExprList();
        var ops2 = _ops;
        Expect(T.Do, "do");
        OpenScope(isLoop: true);
        var vars = names.Select(Declare).ToArray();
        var b = ParseStatements();
        CloseScope();
        ExpectMatch(T.End, "end", "for", line);
        _ops = ops2;
        return Stamp(new GenForStat(vars, exprs, b), line);
    }

    private Stat ParseFunctionStat(int line)
    {
        Next();
        var n1 = ExpectName();
        var target = ResolveName(n1, line);
        var fullName = n1;
        var isMethod = false;
        while (Tok is T.Dot or T.Colon)
        {
            isMethod = Tok == T.Colon;
            Next();
            var key = ExpectName();
            fullName += (isMethod ? ":" : ".") + key;
            ChargeName(key);
            target = Op(new FieldExpr(target, Intern(key)), line, target);
            if (isMethod) break;
        }
        var fn = ParseFunctionBody(fullName, line, isMethod);
        return Stamp(new SetOneStat(target, fn), line);
    }

    private Stat ParseLocalFunction(int line)
    {
        var name = ExpectName();
        var l = Declare(name);
        var fn = ParseFunctionBody(name, line, isMethod: false);
        return Stamp(new LocalFunctionStat(l, fn), line);
    }

    private Stat ParseLocal(int line)
    {
        var names = new List<(string Name, bool Const)>();
        do
        {
            var n = ExpectName();
            var isConst = false;
            if (Accept(T.Lt))
            {
                var attr = ExpectName();
                if (attr == "close") throw _lx.Error("to-be-closed variables are not available in contracts", near: false);
                if (attr != "const") throw new SyntaxError($"{_chunk}:{line}: unknown attribute '{attr}'");
                isConst = true;
                Expect(T.Gt, ">");
            }
            names.Add((n, isConst));
        } while (Accept(T.Comma));
        var exprs = Accept(T.Assign) ? ParseExprList() : [];
        // Declared after the expressions: "local x = x" reads the outer x.
        var targets = names.Select(n => { var l = Declare(n.Name); l.Const = n.Const; return l; }).ToArray();
        return Stamp(new LocalStat(targets, exprs), line);
    }

    private Stat ParseExprStat(int line)
    {
        var e = ParseSuffixed();
        if (Tok is T.Assign or T.Comma)
        {
            var targets = new List<Expr> { CheckTarget(e) };
            while (Accept(T.Comma)) targets.Add(CheckTarget(ParseSuffixed()));
            Expect(T.Assign, "=");
            var exprs = ParseExprList();
            if (targets.Count == 1 && exprs.Length == 1 && targets[0] is LocalExpr l && !exprs[0].IsMulti)
                return Stamp(new SetLocalStat(l, exprs[0]), line);
            if (targets.Count == 1 && exprs.Length == 1) return Stamp(new SetOneStat(targets[0], exprs[0]), line);
            return Stamp(new AssignStat(targets.ToArray(), exprs), line);
        }
        if (e is not CallBase call) throw _lx.Error("syntax error");
        return Stamp(new ExprStat(call), line);
    }

    private Expr CheckTarget(Expr e)
    {
        if (e is LocalExpr { Info.Const: true } l) throw _lx.Error($"attempt to assign to const variable '{l.Info.Name}'", near: false);
        if (e is LocalExpr or UpvalExpr or GlobalExpr or IndexExpr or FieldExpr) return e;
        throw _lx.Error("syntax error");
    }

    // ---------------------------------------------------------------- functions

    private FunctionExpr ParseFunctionBody(string name, int line, bool isMethod)
    {
        var savedOps = _ops;
        var proto = new Proto { Name = name, Line = line };
        OpenFunction(proto);
        OpenScope(isLoop: false);
        _rootScopes.Add(_fs.Scope!);
        var pars = new List<LocalInfo>();
        if (isMethod) pars.Add(Declare("self"));
        Expect(T.LParen, "(");
        if (Tok != T.RParen)
        {
            do
            {
                if (Accept(T.Dots)) { proto.IsVararg = true; break; }
                pars.Add(Declare(ExpectName()));
            } while (Accept(T.Comma));
        }
        Expect(T.RParen, ")");
        proto.Params = pars.Count;
        proto.Body = ParseStatements();
        ExpectMatch(T.End, "end", "function", line);
        CloseScope();
        proto.ParamCaptured = pars.Any(p => p.Captured) ? pars.Select(p => p.Captured).ToArray() : [];
        CloseFunction();
        _ops = savedOps;
        return (FunctionExpr)Op(new FunctionExpr(proto), line);
    }
}
