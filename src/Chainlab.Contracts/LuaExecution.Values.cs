using Chainlab.Contracts.Vm;

namespace Chainlab.Contracts;

/// <summary>
/// Values across the boundary. Reading a Lua value (a result, a stored value, an event, a call argument) walks it
/// with a budget of encoded bytes: every entry and byte counts each time it is reached (a table shared by many
/// entries counts once per entry), gas is charged as it goes, and the walk stops at the limit before any copy is
/// made, so a small graph of shared tables cannot expand into gigabytes.
/// </summary>
public sealed partial class LuaExecution
{
    private sealed class BoundaryException(string message) : Exception(message);

    private ContractValue FromLua(Value v, string what)
    {
        long budget = _limits.ValueBytes;
        return Read(v, 0, ref budget, what);
    }

    private ContractValue Read(Value v, int depth, ref long budget, string what)
    {
        if (depth > ContractValue.MaxDepth) throw new BoundaryException($"{what}: tables nest deeper than {ContractValue.MaxDepth} (or refer to themselves)");
        budget -= v.IsString ? 5 + v.AsString.Length : v.IsInt ? 9 : 5;
        if (budget < 0) throw new BoundaryException($"{what} is more than the limit of {_limits.ValueBytes} bytes");
        _m.Charge(1 + (v.IsString ? v.AsString.Length / (long)Gas.BytesPerGas : 0));
        switch (v.Type)
        {
            case LuaType.Nil: return ContractValue.Nil;
            case LuaType.Boolean: return ContractValue.Of(v.AsBool);
            case LuaType.Number:
                if (!v.IsInt) throw new BoundaryException($"{what}: {v} is a float; only integers cross the contract boundary");
                return ContractValue.Of(v.AsInt);
            case LuaType.String: return new StringValue(v.AsString.Bytes);
            case LuaType.Table:
            {
                var entries = new List<KeyValuePair<ContractValue, ContractValue>>();
                foreach (var (k, x) in v.AsTable.Entries())
                {
                    if (!(k.IsNumber || k.IsString || k.IsBool)) throw new BoundaryException($"{what}: a table key of type {k.TypeName} cannot cross the contract boundary");
                    entries.Add(new(Read(k, depth + 1, ref budget, what), Read(x, depth + 1, ref budget, what)));
                }
                var log = 1;
                while ((1 << log) < entries.Count) log++;
                _m.Charge((long)entries.Count * log / 4);
                entries.Sort((a, b) => ContractValue.KeyOrder.Compare(a.Key, b.Key));
                return new TableValue(entries);
            }
            default: throw new BoundaryException($"{what}: a {v.TypeName} cannot cross the contract boundary");
        }
    }

    /// <summary>A boundary value as a Lua value, charged as the memory it takes.</summary>
    private Value ToLua(ContractValue v, int depth) => v switch
    {
        NilValue => Value.Nil,
        BoolValue b => Value.Bool(b.Value),
        IntValue i => Value.Int(i.Value),
        StringValue s => Value.Str(_m.NewString(s.Bytes)),
        TableValue t => Table(t, depth),
        _ => Value.Nil,
    };

    private Value Table(TableValue t, int depth)
    {
        var table = _m.NewTable(0, t.Entries.Count);
        foreach (var (k, x) in t.Entries) table.Set(_m, ToLua(k, depth + 1), ToLua(x, depth + 1));
        return Value.Table(table);
    }
}
