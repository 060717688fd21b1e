using static Chainlab.Contracts.Lua.LuaApi;

namespace Chainlab.Contracts.Lua;

/// <summary>Values across the boundary: Lua values read into <see cref="ContractValue"/> (floats and functions refused) and pushed back.</summary>
public sealed unsafe partial class LuaExecution
{
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
}
