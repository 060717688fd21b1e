namespace Chainlab.Contracts.Vm.Compiler;

/// <summary>
/// Lua 5.4 source to the tree the interpreter runs, in one pass: names are resolved to slots, upvalues or globals
/// as they are read, each statement gets its fixed gas cost, and nesting is bounded (so neither compiling nor
/// running can exhaust the .NET stack). Not supported, with a clear syntax error: to-be-closed variables.
/// </summary>
internal sealed class Parser
{
    /// <summary>Nesting of blocks and expressions the compiler accepts (Lua's own limit is 200 C levels).</summary>
    public const int MaxLevels = 100;
    public const int MaxLocals = 200;
    public const int MaxUpvalues = 255;

    private sealed class Scope(Scope? parent, int activeStart, bool isLoop)
    {
        public readonly Scope? Parent = parent;
        public readonly int ActiveStart = activeStart;
        public readonly bool IsLoop = isLoop;
        public Dictionary<string, int>? Labels;
        public readonly List<(string Label, int Line)> Gotos = new();
    }

    private sealed class Func(Func? parent, Proto proto, int level)
    {
        public readonly Func? Parent = parent;
        public readonly Proto P = proto;
        public readonly int StartLevel = level;
        public readonly List<LocalInfo> Active = new();
        public readonly List<LocalInfo> All = new();
        public readonly List<UpvalueSource> Upvalues = new();
        public Scope? Scope;
        public int MaxSlots;
        public int MaxLevel;
    }

    private readonly Lexer _lx;
    private readonly string _chunk;
    private Func _fs = null!;
    private int _level;
    private int _ops;

    private Parser(byte[] source, string chunk)
    {
        _lx = new Lexer(source, chunk);
        _chunk = chunk;
    }

    /// <summary>The main function of a chunk (a vararg function of no parameters), or a <see cref="SyntaxError"/>.</summary>
    public static Proto Compile(byte[] source, string chunk)
    {
        var p = new Parser(source, chunk);
        p._lx.Next();
        var main = new Proto { Name = "main chunk", Line = 0, IsVararg = true };
        p.OpenFunction(main);
        main.Body = p.ParseBlockBody(isLoop: false);
        if (p._lx.Tok != T.Eof) throw p._lx.Error("'<eof>' expected");
        p.CloseFunction();
        return main;
    }

    // ---------------------------------------------------------------- helpers

    private T Tok => _lx.Tok;
    private void Next() => _lx.Next();

    private bool Accept(T t)
    {
        if (_lx.Tok != t) return false;
        _lx.Next();
        return true;
    }

    private void Expect(T t, string what)
    {
        if (_lx.Tok != t) throw _lx.Error($"'{what}' expected");
        _lx.Next();
    }

    private void ExpectMatch(T t, string what, string open, int line)
    {
        if (_lx.Tok == t) { _lx.Next(); return; }
        if (line == _lx.TokLine) throw _lx.Error($"'{what}' expected");
        throw _lx.Error($"'{what}' expected (to close '{open}' at line {line})");
    }

    private string ExpectName()
    {
        if (_lx.Tok != T.Name) throw _lx.Error("<name> expected");
        var n = _lx.Name!;
        _lx.Next();
        return n;
    }

    private void Enter()
    {
        if (++_level - _fs.StartLevel > MaxLevels) throw _lx.Error($"chunk has too many syntax levels (more than {MaxLevels})");
        if (_level > _fs.MaxLevel) _fs.MaxLevel = _level;
    }

    private void Leave() => _level--;

    private T2 At<T2>(T2 node, int line) where T2 : Expr
    {
        node.Line = line;
        return node;
    }

    private Expr Op(Expr node, int line, params Expr[] children)
    {
        _ops++;
        node.Line = line;
        var d = 0;
        foreach (var c in children) d = Math.Max(d, c.Depth);
        node.Depth = d + 1;
        if (node.Depth > MaxLevels) throw _lx.Error($"expression too complex (nested more than {MaxLevels} deep)");
        if (node.Depth + (_level - _fs.StartLevel) > _fs.MaxLevel - _fs.StartLevel)
            _fs.MaxLevel = _fs.StartLevel + node.Depth + (_level - _fs.StartLevel);
        return node;
    }

    // ---------------------------------------------------------------- functions, scopes, names

    private void OpenFunction(Proto p)
    {
        _fs = new Func(_fs, p, _level);
        _fs.MaxLevel = _level;
    }

    private void CloseFunction()
    {
        var fs = _fs;
        foreach (var l in fs.All)
            if (l.Captured) foreach (var u in l.Uses) u.Captured = true;
        fs.P.Slots = Math.Max(fs.MaxSlots, 1);
        fs.P.Upvalues = fs.Upvalues.ToArray();
        fs.P.StackCost = 4 + (fs.MaxLevel - fs.StartLevel);
        _fs = fs.Parent!;
    }

    private LocalInfo Declare(string name)
    {
        if (_fs.Active.Count >= MaxLocals) throw _lx.Error($"too many local variables (limit is {MaxLocals})");
        var l = new LocalInfo(name, _fs.Active.Count);
        _fs.Active.Add(l);
        _fs.All.Add(l);
        if (_fs.Active.Count > _fs.MaxSlots) _fs.MaxSlots = _fs.Active.Count;
        return l;
    }

    private void OpenScope(bool isLoop) => _fs.Scope = new Scope(_fs.Scope, _fs.Active.Count, isLoop);

    private void CloseScope()
    {
        var s = _fs.Scope!;
        // A goto leaves its block when the label is not there; it must find it in an enclosing one.
        foreach (var g in s.Gotos)
        {
            if (s.Labels?.ContainsKey(g.Label) == true) continue;
            if (s.Parent is null || IsFunctionRoot(s)) throw new SyntaxError($"{_chunk}:{g.Line}: no visible label '{g.Label}' for goto");
            s.Parent.Gotos.Add(g);
        }
        _fs.Active.RemoveRange(s.ActiveStart, _fs.Active.Count - s.ActiveStart);
        _fs.Scope = s.Parent;
    }

    private bool IsFunctionRoot(Scope s) => s.Parent is null || _rootScopes.Contains(s);
    private readonly HashSet<Scope> _rootScopes = new();

    /// <summary>A name read in an expression: a local of this function, an upvalue, or a global.</summary>
    private Expr ResolveName(string name, int line)
    {
        for (var i = _fs.Active.Count - 1; i >= 0; i--)
        {
            var l = _fs.Active[i];
            if (l.Name == name)
            {
                var e = At(new LocalExpr(l), line);
                l.Uses.Add(e);
                return e;
            }
        }
        var up = FindUpvalue(_fs, name);
        if (up >= 0) return At(new UpvalExpr(up, name), line);
        return At(new GlobalExpr(LuaString.From(name)), line);
    }

    private int FindUpvalue(Func fs, string name)
    {
        for (var i = 0; i < fs.Upvalues.Count; i++) if (fs.Upvalues[i].Name == name) return i;
        if (fs.Parent is null) return -1;
        var parent = fs.Parent;
        for (var i = parent.Active.Count - 1; i >= 0; i--)
        {
            var l = parent.Active[i];
            if (l.Name != name) continue;
            l.Captured = true;
            return AddUpvalue(fs, new UpvalueSource(true, l.Slot, name));
        }
        var outer = FindUpvalue(parent, name);
        return outer < 0 ? -1 : AddUpvalue(fs, new UpvalueSource(false, outer, name));
    }

    private int AddUpvalue(Func fs, UpvalueSource u)
    {
        if (fs.Upvalues.Count >= MaxUpvalues) throw _lx.Error($"too many upvalues (limit is {MaxUpvalues})");
        fs.Upvalues.Add(u);
        return fs.Upvalues.Count - 1;
    }

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
            _currentIndex = stats.Count;
            var s = ParseStatement();
            if (s is not null) stats.Add(s);
        }
        _ops = savedOps;
        Leave();
        var scope = _fs.Scope!;
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
                scope.Labels[name] = _labelIndex;
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
                _fs.Scope!.Gotos.Add((name, line));
                return Stamp(new GotoStat(name), line);
            }
            default: return ParseExprStat(line);
        }
    }

    // The index a label gets in its block: the count of statements before it (set by the statement loop).
    private int _labelIndex => _currentIndex;
    private int _currentIndex;

    private Stat ParseIf(int line)
    {
        var conds = new List<Expr>();
        var blocks = new List<Block>();
        Block? otherwise = null;
        var ops = 0;
        Next();
        _ops = 0;
        conds.Add(ParseExpr());
        ops += _ops;
        Expect(T.Then, "then");
        blocks.Add(ParseBlockBody(isLoop: false));
        while (Tok == T.Elseif)
        {
            Next();
            _ops = 0;
            conds.Add(ParseExpr());
            ops += _ops;
            Expect(T.Then, "then");
            blocks.Add(ParseBlockBody(isLoop: false));
        }
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
            target = Op(new FieldExpr(target, LuaString.From(key)), line, target);
            if (isMethod) break;
        }
        var fn = ParseFunctionBody(fullName, line, isMethod);
        return Stamp(new AssignStat([target], [fn]), line);
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
        var fn = _fs;
        CloseFunction();
        _ops = savedOps;
        _ = fn;
        return (FunctionExpr)Op(new FunctionExpr(proto), line);
    }

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
                    e = Op(new FieldExpr(e, LuaString.From(name)), line, e);
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
                    var call = new MethodCallExpr(e, LuaString.From(name));
                    call.Args = ParseArgs();
                    e = Op(call, line, [e, .. call.Args]);
                    break;
                }
                case T.LParen: case T.String: case T.LBrace:
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
                var k = At(new ConstExpr(Value.Str(LuaString.From(ExpectName()))), kline);
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
