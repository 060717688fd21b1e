using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using static Chainlab.Contracts.Lua.LuaApi;

namespace Chainlab.Contracts.Lua;

/// <summary>
/// The host API as Lua sees it: the context table, the table of C functions the prelude wraps, and the
/// functions themselves. Each returns true and its results, or false and a message that the prelude raises
/// in Lua, so no Lua error ever starts inside .NET code.
/// </summary>
public sealed unsafe partial class LuaExecution
{
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
        state.Set(to, b with { Balance = b.Balance + amount });
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
