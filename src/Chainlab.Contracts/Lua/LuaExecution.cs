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
public sealed unsafe class LuaExecution
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

    // ---------------------------------------------------------------- values across the boundary

    private sealed class BoundaryException(string message) : Exception(message);

    private ContractValue ReadValue(IntPtr L, int idx, int depth)
    {
        if (depth > ContractValue.MaxDepth) throw new BoundaryException($"tables nest deeper than {ContractValue.MaxDepth} (or refer to themselves)");
        switch (lua_type(L, idx))
        {
            case TNIL: return ContractValue.Nil;
            case TBOOLEAN: return ContractValue.Of(lua_toboolean(L, idx) != 0);
            case TNUMBER:
                if (lua_isinteger(L, idx) == 0) throw new BoundaryException($"{lua_tonumberx(L, idx, out _)} is a float; only integers cross the contract boundary");
                return ContractValue.Of(lua_tointegerx(L, idx, out _));
            case TSTRING: return new StringValue(Bytes(L, idx).ToArray());
            case TTABLE:
            {
                idx = lua_absindex(L, idx);
                if (lua_checkstack(L, 4) == 0) throw new BoundaryException("value is too deep");
                var entries = new List<KeyValuePair<ContractValue, ContractValue>>();
                lua_pushnil(L);
                while (lua_next(L, idx) != 0)
                {
                    var kt = lua_type(L, -2);
                    if (kt is not (TNUMBER or TSTRING or TBOOLEAN)) { Pop(L, 2); throw new BoundaryException($"a table key of type {TypeName(kt)} cannot cross the contract boundary"); }
                    ContractValue k, v;
                    try { k = ReadValue(L, -2, depth + 1); v = ReadValue(L, -1, depth + 1); }
                    catch { Pop(L, 2); throw; }
                    entries.Add(new(k, v));
                    if (entries.Count > ContractValue.MaxEncodedBytes / 2) { Pop(L, 2); throw new BoundaryException("table is too large"); }
                    Pop(L, 1);
                }
                entries.Sort((a, b) => ContractValue.KeyOrder.Compare(a.Key, b.Key));
                return new TableValue(entries);
            }
            case var t: throw new BoundaryException($"a {TypeName(t)} cannot cross the contract boundary");
        }
    }

    private static void PushValue(IntPtr L, ContractValue v)
    {
        switch (v)
        {
            case NilValue: lua_pushnil(L); break;
            case BoolValue b: lua_pushboolean(L, b.Value ? 1 : 0); break;
            case IntValue i: lua_pushinteger(L, i.Value); break;
            case StringValue s: PushBytes(L, s.Bytes); break;
            case TableValue t:
                lua_checkstack(L, 4);
                lua_createtable(L, 0, t.Entries.Count);
                foreach (var (k, x) in t.Entries) { PushValue(L, k); PushValue(L, x); lua_rawset(L, -3); }
                break;
        }
    }

    private void PushContext(IntPtr L, ContractCall call)
    {
        lua_createtable(L, 0, 6);
        PushText(L, Text(call.Caller)); SetField(L, -2, "caller");
        PushText(L, Text(Origin)); SetField(L, -2, "origin");
        PushText(L, Text(call.Contract)); SetField(L, -2, "self");
        lua_pushinteger(L, (long)call.Amount); SetField(L, -2, "amount");
        lua_pushinteger(L, (long)Height); SetField(L, -2, "height");
        lua_pushinteger(L, (long)TimeMs); SetField(L, -2, "time");
    }

    // Base58 text of addresses the sandbox hands to contracts, remembered: encoding costs microseconds per frame.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Address, string> AddressTexts = new();

    private static string Text(Address a)
    {
        if (AddressTexts.TryGetValue(a, out var t)) return t;
        if (AddressTexts.Count > 100_000) AddressTexts.Clear();
        return AddressTexts[a] = a.ToString();
    }

    private static void PushHost(IntPtr L)
    {
        lua_createtable(L, 0, 12);
        Register(L, "charge", &HostCharge);
        Register(L, "keys", &HostKeys);
        Register(L, "get", &HostGet);
        Register(L, "set", &HostSet);
        Register(L, "emit", &HostEmit);
        Register(L, "transfer", &HostTransfer);
        Register(L, "balance", &HostBalance);
        Register(L, "call", &HostCall);
        Register(L, "sha256", &HostSha256);
        Register(L, "verify", &HostVerify);
    }

    private static void Register(IntPtr L, string name, delegate* unmanaged<IntPtr, int> fn)
    {
        lua_pushcclosure(L, fn, 0);
        SetField(L, -2, name);
    }

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

    // ---------------------------------------------------------------- host functions
    // Each returns true + results, or false + message; the prelude raises the message in Lua.

    private static int Fail(IntPtr L, string message)
    {
        lua_settop(L, 0);
        lua_pushboolean(L, 0);
        PushText(L, message);
        return 2;
    }

    private static int Ok(IntPtr L, int results)
    {
        // results are the top 'results' values; put true below them
        lua_pushboolean(L, 1);
        lua_rotate(L, -(results + 1), 1);
        return results + 1;
    }

    private delegate int HostBody(IntPtr L, LuaExecution ex, Frame frame);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Guard(IntPtr L, HostBody body)
    {
        var ex = _current!;
        var wasInHost = ex._inHost;
        ex._inHost = true;
        try
        {
            if (!ex.Charge(Gas.HostCall)) return Fail(L, "out of gas");
            return body(L, ex, ex._frames.Peek());
        }
        catch (BoundaryException e) { return Fail(L, e.Message); }
        catch (Exception e) { return Fail(L, "host error: " + e.GetType().Name); }
        finally { ex._inHost = wasInHost; }
    }

    [UnmanagedCallersOnly] private static int HostCharge(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        var units = lua_isinteger(L, 1) != 0 ? lua_tointegerx(L, 1, out _) : long.MaxValue;
        lua_pushboolean(L, ex.Charge(units < 0 ? ulong.MaxValue : (ulong)units) ? 1 : 0);
        return 1;
    });

    private static (int Rank, long I, double D, byte[]? S, bool B) KeyOf(IntPtr L, int idx) => lua_type(L, idx) switch
    {
        TNUMBER when lua_isinteger(L, idx) != 0 => (0, lua_tointegerx(L, idx, out _), 0, null, false),
        TNUMBER => (1, 0, lua_tonumberx(L, idx, out _), null, false),
        TSTRING => (2, 0, 0, Bytes(L, idx).ToArray(), false),
        TBOOLEAN => (3, 0, 0, null, lua_toboolean(L, idx) != 0),
        var t => throw new BoundaryException($"pairs: a table with {TypeName(t)} keys has no defined order in contracts"),
    };

    [UnmanagedCallersOnly] private static int HostKeys(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (lua_type(L, 1) != TTABLE) return Fail(L, "pairs: table expected");
        lua_settop(L, 1);
        lua_createtable(L, 0, 0);                    // 2: the keys in traversal order
        var keys = new List<(int Rank, long I, double D, byte[]? S, bool B)>();
        lua_pushnil(L);
        while (lua_next(L, 1) != 0)
        {
            Pop(L, 1);
            keys.Add(KeyOf(L, -1));
            lua_pushvalue(L, -1);
            lua_rawseti(L, 2, keys.Count);
            if (!ex.Charge(Gas.PerKey + (ulong)(keys[^1].S?.Length ?? 0) / Gas.BytesPerGas)) return Fail(L, "out of gas");
        }
        var order = Enumerable.Range(0, keys.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var x = keys[a]; var y = keys[b];
            if (x.Rank != y.Rank) return x.Rank.CompareTo(y.Rank);
            return x.Rank switch
            {
                0 => x.I.CompareTo(y.I),
                1 => x.D.CompareTo(y.D),
                2 => x.S.AsSpan().SequenceCompareTo(y.S),
                _ => x.B.CompareTo(y.B),
            };
        });
        lua_createtable(L, keys.Count, 0);           // 3: the keys in order
        for (var i = 0; i < order.Length; i++) { lua_rawgeti(L, 2, order[i] + 1); lua_rawseti(L, 3, i + 1); }
        lua_pushinteger(L, keys.Count);
        return Ok(L, 2);
    });

    private const int MaxKeyBytes = 128;

    private static byte[] StorageKey(IntPtr L, int idx)
    {
        if (lua_type(L, idx) != TSTRING) throw new BoundaryException("a storage key must be a string");
        var k = Bytes(L, idx);
        if (k.Length is 0 or > MaxKeyBytes) throw new BoundaryException($"a storage key must be 1 to {MaxKeyBytes} bytes");
        return k.ToArray();
    }

    [UnmanagedCallersOnly] private static int HostGet(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        var key = StorageKey(L, 1);
        var raw = ContractState.Get(f.State, f.Call.Contract, key);
        if (!ex.Charge(Gas.StorageRead + (ulong)(raw?.Length ?? 0) / Gas.BytesPerGas)) return Fail(L, "out of gas");
        if (raw is null) lua_pushnil(L);
        else PushValue(L, ContractValue.Decode(raw));
        return Ok(L, 1);
    });

    [UnmanagedCallersOnly] private static int HostSet(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (ex.ReadOnly) return Fail(L, "a view call cannot write storage");
        var key = StorageKey(L, 1);
        byte[]? value = null;
        if (lua_type(L, 2) != TNIL)
        {
            try { value = ex.ReadValue(L, 2, 0).Encode(); }
            catch (BoundaryException e) { return Fail(L, "storage value: " + e.Message); }
            if (value.Length > ex._limits.ValueBytes) return Fail(L, $"storage value is {value.Length} bytes, more than the limit of {ex._limits.ValueBytes}");
        }
        if (!ex.Charge(Gas.StorageWrite + (ulong)(key.Length + (value?.Length ?? 0)) * Gas.StorageWritePerByte)) return Fail(L, "out of gas");
        ContractState.Set(f.State, f.Call.Contract, key, value);
        return Ok(L, 0);
    });

    [UnmanagedCallersOnly] private static int HostEmit(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (ex.ReadOnly) return Fail(L, "a view call cannot emit events");
        if (lua_type(L, 1) != TSTRING) return Fail(L, "an event name must be a string");
        var name = System.Text.Encoding.UTF8.GetString(Bytes(L, 1));
        if (name.Length is 0 or > 64) return Fail(L, "an event name must be 1 to 64 characters");
        byte[] value;
        try { value = ex.ReadValue(L, 2, 0).Encode(); }
        catch (BoundaryException e) { return Fail(L, "event value: " + e.Message); }
        if (value.Length > ex._limits.ValueBytes) return Fail(L, $"event value is {value.Length} bytes, more than the limit of {ex._limits.ValueBytes}");
        var total = ex.Events.Count + ex._frames.Sum(x => x.Events.Count);
        if (total >= ex._limits.Events) return Fail(L, $"a transaction may emit at most {ex._limits.Events} events");
        if (!ex.Charge(Gas.Event + (ulong)value.Length * Gas.StorageWritePerByte)) return Fail(L, "out of gas");
        f.Events.Add(new ContractEvent(f.Call.Contract, name, value));
        return Ok(L, 0);
    });

    private static Address AddressArg(IntPtr L, int idx, string what)
    {
        if (lua_type(L, idx) != TSTRING) throw new BoundaryException($"{what} must be an address string");
        var text = System.Text.Encoding.UTF8.GetString(Bytes(L, idx));
        return Address.TryParse(text, out var a, out var error) ? a : throw new BoundaryException($"{what}: {error}");
    }

    private static ulong AmountArg(IntPtr L, int idx)
    {
        if (lua_type(L, idx) != TNUMBER || lua_isinteger(L, idx) == 0) throw new BoundaryException("an amount must be an integer");
        var v = lua_tointegerx(L, idx, out _);
        if (v < 0) throw new BoundaryException("an amount cannot be negative");
        return (ulong)v;
    }

    /// <summary>Moves coins between accounts on the overlay, or says why not.</summary>
    private static string? MoveCoins(StateOverlay state, Address from, Address to, ulong amount)
    {
        var a = state.Get(from);
        if (a.Balance < amount) return $"balance {a.Balance} of {from} is less than {amount}";
        if (from == to) return null;
        var b = state.Get(to);
        if (b.Balance > ulong.MaxValue - amount) return "the recipient's balance would overflow";
        state.Set(from, a with { Balance = a.Balance - amount });
        state.Set(to, state.Get(to) with { Balance = b.Balance + amount });
        return null;
    }

    [UnmanagedCallersOnly] private static int HostTransfer(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (ex.ReadOnly) return Fail(L, "a view call cannot transfer coins");
        var to = AddressArg(L, 1, "transfer: recipient");
        var amount = AmountArg(L, 2);
        if (amount == 0) return Fail(L, "transfer: the amount must be positive");
        if (!ex.Charge(Gas.Transfer)) return Fail(L, "out of gas");
        return MoveCoins(f.State, f.Call.Contract, to, amount) is { } error ? Fail(L, "transfer: " + error) : Ok(L, 0);
    });

    [UnmanagedCallersOnly] private static int HostBalance(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        var who = lua_type(L, 1) == TNIL ? f.Call.Contract : AddressArg(L, 1, "balance: address");
        var b = f.State.Get(who).Balance;
        lua_pushinteger(L, b > long.MaxValue ? long.MaxValue : (long)b);
        return Ok(L, 1);
    });

    [UnmanagedCallersOnly] private static int HostCall(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        var target = AddressArg(L, 1, "call: contract");
        var amount = AmountArg(L, 2);
        if (amount > 0 && ex.ReadOnly) return Fail(L, "a view call cannot send coins");
        if (lua_type(L, 3) != TSTRING) return Fail(L, "call: the function name must be a string");
        var fn = System.Text.Encoding.UTF8.GetString(Bytes(L, 3));
        var args = new List<ContractValue>();
        try { for (var i = 4; i <= lua_gettop(L); i++) args.Add(ex.ReadValue(L, i, 0)); }
        catch (BoundaryException e) { return Fail(L, "call arguments: " + e.Message); }
        var result = ex.RunFrame(f.State, new ContractCall(target, f.Call.Contract, amount, fn, args), null);
        if (!result.Ok) return Fail(L, $"call to {fn} failed: {result.Error}");
        lua_settop(L, 0);
        PushValue(L, result.Value);
        return Ok(L, 1);
    });

    [UnmanagedCallersOnly] private static int HostSha256(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (lua_type(L, 1) != TSTRING) return Fail(L, "sha256: a string is expected");
        var data = Bytes(L, 1);
        if (!ex.Charge(Gas.Sha256 + (ulong)data.Length / Gas.BytesPerGas)) return Fail(L, "out of gas");
        PushText(L, Hash.Sha256(data).ToString());
        return Ok(L, 1);
    });

    [UnmanagedCallersOnly] private static int HostVerify(IntPtr L) => Guard(L, (L, ex, f) =>
    {
        if (lua_type(L, 1) != TSTRING || lua_type(L, 2) != TSTRING || lua_type(L, 3) != TSTRING)
            return Fail(L, "verify: public key (hex), message and signature (hex) are strings");
        if (!ex.Charge(Gas.Verify + (ulong)Bytes(L, 2).Length / Gas.BytesPerGas)) return Fail(L, "out of gas");
        byte[] key, sig;
        try
        {
            key = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(Bytes(L, 1)));
            sig = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(Bytes(L, 3)));
        }
        catch (FormatException) { return Fail(L, "verify: the key and signature must be hex"); }
        var ok = key.Length == Ed25519.PublicKeySize && sig.Length == Ed25519.SignatureSize && Ed25519.Verify(key, Bytes(L, 2), sig);
        lua_pushboolean(L, ok ? 1 : 0);
        return Ok(L, 1);
    });
}

/// <summary>The prelude's source, embedded in the assembly.</summary>
internal static class Prelude
{
    public static readonly byte[] Bytes = Load();

    private static byte[] Load()
    {
        using var s = typeof(Prelude).Assembly.GetManifestResourceStream("Chainlab.Contracts.Prelude.lua")
            ?? throw new InvalidOperationException("the contract prelude is missing from the assembly");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
