using Chainlab.Contracts;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Tests.Contracts;

/// <summary>
/// A contract transaction that fails for a reason that is not its own (a fault inside this node, not a contract
/// error) is dropped from the mempool and logged; the block is built without it and production goes on.
/// </summary>
public sealed class NodeFaultTests
{
    /// <summary>The real invoke rules, except that calling "explode" fails inside the node, as a bug would.</summary>
    private sealed class FaultyInvoke : ITransactionRules
    {
        private readonly InvokeRules _real = new();
        public TxKind Kind => _real.Kind;
        public bool CheckedAtAdmission => _real.CheckedAtAdmission;
        public ulong Moved(Transaction tx) => _real.Moved(tx);
        public ulong GasLimit(Transaction tx) => _real.GasLimit(tx);
        public TxRejection CheckStateless(Transaction tx, ChainSpec spec) => _real.CheckStateless(tx, spec);
        public TxRejection Apply(StateOverlay state, Transaction tx, Account after, TxContext context)
        {
            var p = ContractPayload.Decode(TxKind.Invoke, tx.Payload);
            // Half-applied changes first, as a fault in the middle of a run would leave them.
            state.Set(tx.Sender, after with { Balance = 0 });
            if (p.Function == "explode") throw new InvalidOperationException("simulated fault inside the node");
            return _real.Apply(state, tx, after, context);
        }
    }

    [Fact]
    public async Task A_transaction_that_faults_the_node_is_dropped_and_the_block_goes_on_without_it()
    {
        await using var n = await ContractNode.StartAsync(contractKinds: [new DeployRules(), new FaultyInvoke()]);
        var (contract, _) = await n.DeployAsync(0, "function ping() storage.set('p', 1) return 1 end function explode() return 2 end");
        var balanceBefore = await n.BalanceAsync(n.Key(1).Address);
        var bad = n.Invocation(1, contract, "explode");
        var good = n.Invocation(2, contract, "ping");
        await n.SubmitAsync(bad);
        await n.SubmitAsync(good);
        var (block, _) = await n.Node.ProduceAsync();
        Assert.NotNull(block);
        Assert.Equal([good.Hash], block!.Transactions.Select(t => t.Hash));
        Assert.Equal(0, n.Node.Node.Pool.Count);
        Assert.True((await n.ReceiptAsync(good.Hash.ToString()))["success"]!.GetValue<bool>());
        // Nothing the faulted run wrote remains: the sender still has its coins (and paid no fee).
        Assert.Equal(balanceBefore, await n.BalanceAsync(n.Key(1).Address));
        var status = await n.Node.GetJson($"/api/v1/transactions/{bad.Hash}");
        Assert.Contains("could not run", status.ToJsonString());
        // Production goes on.
        var next = n.Invocation(2, contract, "ping");
        await n.SubmitAsync(next);
        Assert.Single((await n.Node.ProduceAsync()).Block!.Transactions);
    }
}
