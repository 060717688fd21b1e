namespace Chainlab.Contracts.Vm.Compiler;

/// <summary>
/// Lua 5.4 source to the tree the interpreter runs, in one pass: names are resolved to slots, upvalues or globals
/// as they are read, each statement gets its fixed gas cost, and nesting is bounded (so neither compiling nor
/// running can exhaust the .NET stack). Not supported, with a clear syntax error: to-be-closed variables.
/// </summary>
internal sealed partial class Parser
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
}
