namespace Chainlab.Contracts.Vm;

/// <summary>A function value: a Lua closure or a library function. Called with exactly its arguments; returns its results.</summary>
public abstract class LuaFunction
{
    private static int _next;
    protected LuaFunction() { Id = Interlocked.Increment(ref _next); }

    /// <summary>A number for hashing only; never observable by a contract (no tostring, no pairs over functions).</summary>
    public int Id { get; }
    public abstract string Name { get; }
    public abstract Value[] Call(Machine m, Value[] args);
}

/// <summary>A library function written in C#. It charges its own work on the machine and raises <see cref="LuaError"/> for bad input.</summary>
public sealed class Builtin(string name, Func<Machine, Value[], Value[]> body) : LuaFunction
{
    public override string Name => name;
    public override Value[] Call(Machine m, Value[] args)
    {
        m.Charge(Gas.LibraryCall);
        // A library function is a call level like any other: pcall(pcall, pcall, ...) and a comparator that
        // sorts count toward the call depth and the stack budget (an error unwinding past it is put back by pcall).
        m.Enter(1);
        var r = body(m, args);
        m.Leave(1);
        return r;
    }
}
