using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Contracts;

/// <summary>
/// The payload of a contract transaction. Deploy: gas limit u64 | code bytes | arguments.
/// Invoke: gas limit u64 | function text | arguments. Arguments: u32 count + values (<see cref="ContractValue"/>).
/// </summary>
public sealed record ContractPayload(ulong GasLimit, byte[] Code, string Function, IReadOnlyList<ContractValue> Arguments)
{
    public const int MaxFunctionBytes = 64;
    public const int MaxArguments = 32;

    public static byte[] Deploy(ulong gasLimit, byte[] code, IReadOnlyList<ContractValue> args)
    {
        var w = new CanonicalWriter(64 + code.Length);
        w.U64(gasLimit); w.Bytes(code); w.Fixed(ContractValue.EncodeList(args));
        return w.ToArray();
    }

    public static byte[] Invoke(ulong gasLimit, string function, IReadOnlyList<ContractValue> args)
    {
        var w = new CanonicalWriter(64);
        w.U64(gasLimit); w.Text(function); w.Fixed(ContractValue.EncodeList(args));
        return w.ToArray();
    }

    public static ContractPayload Decode(TxKind kind, ReadOnlySpan<byte> payload)
    {
        var r = new CanonicalReader(payload);
        var gas = r.U64("gas limit");
        byte[] code = [];
        var fn = "";
        if (kind == TxKind.Deploy) code = r.Bytes(Limits.MaxPayloadBytes, "code").ToArray();
        else fn = r.Text(MaxFunctionBytes, "function name");
        var args = ContractValue.ReadList(ref r, MaxArguments);
        r.EnsureEnd("contract payload");
        return new ContractPayload(gas, code, fn, args);
    }
}

/// <summary>
/// Deploy and invoke. The sender pays gas limit × gas price up front (the fee field must say exactly that) and
/// gets back what the run did not use; the coins sent along (amount) go to the contract only when it succeeds.
/// A failed run is still included: its receipt names the error and it pays for its gas, nothing else remains.
/// </summary>
public abstract class ContractRulesBase : ITransactionRules
{
    public abstract TxKind Kind { get; }
    public bool CheckedAtAdmission => false;

    /// <summary>The payload's first field (0 when the payload is too short to have one; such a transaction is refused anyway).</summary>
    public ulong GasLimit(Transaction tx) =>
        tx.Payload.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(tx.Payload) : 0;
    public ulong Moved(Transaction tx) => tx.Amount;

    public TxRejection CheckStateless(Transaction tx, ChainSpec spec)
    {
        var c = spec.Contracts;
        if (!c.Enabled) return new(TxError.UnsupportedKind, "contracts are not enabled on this chain");
        ContractPayload p;
        try { p = ContractPayload.Decode(Kind, tx.Payload); }
        catch (Exception e) when (e is DecodeException or FormatException) { return new(TxError.Malformed, $"contract payload: {e.Message}"); }
        if (tx.Amount > long.MaxValue) return new(TxError.Overflow, "an amount sent to a contract must fit a signed 64-bit integer");
        if (p.GasLimit > c.MaxGas) return new(TxError.Malformed, $"gas limit {p.GasLimit} is above the chain's maximum of {c.MaxGas}");
        var intrinsic = Intrinsic(tx, p);
        if (p.GasLimit < intrinsic) return new(TxError.FeeTooLow, $"gas limit {p.GasLimit} is below this transaction's base cost of {intrinsic}");
        if (tx.Fee != p.GasLimit * c.GasPrice) return new(TxError.Malformed, $"the fee must be gas limit × gas price = {p.GasLimit * c.GasPrice}");
        return CheckOwn(tx, p, spec);
    }

    protected abstract TxRejection CheckOwn(Transaction tx, ContractPayload p, ChainSpec spec);
    protected abstract ulong Intrinsic(Transaction tx, ContractPayload p);

    public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
    {
        var p = ContractPayload.Decode(Kind, tx.Payload);
        var spec = context.Spec.Contracts;
        // The fee and the amount are already taken from 'after'; the amount goes along with the call.
        state.Set(tx.Sender, after with { Balance = after.Balance + tx.Amount });
        var ex = new LuaExecution(spec, p.GasLimit, tx.Sender, context.Height, context.TimeMs, readOnly: false);
        ex.Charge(Intrinsic(tx, p));
        var (result, created) = Run(state, tx, p, ex);
        var used = Math.Min(ex.GasUsed, p.GasLimit);
        var refund = (p.GasLimit - used) * spec.GasPrice;
        var sender = state.Get(tx.Sender);
        state.Set(tx.Sender, sender with { Balance = sender.Balance + refund });
        if (context.Outcome is { } o)
        {
            o.Success = result.Ok;
            o.Error = result.Error;
            o.FeePaid = used * spec.GasPrice;
            o.Contract = new ContractReceipt(used, result.Ok ? result.Value.Encode() : ContractValue.Nil.Encode(),
                result.Ok ? ex.Events : [], result.Ok ? created : null);
        }
        return TxRejection.Ok;
    }

    protected abstract (CallResult Result, Address? Created) Run(StateOverlay state, Transaction tx, ContractPayload p, LuaExecution ex);
}

public sealed class DeployRules : ContractRulesBase
{
    public override TxKind Kind => TxKind.Deploy;

    protected override ulong Intrinsic(Transaction tx, ContractPayload p) => Gas.Deploy + (ulong)p.Code.Length * Gas.DeployPerCodeByte;

    protected override TxRejection CheckOwn(Transaction tx, ContractPayload p, ChainSpec spec)
    {
        if (!tx.To.IsZero) return new(TxError.Malformed, "a deploy has no recipient (the contract's address comes from sender and nonce)");
        if (p.Code.Length == 0) return new(TxError.Malformed, "the contract code is empty");
        if (p.Code.Length > spec.Contracts.CodeBytes) return new(TxError.TooLarge, $"the contract code is {p.Code.Length} bytes, more than the limit of {spec.Contracts.CodeBytes}");
        if (p.Code[0] == 0x1b) return new(TxError.Malformed, "precompiled Lua bytecode is not accepted; deploy source text");
        return TxRejection.Ok;
    }

    protected override (CallResult, Address?) Run(StateOverlay state, Transaction tx, ContractPayload p, LuaExecution ex)
    {
        var address = ContractState.ContractAddress(tx.Sender, tx.Nonce);
        if (ContractState.CodeHashOf(state, address) is not null) return (CallResult.Fail($"a contract already exists at {address}"), null);
        var scratch = new StateOverlay(state);
        ContractState.Install(scratch, address, p.Code);
        var result = ex.Run(scratch, new ContractCall(address, tx.Sender, tx.Amount, "init", p.Arguments, Deploying: true), p.Code);
        if (result.Ok) foreach (var (a, acc) in scratch.Changes) state.Set(a, acc);
        return (result, address);
    }
}

public sealed class InvokeRules : ContractRulesBase
{
    public override TxKind Kind => TxKind.Invoke;

    protected override ulong Intrinsic(Transaction tx, ContractPayload p) => Gas.Invoke + (ulong)tx.Payload.Length * Gas.InvokePerPayloadByte;

    protected override TxRejection CheckOwn(Transaction tx, ContractPayload p, ChainSpec spec)
    {
        if (tx.To.IsZero) return new(TxError.Malformed, "an invocation names the contract as its recipient");
        if (p.Function.Length == 0) return new(TxError.Malformed, "an invocation names a function");
        return TxRejection.Ok;
    }

    protected override (CallResult, Address?) Run(StateOverlay state, Transaction tx, ContractPayload p, LuaExecution ex) =>
        (ex.Run(state, new ContractCall(tx.To, tx.Sender, tx.Amount, p.Function, p.Arguments)), null);
}

/// <summary>The contract kinds, for a node to add to its chain rules.</summary>
public static class ContractKinds
{
    public static IEnumerable<ITransactionRules> All => [new DeployRules(), new InvokeRules()];

    /// <summary>The longest a view call may run on the wall clock (it is stopped, cleanly, after that).</summary>
    public static readonly TimeSpan ViewWallClock = TimeSpan.FromSeconds(2);

    /// <summary>A read-only call: runs a function against a state, changes nothing, capped by the spec's gas.</summary>
    public static (CallResult Result, ulong GasUsed) View(ChainSpec spec, IAccountReader state, Address contract, string function,
        IReadOnlyList<ContractValue> args, ulong height, ulong timeMs, ulong? gasLimit = null, TimeSpan? wallClock = null,
        CancellationToken cancel = default)
    {
        var ex = new LuaExecution(spec.Contracts, Math.Min(gasLimit ?? spec.Contracts.MaxGas, spec.Contracts.MaxGas), Address.Zero, height, timeMs, readOnly: true);
        ex.Limit(wallClock ?? ViewWallClock, cancel);
        var result = ex.Run(new StateOverlay(state), new ContractCall(contract, Address.Zero, 0, function, args));
        return (result, Math.Min(ex.GasUsed, ex.GasLimit));
    }
}
