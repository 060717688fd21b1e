namespace Chainlab.Contracts.Vm.Compiler;

/// <summary>
/// Lua 5.4 source to the tree the interpreter runs, in one pass: names are resolved to slots, upvalues or globals
/// as they are read, each statement gets its fixed gas cost, and nesting is bounded (so neither compiling nor
/// running can exhaust the .NET stack). Not supported, with a clear syntax error: to-be-closed variables.
/// </summary>
internal sealed partial class Parser
{
    /// <summary>Nesting of blocks, expressions and functions the compiler accepts in a whole chunk (Lua's own limit is 200 C levels).</summary>
    public const int MaxLevels = 200;
    /// <summary>The deepest expression tree (operands of operands…), which bounds how deep evaluation recurses.</summary>
    public const int MaxExprDepth = 200;
    public const int MaxLocals = 200;
    public const int MaxUpvalues = 255;

    private sealed class Scope(Scope? parent, int activeStart, bool isLoop)
    {
        public readonly Scope? Parent = parent;
        public readonly int ActiveStart = activeStart;
        public readonly bool IsLoop = isLoop;
        public Dictionary<string, int>? Labels;
        /// <summary>Gotos not yet resolved: per label, the one that stood among the fewest locals (the strictest to check).</summary>
        public readonly Dictionary<string, (int Line, int Active)> Gotos = new();

        public void AddGoto(string label, int line, int active)
        {
            if (!Gotos.TryGetValue(label, out var g) || active < g.Active) Gotos[label] = (line, active);
        }
        /// <summary>Each label's statement index and the number of active locals where it stands.</summary>
        public readonly Dictionary<string, (int Index, int Active)> LabelInfo = new();
        public List<Stat>? Stats;
        public bool IsRepeat;
    }

    private sealed class Func(Func? parent, Proto proto, int level)
    {
        public readonly Func? Parent = parent;
        public readonly Proto P = proto;
        public readonly int StartLevel = level;
        public readonly List<LocalInfo> Active = new();
        /// <summary>The active locals by name, innermost last (so a lookup costs one dictionary probe).</summary>
        public readonly Dictionary<string, List<LocalInfo>> ActiveByName = new();

        public LocalInfo? Find(string name) => ActiveByName.TryGetValue(name, out var l) && l.Count > 0 ? l[^1] : null;
        public readonly List<LocalInfo> All = new();
        public readonly List<UpvalueSource> Upvalues = new();
        public readonly Dictionary<string, int> UpvalueIndex = new();
        /// <summary>Names already found to be globals here (until this function declares a local of that name).</summary>
        public readonly HashSet<string> KnownGlobals = new();
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
    public static Proto Compile(byte[] source, string chunk) => Compile(source, chunk, out _);

    public static Proto Compile(byte[] source, string chunk, out int tokens)
    {
        var p = new Parser(source, chunk);
        p._lx.Next();
        var main = new Proto { Name = "main chunk", Line = 0, IsVararg = true };
        p.OpenFunction(main);
        main.Body = p.ParseBlockBody(isLoop: false);
        if (p._lx.Tok != T.Eof) throw p._lx.Error("'<eof>' expected");
        p.CloseFunction();
        tokens = p._lx.Tokens;
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
        if (++_level > MaxLevels) throw _lx.Error($"chunk has too many syntax levels (more than {MaxLevels})");
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
        if (node.Depth > MaxExprDepth) throw _lx.Error($"expression too complex (nested more than {MaxExprDepth} deep)");
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
        _fs.KnownGlobals.Remove(name);
        _fs.Active.Add(l);
        if (!_fs.ActiveByName.TryGetValue(name, out var same)) _fs.ActiveByName[name] = same = new List<LocalInfo>(1);
        same.Add(l);
        _fs.All.Add(l);
        if (_fs.Active.Count > _fs.MaxSlots) _fs.MaxSlots = _fs.Active.Count;
        return l;
    }

    private void OpenScope(bool isLoop) => _fs.Scope = new Scope(_fs.Scope, _fs.Active.Count, isLoop);

    private void CloseScope()
    {
        var s = _fs.Scope!;
        // Labels from this index on are followed only by other labels: they end the block.
        var trailing = s.Stats?.Count ?? 0;
        while (s.Stats is { } st && trailing > 0 && st[trailing - 1] is NopStat) trailing--;
        foreach (var (name, g) in s.Gotos)
        {
            if (s.LabelInfo.TryGetValue(name, out var label))
            {
                // A label that ends its block (unless an until follows) has no local in scope, so jumping to it
                // skips nothing. Anywhere else, a forward jump may not enter the scope of a local declared
                // between the goto and the label.
                var atEnd = !s.IsRepeat && label.Index + 1 >= trailing;
                var active = atEnd ? s.ActiveStart : label.Active;
                if (active > g.Active)
                    throw new SyntaxError($"{_chunk}:{g.Line}: <goto {name}> at line {g.Line} jumps into the scope of local '{_fs.Active[g.Active].Name}'");
                continue;
            }
            if (s.Parent is null || IsFunctionRoot(s)) throw new SyntaxError($"{_chunk}:{g.Line}: no visible label '{name}' for goto");
            // Leaving this block: in the enclosing one the goto stands where the block started.
            s.Parent.AddGoto(name, g.Line, Math.Min(g.Active, s.ActiveStart));
        }
        for (var i = _fs.Active.Count - 1; i >= s.ActiveStart; i--) _fs.ActiveByName[_fs.Active[i].Name].RemoveAt(_fs.ActiveByName[_fs.Active[i].Name].Count - 1);
        _fs.Active.RemoveRange(s.ActiveStart, _fs.Active.Count - s.ActiveStart);
        _fs.Scope = s.Parent;
    }

    private bool IsFunctionRoot(Scope s) => s.Parent is null || _rootScopes.Contains(s);
    private readonly HashSet<Scope> _rootScopes = new();

    /// <summary>A name read in an expression: a local of this function, an upvalue, or a global.</summary>
    private Expr ResolveName(string name, int line)
    {
        if (_fs.Find(name) is { } l)
        {
            var e = At(new LocalExpr(l), line);
            l.Uses.Add(e);
            return e;
        }
        var up = FindUpvalue(_fs, name);
        if (up >= 0) return At(new UpvalExpr(up, name), line);
        ChargeName(name);
        return At(new GlobalExpr(Intern(name)), line);
    }

    // Looking a long name up compares it byte by byte: its statement pays for that.
    private void ChargeName(string name)
    {
        if (name.Length > 32) _ops += name.Length / 16;
    }

    private readonly Dictionary<string, LuaString> _names = new();

    /// <summary>One string object per name in a chunk: lookups of constant names then compare by reference.</summary>
    private LuaString Intern(string name)
    {
        if (!_names.TryGetValue(name, out var s)) _names[name] = s = LuaString.From(name);
        return s;
    }

    private int FindUpvalue(Func fs, string name)
    {
        if (fs.UpvalueIndex.TryGetValue(name, out var known)) return known;
        if (fs.Parent is null || fs.KnownGlobals.Contains(name)) return -1;
        var parent = fs.Parent;
        if (parent.Find(name) is { } l)
        {
            l.Captured = true;
            return AddUpvalue(fs, new UpvalueSource(true, l.Slot, name));
        }
        var outer = FindUpvalue(parent, name);
        if (outer < 0)
        {
            fs.KnownGlobals.Add(name);
            return -1;
        }
        return AddUpvalue(fs, new UpvalueSource(false, outer, name));
    }

    private int AddUpvalue(Func fs, UpvalueSource u)
    {
        if (fs.Upvalues.Count >= MaxUpvalues) throw _lx.Error($"too many upvalues (limit is {MaxUpvalues})");
        fs.Upvalues.Add(u);
        fs.UpvalueIndex[u.Name] = fs.Upvalues.Count - 1;
        return fs.Upvalues.Count - 1;
    }
}
