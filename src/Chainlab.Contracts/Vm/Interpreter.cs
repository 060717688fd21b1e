using System.Collections.Concurrent;
using Chainlab.Contracts.Vm.Compiler;
using Chainlab.Core.Crypto;

namespace Chainlab.Contracts.Vm;

/// <summary>
/// The entry to the VM: source compiled once per process (the compile is charged per byte on every frame whether
/// or not it was cached, so the cache changes only speed), the read-only library every contract sees, and the
/// functions that need the interpreter's unwinding (pcall, xpcall, error).
/// </summary>
public static class Interpreter
{
    // The cache is bounded by the size of the trees it holds (tokens compiled; a tree takes ~100 bytes a token).
    private const long CacheTokens = 1_000_000;
    private static readonly ConcurrentDictionary<Hash, Compiled> Cache = new();
    private static long _cachedTokens;

    /// <summary>A compiled chunk, or its syntax error.</summary>
    public sealed class Compiled
    {
        internal Proto? Main;
        public string? Error { get; internal init; }
    }

    /// <summary>The chunk of a source, compiled or from the cache.</summary>
    public static Compiled Compile(byte[] source, string chunk = "contract", Hash? sourceHash = null)
    {
        var key = sourceHash ?? Hash.Sha256(source);
        if (Cache.TryGetValue(key, out var hit)) return hit;
        Compiled result;
        var tokens = 1;
        try { result = new Compiled { Main = Parser.Compile(source, chunk, out tokens) }; }
        catch (SyntaxError e) { result = new Compiled { Error = e.Message.Length > 400 ? e.Message[..400] + "…" : e.Message }; }
        if (Interlocked.Add(ref _cachedTokens, tokens) > CacheTokens)
        {
            Cache.Clear();
            Interlocked.Exchange(ref _cachedTokens, tokens);
        }
        Cache[key] = result;
        return result;
    }

    /// <summary>Runs a compiled chunk's main function with these globals; its functions land in <paramref name="globals"/>.</summary>
    public static void RunMain(Machine m, Compiled chunk, LuaTable globals)
    {
        var closure = new LuaClosure(chunk.Main!, [], new Globals(globals, Library));
        closure.Call(m, Value.None);
    }

    /// <summary>The library every contract reads through its globals (read-only, shared by all frames).</summary>
    public static readonly LuaTable Library = BuildLibrary();

    private static LuaTable BuildLibrary()
    {
        var lib = new LuaTable(null);
        Ops.StringLibrary = StringLib.Create();
        BaseLib.Register(lib);
        lib.Put("pcall", Value.Func(new Builtin("pcall", PCall)));
        lib.Put("xpcall", Value.Func(new Builtin("xpcall", XPCall)));
        lib.Put("error", Value.Func(new Builtin("error", Error)));
        lib.Put("string", Value.Table(Ops.StringLibrary));
        lib.Put("table", Value.Table(TableLib.Create()));
        lib.Put("math", Value.Table(MathLib.Create()));
        lib.Put("utf8", Value.Table(Utf8Lib.Create()));
        lib.ReadOnly = true;
        return lib;
    }

    private static Value[] PCall(Machine m, Value[] args)
    {
        if (args.Length == 0) throw Args.Bad(m, 0, "pcall", "value expected");
        return Protected(m, args, 1, null);
    }

    private static Value[] XPCall(Machine m, Value[] args)
    {
        if (args.Length < 2) throw Args.Bad(m, 1, "xpcall", "value expected");
        var handler = args[1].O as LuaFunction ?? throw Args.Expected(m, args, 1, "xpcall", "function");
        return Protected(m, args, 2, handler);
    }

    /// <summary>
    /// Calls args[0] with the arguments from <paramref name="from"/> on: true and its results, or false and the
    /// error (or, with a handler, what the handler returns for it, called after unwinding).
    /// </summary>
    private static Value[] Protected(Machine m, Value[] args, int from, LuaFunction? handler)
    {
        var (depth, stack, line) = (m.Depth, m.StackUse, m.Line);
        Value[] r;
        bool ok;
        try
        {
            var fn = args[0].O as LuaFunction ?? throw m.Error($"attempt to call a {args[0].TypeName} value");
            m.Charge(args.Length / 4);
            r = fn.Call(m, args[from..]);
            ok = true;
        }
        catch (LuaError e)
        {
            Caught(m, depth, stack, line);
            r = handler is null ? [e.Value] : handler.Call(m, [e.Value]);
            ok = false;
        }
        var all = new Value[r.Length + 1];
        all[0] = Value.Bool(ok);
        r.CopyTo(all, 1);
        return all;
    }

    /// <summary>After an error unwound calls: the stack as it was, and the unwinding paid for (per call level it crossed).</summary>
    internal static void Caught(Machine m, int depth, int stack, int line)
    {
        // .NET unwinds frame by frame: a call level may hold a hundred nested blocks, so the nesting it reserved
        // (its stack units) is paid for as well as the levels.
        var levels = Math.Max(0, m.Depth - depth);
        var units = Math.Max(0, m.StackUse - stack);
        m.Unwind(depth, stack, line);
        m.Charge(Gas.ErrorCaught + levels * Gas.ErrorPerLevel + units * Gas.ErrorPerStackUnit);
    }

    private static Value[] Error(Machine m, Value[] args)
    {
        var v = args.Length > 0 ? args[0] : Value.Nil;
        var level = Args.OptInt(m, args, 1, "error", 1);
        if (v.IsString && level > 0) v = m.Str([.. System.Text.Encoding.UTF8.GetBytes(m.Where((int)Math.Min(level, Machine.MaxDepth + 1))), .. v.AsString.Bytes]);
        throw new LuaError(v);
    }
}
