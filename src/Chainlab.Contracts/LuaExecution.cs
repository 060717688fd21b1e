using System.Runtime.CompilerServices;
using Chainlab.Contracts.Vm;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Contracts;

/// <summary>One call into a contract: who calls what, with which coins and arguments.</summary>
public sealed record ContractCall(Address Contract, Address Caller, ulong Amount, string Function,
    IReadOnlyList<ContractValue> Arguments, bool Deploying = false);

/// <summary>The result of a call: a value, or an error sentence.</summary>
public sealed record CallResult(bool Ok, ContractValue Value, string? Error)
{
    public static CallResult Fail(string error) => new(false, ContractValue.Nil, error);
}

/// <summary>
/// A run that failed for a reason that is not the contract's (a fault of this node: a bug, the .NET stack).
/// It is never turned into a receipt: the producer drops the transaction and logs it, an importer refuses nothing.
/// </summary>
public sealed class ContractFaultException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// One transaction's (or one view call's) run of contract code on the managed Lua VM (<see cref="Vm"/>). Gas and
/// memory are shared by every frame of the run; each frame gets fresh globals (nothing survives between calls
/// but storage), and its state changes go to an overlay merged into its caller's only when it succeeds.
/// See docs/decisions/0006-contract-vm.md.
/// </summary>
public sealed partial class LuaExecution
{
    private readonly ContractSpec _limits;
    private readonly Machine _m;
    private readonly Stack<Frame> _frames = new();

    public LuaExecution(ContractSpec limits, ulong gasLimit, Address origin, ulong height, ulong timeMs, bool readOnly)
    {
        _limits = limits; GasLimit = gasLimit; Origin = origin; Height = height; TimeMs = timeMs; ReadOnly = readOnly;
        _m = new Machine(gasLimit, limits.MemoryBytes);
    }

    public ulong GasLimit { get; }
    public ulong GasUsed => _m.GasUsed;
    /// <summary>Instructions the interpreter ran (statements, operations, loop steps).</summary>
    public ulong Instructions => (ulong)_m.Instructions;
    /// <summary>Units of library work (bytes, elements, matcher steps) done by the run.</summary>
    public long Work => _m.Work;
    public Stop Stopped => _m.Stopped;
    public Address Origin { get; }
    public ulong Height { get; }
    public ulong TimeMs { get; }
    public bool ReadOnly { get; }
    /// <summary>Events of the frames that succeeded, in order.</summary>
    public List<ContractEvent> Events { get; } = new();
    /// <summary>Highest memory the run held at once, in bytes.</summary>
    public long PeakMemory => _m.PeakMemory;

    /// <summary>Stops the run when it passes this wall-clock time or the token is cancelled (view calls only: never for consensus).</summary>
    public void Limit(TimeSpan wallClock, CancellationToken cancel) => _m.SetDeadline(wallClock, cancel);

    /// <summary>Charges gas outside the VM; false (and the run is stopping) when the limit is passed.</summary>
    public bool Charge(ulong gas)
    {
        try { _m.Charge(gas > long.MaxValue ? long.MaxValue : (long)gas); return true; }
        catch (LuaStop) { return false; }
    }

    public string StopMessage => Stopped switch
    {
        Stop.OutOfGas => $"out of gas (limit {GasLimit})",
        Stop.OutOfMemory => $"out of memory (limit {_limits.MemoryBytes} bytes)",
        Stop.Timeout => "the call took longer than the node allows for a view call",
        _ => "",
    };

    /// <summary>
    /// Runs a call on <paramref name="state"/>: on success the frame's writes and events are in it; on failure
    /// nothing the call did remains. The caller handles coins sent with the top-level call.
    /// </summary>
    public CallResult Run(StateOverlay state, ContractCall call, byte[]? code = null)
    {
        try { return RunFrame(state, call, code); }
        catch (LuaStop) { return CallResult.Fail(StopMessage); }
        catch (Exception e) when (e is not ContractFaultException)
        {
            throw new ContractFaultException($"contract run failed inside the node: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private sealed class Frame(LuaExecution ex, StateOverlay state, ContractCall call)
    {
        public readonly LuaExecution Ex = ex;
        public readonly StateOverlay State = state;
        public readonly ContractCall Call = call;
        public readonly List<ContractEvent> Events = new();
    }

    private CallResult RunFrame(StateOverlay parent, ContractCall call, byte[]? code)
    {
        if (_frames.Count >= _limits.CallDepth) return CallResult.Fail($"call depth limit of {_limits.CallDepth} reached");
        RuntimeHelpers.EnsureSufficientExecutionStack();
        _m.Charge((long)Gas.Frame);
        var state = new StateOverlay(parent);
        Hash? codeHash = null;
        if (code is null)
        {
            if (ContractState.CodeHashOf(state, call.Contract) is not { } hash || ContractState.Code(state, hash) is not { } stored)
                return CallResult.Fail($"there is no contract at {call.Contract}");
            (code, codeHash) = (stored, hash);
        }
        _m.Charge(code.Length * Gas.CodePerByte);
        if (call.Amount > 0)
        {
            var moved = MoveCoins(state, call.Caller, call.Contract, call.Amount);
            if (moved is not null) return CallResult.Fail(moved);
        }
        var chunk = Interpreter.Compile(code, sourceHash: codeHash);
        if (chunk.Error is { } syntax) return CallResult.Fail(syntax);
        var frame = new Frame(this, state, call);
        _frames.Push(frame);
        var (depth, stack, line, host, memory) = (_m.Depth, _m.StackUse, _m.Line, _m.Host, _m.Memory);
        _m.Host = frame;
        try
        {
            var globals = new LuaTable(_m);
            globals.Put("chain", Value.Table(ChainTable(call)));
            globals.Put("storage", Value.Table(StorageTable));
            Interpreter.RunMain(_m, chunk, globals);
            var fname = LuaString.From(call.Function);
            Value f;
            if (call.Deploying)
            {
                f = globals.Get(LuaString.From("init"));
                if (!f.IsFunction) return Commit(parent, frame, new CallResult(true, ContractValue.Nil, null));
            }
            else
            {
                f = globals.Get(fname);
                if (call.Function == "init" || call.Function.StartsWith('_') || !f.IsFunction)
                    return CallResult.Fail($"the contract has no public function '{call.Function}'");
            }
            var args = new Value[call.Arguments.Count];
            for (var i = 0; i < args.Length; i++) args[i] = ToLua(call.Arguments[i], 0);
            _m.Line = 0;
            var results = f.AsFunction.Call(_m, args);
            ContractValue value;
            try { value = results.Length == 0 ? ContractValue.Nil : FromLua(results[0], "the return value"); }
            catch (BoundaryException e) { return CallResult.Fail(e.Message); }
            return Commit(parent, frame, new CallResult(true, value, null));
        }
        catch (LuaError e)
        {
            Interpreter.Caught(_m, depth, stack, line);
            return CallResult.Fail(ErrorText(e.Value));
        }
        finally
        {
            _m.Host = host;
            _m.Release(_m.Memory - memory);
            _frames.Pop();
        }
    }

    private CallResult Commit(StateOverlay parent, Frame frame, CallResult result)
    {
        foreach (var (a, acc) in frame.State.Changes) parent.Set(a, acc);
        if (_frames.Count > 1) _frames.ElementAt(1).Events.AddRange(frame.Events);
        else Events.AddRange(frame.Events);
        return result;
    }

    private const int MaxErrorBytes = 400;

    private static string ErrorText(Value v)
    {
        if (v.IsString)
        {
            var b = v.AsString.Bytes;
            var s = System.Text.Encoding.UTF8.GetString(b.Length > MaxErrorBytes ? b[..MaxErrorBytes] : b);
            return b.Length > MaxErrorBytes ? s + "…" : s;
        }
        if (v.IsNumber) return v.ToString();
        return $"(error object is a {v.TypeName} value)";
    }
}
