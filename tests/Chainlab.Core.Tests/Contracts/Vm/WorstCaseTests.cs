using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>
/// Every known worst case (Chainlab.Contracts.WorstCases: each library function with empty, huge and hostile
/// input, long-string comparisons, errors in loops, deep recursion, shared subtables) ends within its gas, and the
/// work it does is paid for: at most <see cref="WorkPerGas"/> units of library work (bytes touched, elements moved,
/// matcher steps) per unit of gas, and at most one interpreter instruction per unit of gas. Wall time per gas is
/// measured by `chainlab bench contracts --worst-case` (docs/BENCHMARKS.md), never asserted here.
/// </summary>
public sealed class WorstCaseTests
{
    /// <summary>The documented bound (docs/contracts.md): library work units per unit of gas.</summary>
    public const long WorkPerGas = 16;

    public static TheoryData<string> Names() => new(WorstCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void A_worst_case_ends_within_its_gas_and_pays_for_its_work(string name)
    {
        var code = WorstCases.All.Single(c => c.Name == name).Code;
        const ulong gas = 2_000_000;
        var state = new StateOverlay(StateSnapshot.Empty);
        var contract = ContractState.ContractAddress(Address.Zero, 0);
        ContractState.Install(state, contract, System.Text.Encoding.UTF8.GetBytes(code));
        var ex = new LuaExecution(new ContractSpec(), gas, Address.Zero, 1, 0, readOnly: false);
        var r = ex.Run(state, new ContractCall(contract, Address.Zero, 0, "main", []));
        Assert.True(ex.GasUsed <= gas);
        Assert.True(ex.Work <= WorkPerGas * (long)ex.GasUsed, $"{name}: {ex.Work:N0} units of work for {ex.GasUsed:N0} gas");
        Assert.True(ex.Instructions <= ex.GasUsed, $"{name}: {ex.Instructions:N0} instructions for {ex.GasUsed:N0} gas");
        Assert.True(ex.PeakMemory <= new ContractSpec().MemoryBytes, $"{name}: peak {ex.PeakMemory:N0} bytes");
        // The loops run until the gas or the memory is gone; the single-shot cases end with their own error.
        if (!r.Ok) Assert.Matches("out of gas|out of memory|stack overflow|too many|more than the limit|arithmetic on a string", r.Error!);
    }
}
