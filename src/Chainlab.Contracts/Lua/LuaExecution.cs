using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using static Chainlab.Contracts.Lua.LuaApi;

namespace Chainlab.Contracts.Lua;

/// <summary>Why execution stopped before the contract finished.</summary>
public enum Stop { None, OutOfGas, OutOfMemory }

/// <summary>One call into a contract: who calls what, with which coins and arguments.</summary>
public sealed record ContractCall(Address Contract, Address Caller, ulong Amount, string Function,
    IReadOnlyList<ContractValue> Arguments, bool Deploying = false);

/// <summary>The result of a call: a value, or an error sentence.</summary>
public sealed record CallResult(bool Ok, ContractValue Value, string? Error)
{
    public static CallResult Fail(string error) => new(false, ContractValue.Nil, error);
}

/// <summary>
/// One transaction's (or one view call's) run of contract code. Gas and memory are shared by every frame of
/// the run; each frame is a fresh Lua state (so nothing survives between calls but storage) whose changes go
/// to an overlay that is merged into its caller's only when it succeeds. Lua errors never unwind through .NET
/// frames: host functions report failure as return values and the Lua side raises; the instruction hook stops
/// a run by yielding its coroutine. See docs/decisions/0003-contract-sandbox.md.
/// </summary>
public sealed unsafe partial class LuaExecution
{
    /// <summary>The count hook fires every this many instructions and charges them together.</summary>
    public const int HookInterval = 100;

    [ThreadStatic] private static LuaExecution? _current;

    private readonly ContractSpec _limits;
    private readonly Stack<Frame> _frames = new();
    private bool _inHost = true;
    private bool _poisoned;
    private long _memory;

    public LuaExecution(ContractSpec limits, ulong gasLimit, Address origin, ulong height, ulong timeMs, bool readOnly)
    {
        _limits = limits; GasLimit = gasLimit; Origin = origin; Height = height; TimeMs = timeMs; ReadOnly = readOnly;
    }

    public ulong GasLimit { get; }
    public ulong GasUsed { get; private set; }
    /// <summary>Lua instructions run, counted by the hook (a multiple of <see cref="HookInterval"/>).</summary>
    public ulong Instructions { get; private set; }
    public Stop Stopped { get; private set; }
    public Address Origin { get; }
    public ulong Height { get; }
    public ulong TimeMs { get; }
    public bool ReadOnly { get; }
    /// <summary>Events of the frames that succeeded, in order.</summary>
    public List<ContractEvent> Events { get; } = new();
    /// <summary>Highest memory the run held at once, in bytes.</summary>
    public long PeakMemory { get; private set; }

    /// <summary>Charges gas outside the hook; false (and the run is stopping) when the limit is passed.</summary>
    public bool Charge(ulong gas)
    {
        GasUsed = GasUsed + gas < GasUsed ? ulong.MaxValue : GasUsed + gas;
        if (GasUsed > GasLimit && Stopped == Stop.None) Stopped = Stop.OutOfGas;
        return Stopped == Stop.None;
    }

    public string StopMessage => Stopped switch
    {
        Stop.OutOfGas => $"out of gas (limit {GasLimit})",
        Stop.OutOfMemory => $"out of memory (limit {_limits.MemoryBytes} bytes)",
        _ => "",
    };

    /// <summary>
    /// Runs a call on <paramref name="state"/>: on success the frame's writes and events are in it; on failure
    /// nothing the call did remains. The caller handles coins sent with the top-level call.
    /// </summary>
    public CallResult Run(StateOverlay state, ContractCall call, byte[]? code = null)
    {
        var previous = _current;
        _current = this;
        try { return RunFrame(state, call, code); }
        finally { _current = previous; }
    }

    private sealed class Frame(StateOverlay state, ContractCall call)
    {
        public readonly StateOverlay State = state;
        public readonly ContractCall Call = call;
        public readonly List<ContractEvent> Events = new();
    }

    private CallResult RunFrame(StateOverlay parent, ContractCall call, byte[]? code)
    {
        if (_frames.Count >= _limits.CallDepth) return CallResult.Fail($"call depth limit of {_limits.CallDepth} reached");
        if (!Charge(Gas.Frame)) return CallResult.Fail(StopMessage);
        var state = new StateOverlay(parent);
        if (code is null)
        {
            if (ContractState.CodeHashOf(state, call.Contract) is not { } hash || ContractState.Code(state, hash) is not { } stored)
                return CallResult.Fail($"there is no contract at {call.Contract}");
            code = stored;
        }
        if (call.Amount > 0)
        {
            var moved = MoveCoins(state, call.Caller, call.Contract, call.Amount);
            if (moved is not null) return CallResult.Fail(moved);
        }
        var frame = new Frame(state, call);
        _frames.Push(frame);
        var wasInHost = _inHost;
        _inHost = true;
        // The state is built with the C allocator (no call into .NET per allocation): setting it up is the same
        // fixed work on every node, paid by Gas.Frame. Execute switches to the metering allocator just before the
        // contract runs, starting its count from Lua's own; the frame is closed with the C allocator again.
        var L = luaL_newstate();
        var metered = false;
        try
        {
            if (L == IntPtr.Zero) return CallResult.Fail("the contract runtime could not start");
            var result = Execute(L, frame, code, ref metered);
            if (Stopped != Stop.None) return CallResult.Fail(StopMessage);
            if (!result.Ok) return result;
            foreach (var (a, acc) in state.Changes) parent.Set(a, acc);
            if (_frames.Count > 1) _frames.ElementAt(1).Events.AddRange(frame.Events);
            else Events.AddRange(frame.Events);
            return result;
        }
        finally
        {
            if (L != IntPtr.Zero)
            {
                if (metered)
                {
                    _memory -= AllocatedBytes(L);
                    lua_setallocf(L, CAllocator, IntPtr.Zero);
                }
                lua_close(L);
            }
            _frames.Pop();
            _inHost = wasInHost;
        }
    }

    private CallResult Execute(IntPtr L, Frame frame, byte[] code, ref bool metered)
    {
        OpenSandboxLibraries(L);
        if (Load(L, Compiled.Prelude, "=prelude", "b") != LUA_OK) return CallResult.Fail("the contract runtime could not load: " + ErrorText(L, -1));
        PushHost(L);
        PushContext(L, frame.Call);
        if (lua_pcallk(L, 2, 2, 0, IntPtr.Zero, IntPtr.Zero) != LUA_OK) return CallResult.Fail("the contract runtime could not start: " + ErrorText(L, -1));
        // stack: run env
        var (bytecode, syntax) = Compiled.Contract(code);
        if (bytecode is null) return CallResult.Fail(syntax!);
        if (Load(L, bytecode, "=contract", "b") != LUA_OK) return CallResult.Fail(ErrorText(L, -1));
        lua_pushvalue(L, 2);
        if (lua_setupvalue(L, 3, 1) == IntPtr.Zero) return CallResult.Fail("the contract chunk has no environment");
        var thread = lua_newthread(L);                 // stack: run env chunk thread
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 3);
        PushText(L, frame.Call.Function);
        lua_pushboolean(L, frame.Call.Deploying ? 1 : 0);
        if (lua_checkstack(L, frame.Call.Arguments.Count + 8) == 0) return CallResult.Fail("too many arguments");
        foreach (var a in frame.Call.Arguments) PushValue(L, a);
        var nargs = 3 + frame.Call.Arguments.Count;
        lua_xmove(L, thread, nargs + 1);
        lua_sethook(thread, &Hook, MASKCOUNT, HookInterval);
        _memory += AllocatedBytes(L);
        if (_memory > PeakMemory) PeakMemory = _memory;
        lua_setallocf(L, (IntPtr)(delegate* unmanaged<IntPtr, IntPtr, nuint, nuint, IntPtr>)&Allocate, IntPtr.Zero);
        metered = true;
        _inHost = false;
        var status = lua_resume(thread, L, nargs, out var nresults);
        _inHost = true;
        if (Stopped != Stop.None) return CallResult.Fail(StopMessage);
        if (status == LUA_YIELD) return CallResult.Fail("the contract yielded, which contracts cannot do");
        if (status != LUA_OK) return CallResult.Fail(ErrorText(thread, -1));
        if (nresults == 0) return new CallResult(true, ContractValue.Nil, null);
        try
        {
            var value = ReadValue(thread, -1, 0);
            var size = value.Encode().Length;
            if (size > _limits.ValueBytes) return CallResult.Fail($"the return value is {size} bytes, more than the limit of {_limits.ValueBytes}");
            return new CallResult(true, value, null);
        }
        catch (BoundaryException e) { return CallResult.Fail("return value: " + e.Message); }
    }

    private static int Load(IntPtr L, byte[] chunk, string name, string mode)
    {
        var n = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        var m = System.Text.Encoding.ASCII.GetBytes(mode + "\0");
        fixed (byte* c = chunk) fixed (byte* pn = n) fixed (byte* pm = m)
            return luaL_loadbufferx(L, c, (nuint)chunk.Length, pn, pm);
    }

    private const int MaxErrorBytes = 400;

    private static string ErrorText(IntPtr L, int idx)
    {
        var t = lua_type(L, idx);
        if (t == TSTRING)
        {
            var b = Bytes(L, idx);
            var s = System.Text.Encoding.UTF8.GetString(b.Length > MaxErrorBytes ? b[..MaxErrorBytes] : b);
            return b.Length > MaxErrorBytes ? s + "…" : s;
        }
        if (t == TNUMBER) return lua_isinteger(L, idx) != 0 ? lua_tointegerx(L, idx, out _).ToString() : "(a number)";
        return $"(error object is a {TypeName(t)} value)";
    }

    private static string TypeName(int t) => t switch
    {
        TNIL => "nil", TBOOLEAN => "boolean", TNUMBER => "number", TSTRING => "string", TTABLE => "table",
        TFUNCTION => "function", TTHREAD => "thread", _ => "userdata",
    };

    // ---------------------------------------------------------------- allocator and hook

    [UnmanagedCallersOnly]
    private static IntPtr Allocate(IntPtr ud, IntPtr ptr, nuint osize, nuint nsize)
    {
        var ex = _current!;
        if (nsize == 0)
        {
            if (ptr != IntPtr.Zero) { NativeMemory.Free((void*)ptr); ex._memory -= (long)osize; }
            return IntPtr.Zero;
        }
        var old = ptr == IntPtr.Zero ? 0L : (long)osize;
        var delta = (long)nsize - old;
        if (delta > 0 && !ex._inHost)
        {
            if (ex._poisoned || ex.Stopped != Stop.None) return IntPtr.Zero;
            if (ex._memory + delta > ex._limits.MemoryBytes) { ex.Stopped = Stop.OutOfMemory; return IntPtr.Zero; }
            if (!ex.Charge(((ulong)delta + Gas.BytesPerGas - 1) / Gas.BytesPerGas)) return IntPtr.Zero;
        }
        var p = (IntPtr)NativeMemory.Realloc((void*)ptr, nsize);
        if (p == IntPtr.Zero) return IntPtr.Zero;
        ex._memory += delta;
        if (ex._memory > ex.PeakMemory) ex.PeakMemory = ex._memory;
        return p;
    }

    [UnmanagedCallersOnly]
    private static void Hook(IntPtr L, IntPtr ar)
    {
        var ex = _current!;
        ex.Instructions += HookInterval;
        ex.Charge(HookInterval);
        if (ex.Stopped == Stop.None) return;
        if (lua_isyieldable(L) != 0) lua_yieldk(L, 0, IntPtr.Zero, IntPtr.Zero);
        else
        {
            // Inside a C call that cannot yield: fail every allocation and look again at each instruction
            // until the code is back where it can yield.
            ex._poisoned = true;
            lua_sethook(L, &Hook, MASKCOUNT, 1);
        }
    }
}
