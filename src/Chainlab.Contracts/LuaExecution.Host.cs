using Chainlab.Contracts.Vm;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Contracts;

/// <summary>
/// The host API as contracts see it: <c>chain</c> (the call's context and the chain functions) and <c>storage</c>.
/// The functions are shared, read-only library functions that act on the machine's current frame; each charges
/// its gas before it works and raises a Lua error (with the calling line) for bad input.
/// </summary>
public sealed partial class LuaExecution
{
    private static readonly LuaString CallerKey = LuaString.From("caller"), OriginKey = LuaString.From("origin"), SelfKey = LuaString.From("self"),
        AmountKey = LuaString.From("amount"), HeightKey = LuaString.From("height"), TimeKey = LuaString.From("time");

    private LuaTable ChainTable(ContractCall call)
    {
        var t = new LuaTable(_m, 0, 16);
        t.Put(CallerKey, Value.Str(Text(call.Caller)));
        t.Put(OriginKey, Value.Str(Text(Origin)));
        t.Put(SelfKey, Value.Str(Text(call.Contract)));
        t.Put(AmountKey, Value.Int((long)call.Amount));
        t.Put(HeightKey, Value.Int((long)Height));
        t.Put(TimeKey, Value.Int((long)TimeMs));
        foreach (var (name, fn) in ChainFunctions) t.Put(name, fn);
        t.ReadOnly = true;
        return t;
    }

    // Base58 text of addresses the sandbox hands to contracts, remembered: encoding costs microseconds per frame.
    // The strings are shared between threads: their hash is published in one write (see LuaString).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Address, LuaString> AddressTexts = new();

    private static LuaString Text(Address a)
    {
        if (AddressTexts.TryGetValue(a, out var t)) return t;
        if (AddressTexts.Count > 100_000) AddressTexts.Clear();
        return AddressTexts[a] = LuaString.From(a.ToString());
    }

    private static Frame Current(Machine m, long gas)
    {
        m.Charge((long)Gas.HostCall + gas);
        return (Frame)m.Host!;
    }

    private static readonly (LuaString, Value)[] ChainFunctions =
    [
        (LuaString.From("balance"), Fn("balance", Balance)),
        (LuaString.From("transfer"), Fn("transfer", Transfer)),
        (LuaString.From("call"), Fn("call", (m, a) => CallContract(m, a, withValue: false))),
        (LuaString.From("call_value"), Fn("call_value", (m, a) => CallContract(m, a, withValue: true))),
        (LuaString.From("emit"), Fn("emit", Emit)),
        (LuaString.From("sha256"), Fn("sha256", Sha256)),
        (LuaString.From("verify"), Fn("verify", Verify)),
    ];

    private static readonly LuaTable StorageTable = BuildStorage();

    private static LuaTable BuildStorage()
    {
        var t = new LuaTable(null);
        t.Put("get", Fn("get", StorageGet));
        t.Put("set", Fn("set", (m, a) => StorageSet(m, Args.At(a, 0), Args.At(a, 1))));
        t.Put("delete", Fn("delete", (m, a) => StorageSet(m, Args.At(a, 0), Value.Nil)));
        t.ReadOnly = true;
        return t;
    }

    private static Value Fn(string name, Func<Machine, Value[], Value[]> body) => Value.Func(new Builtin(name, body));

    private const int MaxKeyBytes = 128;

    private static byte[] StorageKey(Machine m, Value v)
    {
        if (!v.IsString) throw m.Error("a storage key must be a string");
        var k = v.AsString.Bytes;
        if (k.Length is 0 or > MaxKeyBytes) throw m.Error($"a storage key must be 1 to {MaxKeyBytes} bytes");
        return k;
    }

    private static Value[] StorageGet(Machine m, Value[] a)
    {
        var f = Current(m, (long)Gas.StorageRead);
        var key = StorageKey(m, Args.At(a, 0));
        var raw = ContractState.Get(f.State, f.Call.Contract, key);
        if (raw is null) return [Value.Nil];
        m.Charge(raw.Length / (long)Gas.BytesPerGas);
        return [f.Ex.ToLua(ContractValue.Decode(raw), 0)];
    }

    private static Value[] StorageSet(Machine m, Value keyValue, Value v)
    {
        var f = Current(m, (long)Gas.StorageWrite);
        if (f.Ex.ReadOnly) throw m.Error("a view call cannot write storage");
        var key = StorageKey(m, keyValue);
        byte[]? value = null;
        if (!v.IsNil)
        {
            try { value = f.Ex.FromLua(v, "storage value").Encode(); }
            catch (BoundaryException e) { throw m.Error(e.Message); }
        }
        m.Charge((key.Length + (value?.Length ?? 0)) * (long)Gas.StorageWritePerByte);
        ContractState.Set(f.State, f.Call.Contract, key, value);
        return Value.None;
    }

    private static Value[] Emit(Machine m, Value[] a)
    {
        var f = Current(m, (long)Gas.Event);
        var ex = f.Ex;
        if (ex.ReadOnly) throw m.Error("a view call cannot emit events");
        var n = Args.At(a, 0);
        if (!n.IsString) throw m.Error("an event name must be a string");
        var name = n.AsString.ToString();
        if (name.Length is 0 or > 64) throw m.Error("an event name must be 1 to 64 characters");
        byte[] value;
        try { value = ex.FromLua(Args.At(a, 1), "event value").Encode(); }
        catch (BoundaryException e) { throw m.Error(e.Message); }
        var total = ex.Events.Count + ex._frames.Sum(x => x.Events.Count);
        if (total >= ex._limits.Events) throw m.Error($"a transaction may emit at most {ex._limits.Events} events");
        m.Charge(value.Length * (long)Gas.StorageWritePerByte);
        f.Events.Add(new ContractEvent(f.Call.Contract, name, value));
        return Value.None;
    }

    private static Address AddressArg(Machine m, Value v, string what)
    {
        if (!v.IsString) throw m.Error($"{what} must be an address string");
        if (v.AsString.Length > 100) throw m.Error($"{what}: not an address");
        return Address.TryParse(v.AsString.ToString(), out var a, out var error) ? a : throw m.Error($"{what}: {error}");
    }

    private static ulong AmountArg(Machine m, Value v)
    {
        if (!v.IsInt) throw m.Error("an amount must be an integer");
        if (v.AsInt < 0) throw m.Error("an amount cannot be negative");
        return (ulong)v.AsInt;
    }

    /// <summary>Moves coins between accounts on the overlay, or says why not.</summary>
    private static string? MoveCoins(StateOverlay state, Address from, Address to, ulong amount)
    {
        var a = state.Get(from);
        if (a.Balance < amount) return $"balance {a.Balance} of {from} is less than {amount}";
        if (from == to) return null;
        if (Chainlab.Core.State.SystemAccounts.IsReserved(to)) return $"{to} is reserved for the chain's own records; no coins can be sent to it";
        var b = state.Get(to);
        if (b.Balance > ulong.MaxValue - amount) return "the recipient's balance would overflow";
        state.Set(from, a with { Balance = a.Balance - amount });
        state.Set(to, b with { Balance = b.Balance + amount });
        return null;
    }

    private static Value[] Transfer(Machine m, Value[] a)
    {
        var f = Current(m, (long)Gas.Transfer);
        if (f.Ex.ReadOnly) throw m.Error("a view call cannot transfer coins");
        var to = AddressArg(m, Args.At(a, 0), "transfer: recipient");
        var amount = AmountArg(m, Args.At(a, 1));
        if (amount == 0) throw m.Error("transfer: the amount must be positive");
        if (MoveCoins(f.State, f.Call.Contract, to, amount) is { } error) throw m.Error("transfer: " + error);
        return Value.None;
    }

    private static Value[] Balance(Machine m, Value[] a)
    {
        var f = Current(m, 0);
        var who = Args.At(a, 0).IsNil ? f.Call.Contract : AddressArg(m, Args.At(a, 0), "balance: address");
        var b = f.State.Get(who).Balance;
        return [Value.Int(b > long.MaxValue ? long.MaxValue : (long)b)];
    }

    /// <summary>
    /// chain.call: the callee runs in a new frame whose state sits on top of this frame's (so it sees this frame's
    /// writes so far: the reentrancy rule of docs/decisions/0006) and is merged only when it succeeds.
    /// </summary>
    private static Value[] CallContract(Machine m, Value[] a, bool withValue)
    {
        var f = Current(m, 0);
        var ex = f.Ex;
        var target = AddressArg(m, Args.At(a, 0), "call: contract");
        var amount = withValue ? AmountArg(m, Args.At(a, 1)) : 0;
        if (amount > 0 && ex.ReadOnly) throw m.Error("a view call cannot send coins");
        var at = withValue ? 2 : 1;
        var fnv = Args.At(a, at);
        if (!fnv.IsString) throw m.Error("call: the function name must be a string");
        if (fnv.AsString.Length > ContractPayload.MaxFunctionBytes) throw m.Error("call: the function name is too long");
        var fn = fnv.AsString.ToString();
        if (a.Length - at - 1 > ContractPayload.MaxArguments) throw m.Error($"call: at most {ContractPayload.MaxArguments} arguments");
        var args = new List<ContractValue>();
        try { for (var i = at + 1; i < a.Length; i++) args.Add(ex.FromLua(a[i], "a call argument")); }
        catch (BoundaryException e) { throw m.Error(e.Message); }
        var result = ex.RunFrame(f.State, new ContractCall(target, f.Call.Contract, amount, fn, args), null);
        if (!result.Ok) throw m.Error($"call to {fn} failed: {result.Error}");
        return [ex.ToLua(result.Value, 0)];
    }

    private static Value[] Sha256(Machine m, Value[] a)
    {
        var v = Args.At(a, 0);
        if (!v.IsString) throw m.Error("sha256: a string is expected");
        Current(m, (long)Gas.Sha256 + v.AsString.Length / (long)Gas.BytesPerGas);
        return [m.Str(Hash.Sha256(v.AsString.Bytes).ToString())];
    }

    private static Value[] Verify(Machine m, Value[] a)
    {
        Value k = Args.At(a, 0), msg = Args.At(a, 1), s = Args.At(a, 2);
        if (!k.IsString || !msg.IsString || !s.IsString) throw m.Error("verify: public key (hex), message and signature (hex) are strings");
        Current(m, (long)Gas.Verify + msg.AsString.Length / (long)Gas.BytesPerGas);
        if (k.AsString.Length != 2 * Ed25519.PublicKeySize || s.AsString.Length != 2 * Ed25519.SignatureSize) return [Value.False];
        byte[] key, sig;
        try
        {
            key = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(k.AsString.Bytes));
            sig = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(s.AsString.Bytes));
        }
        catch (FormatException) { throw m.Error("verify: the key and signature must be hex"); }
        return [Value.Bool(Ed25519.Verify(key, msg.AsString.Bytes, sig))];
    }
}
