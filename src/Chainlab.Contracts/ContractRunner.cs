using System.Text;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Contracts;

/// <summary>
/// Runs contract code without a node: deploys it on an empty state (init runs with no arguments), calls one
/// function, and reports everything a node would commit to: success, error, gas, the result and events in their
/// canonical bytes, and the state root. `chainlab contract run` prints these records; the determinism tests
/// compare them across processes byte for byte.
/// </summary>
public static class ContractRunner
{
    public static readonly Address Sender = Address.FromPublicKey(new byte[32]);
    public static readonly Address Contract = ContractState.ContractAddress(Sender, 0);

    public sealed record Record(string Name, bool Ok, string? Error, ulong GasUsed, ulong Instructions, long Work, byte[] Result, byte[] Events, Hash StateRoot)
    {
        /// <summary>One line: every field that consensus depends on, in a fixed order.</summary>
        public string Line() =>
            $"{Name} ok={(Ok ? 1 : 0)} gas={GasUsed} result={Convert.ToHexStringLower(Result)} events={Convert.ToHexStringLower(Hash.Sha256(Events).ToArray())} root={StateRoot} error={Error ?? "-"}";
    }

    public static Record Run(string name, byte[] code, string function, IReadOnlyList<ContractValue> args, ulong gas, ContractSpec? limits = null)
    {
        limits ??= new ContractSpec();
        var world = new WorldState();
        world.Put(Sender, new Account(1_000_000_000, 0, 0));
        var state = new StateOverlay(world);
        ContractState.Install(state, Contract, code);
        var deploy = new LuaExecution(limits, gas, Sender, 1, 1_000, readOnly: false);
        var init = deploy.Run(state, new ContractCall(Contract, Sender, 0, "init", [], Deploying: true), code);
        LuaExecution ex = deploy;
        var result = init;
        if (init.Ok)
        {
            ex = new LuaExecution(limits, gas, Sender, 2, 2_000, readOnly: false);
            result = ex.Run(state, new ContractCall(Contract, Sender, 0, function, args));
        }
        world.Apply(state.Changes);
        var events = new MemoryStream();
        foreach (var e in ex.Events)
        {
            events.Write(Encoding.UTF8.GetBytes(e.Name));
            events.WriteByte(0);
            events.Write(e.Value);
        }
        return new Record(name, result.Ok, result.Error, ex.GasUsed, ex.Instructions, ex.Work,
            result.Ok ? result.Value.Encode() : [], events.ToArray(), world.Root);
    }
}
