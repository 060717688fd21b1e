using System.Runtime.CompilerServices;

namespace Chainlab.Contracts.Vm;

/// <summary>Why execution stopped before the contract finished.</summary>
public enum Stop { None, OutOfGas, OutOfMemory, Timeout }

/// <summary>A Lua error: raised by error(), by a failed operation or by a library function; pcall catches it.</summary>
public sealed class LuaError(Value value) : Exception
{
    public Value Value { get; } = value;

    /// <summary>The error as text, cut at 400 bytes (made only when asked for: an error may be megabytes).</summary>
    public override string Message =>
        Value.IsString && Value.AsString.Length > 400 ? System.Text.Encoding.UTF8.GetString(Value.AsString.Bytes, 0, 400) + "…" : Value.ToString();
}

/// <summary>Out of gas or memory. pcall never catches it: a stop ends the whole run.</summary>
public sealed class LuaStop(Stop reason) : Exception(reason.ToString())
{
    public Stop Reason { get; } = reason;
}

/// <summary>
/// The meter and the shared state of one run: gas (every instruction and every unit of library work is charged
/// here, as it happens), memory (every byte the run allocates counts until its frame ends), the call depth and the
/// line being run (for error positions). Everything observable is a function of the program and its inputs.
/// </summary>
public sealed class Machine
{
    /// <summary>Lua calls that may be active at once (each uses the .NET stack; the host checks room too).</summary>
    public const int MaxDepth = 200;
    /// <summary>The most values a call may take or give (table.unpack, select, varargs).</summary>
    public const int MaxValues = 8_000;

    public Machine(ulong gasLimit, long memoryLimit)
    {
        GasLimit = gasLimit;
        GasLeft = gasLimit > long.MaxValue ? long.MaxValue : (long)gasLimit;
        MemoryLimit = memoryLimit;
    }

    public ulong GasLimit { get; }
    /// <summary>Gas not yet used; below zero means the run is out of gas.</summary>
    public long GasLeft;
    public ulong GasUsed => Left < 0 || Stopped == Stop.OutOfGas ? GasLimit : GasLimit - (ulong)Left;
    public long MemoryLimit { get; }
    /// <summary>Bytes the run holds now (each frame's allocations count until it ends).</summary>
    public long Memory;
    public long PeakMemory { get; private set; }
    /// <summary>Units of work done inside library functions (bytes touched, elements moved, matcher steps), counted apart from gas for the worst-case tests.</summary>
    public long Work;
    /// <summary>Instructions run by the interpreter.</summary>
    public long Instructions;
    public Stop Stopped { get; private set; }
    /// <summary>Lua calls active now.</summary>
    public int Depth;
    /// <summary>The source line being run (for error positions).</summary>
    public int Line;
    /// <summary>The name of the chunk errors are reported against ("contract").</summary>
    public string ChunkName = "contract";
    /// <summary>What the host functions of this run act on (the sandbox's current frame); null outside a contract.</summary>
    public object? Host;
    private readonly int[] _callLines = new int[MaxDepth + 2];
    private int _nextId;

    internal int NextId() => ++_nextId;

    /// <summary>Charges gas; out of gas stops the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Charge(long gas)
    {
        if ((GasLeft -= gas) < 0) OutOfGas();
    }

    /// <summary>Counts library work and charges its gas: one unit of gas per <paramref name="unitsPerGas"/> units, at least one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Spend(long units, long unitsPerGas)
    {
        Charge(units / unitsPerGas + 1);
        Work += units;
    }

    // View calls only: gas is handed out in slices, and the clock and the token are looked at between slices.
    private long _reserve;
    private long _deadline;
    private CancellationToken _cancel;
    private const long Slice = 20_000;

    /// <summary>Stops the run at a wall-clock time or on cancellation (never used for consensus).</summary>
    public void SetDeadline(TimeSpan after, CancellationToken cancel)
    {
        _deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(after.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _cancel = cancel;
        if (GasLeft > Slice) { _reserve = GasLeft - Slice; GasLeft = Slice; }
    }

    /// <summary>Gas not yet used, slices included.</summary>
    private long Left => GasLeft + _reserve;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void OutOfGas()
    {
        while (GasLeft < 0 && _reserve > 0 && Stopped == Stop.None)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > _deadline || _cancel.IsCancellationRequested)
            {
                Stopped = Stop.Timeout;
                _reserve = 0;
                throw new LuaStop(Stopped);
            }
            var take = Math.Min(_reserve, Slice);
            _reserve -= take;
            GasLeft += take;
        }
        if (GasLeft >= 0 && Stopped == Stop.None) return;
        GasLeft = -1;
        if (Stopped == Stop.None) Stopped = Stop.OutOfGas;
        throw new LuaStop(Stopped);
    }

    /// <summary>Counts memory the run allocates and charges its gas (1 per <see cref="Gas.BytesPerGas"/> bytes).</summary>
    public void Allocate(long bytes)
    {
        if (bytes <= 0) return;
        if (bytes > MemoryLimit - Memory)
        {
            if (Stopped == Stop.None) Stopped = Stop.OutOfMemory;
            throw new LuaStop(Stopped);
        }
        Memory += bytes;
        if (Memory > PeakMemory) PeakMemory = Memory;
        Charge((bytes + (long)Gas.BytesPerGas - 1) / (long)Gas.BytesPerGas);
    }

    /// <summary>Gives back memory (a frame ended); never below zero.</summary>
    public void Release(long bytes) => Memory = Math.Max(0, Memory - bytes);

    /// <summary>Checks that <paramref name="bytes"/> more would fit, before building something that large.</summary>
    public void Reserve(long bytes)
    {
        if (bytes < 0 || bytes > MemoryLimit - Memory)
        {
            if (Stopped == Stop.None) Stopped = Stop.OutOfMemory;
            throw new LuaStop(Stopped);
        }
    }

    /// <summary>A new string of these bytes, its memory charged (the array is kept, not copied).</summary>
    public LuaString NewString(byte[] bytes)
    {
        if (bytes.Length == 0) return LuaString.Empty;
        Allocate(bytes.Length + 24);
        return new LuaString(bytes);
    }

    public Value Str(byte[] bytes) => Value.Str(NewString(bytes));
    public Value Str(string s) => Value.Str(NewString(System.Text.Encoding.UTF8.GetBytes(s)));

    public LuaTable NewTable(int arrayHint = 0, int hashHint = 0) => new(this, arrayHint, hashHint);

    // ---------------------------------------------------------------- calls and errors

    /// <summary>Stack units all active calls may reserve together (each call: 1 + its function's deepest nesting), so the .NET stack a run uses is bounded by the program, the same on every node.</summary>
    public const int MaxStack = 2_000;
    /// <summary>Stack units reserved now.</summary>
    public int StackUse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter(int cost = 1)
    {
        if (Depth >= MaxDepth || StackUse + cost > MaxStack) throw Error("stack overflow");
        StackUse += cost;
        _callLines[++Depth] = Line;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Leave(int cost = 1)
    {
        StackUse -= cost;
        Line = _callLines[Depth--];
    }

    /// <summary>Puts the call stack back to a depth saved before (pcall, after an error unwound calls without leaving them).</summary>
    public void Unwind(int depth, int stackUse, int line)
    {
        Depth = depth;
        StackUse = stackUse;
        Line = line;
    }

    /// <summary>An error at the current line: "contract:LINE: message".</summary>
    public LuaError Error(string message) => new(Str(Where(1) + message));

    /// <summary>The position prefix for error(msg, level): 1 is the line being run, 2 the line that called its function, and so on.</summary>
    public string Where(int level)
    {
        if (level <= 0) return "";
        // Called from inside a library function (error): frame Depth is that function, whose call site is the
        // current line; level k is the call site of frame Depth - k + 1.
        var at = Depth - level + 1;
        var line = level == 1 ? Line : at >= 1 && at <= Depth ? _callLines[at] : 0;
        return line > 0 ? $"{ChunkName}:{line}: " : "";
    }
}
