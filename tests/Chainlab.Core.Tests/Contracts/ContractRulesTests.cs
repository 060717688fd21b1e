using Chainlab.Core.Rules;
using Chainlab.Contracts;
using Chainlab.Core.Consensus;
using Chainlab.Core.Crypto;
using Chainlab.Core.Execution;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Tests.Contracts;

/// <summary>Deploy and invoke as transaction kinds: fees, refunds, refusals, limits in the spec.</summary>
public sealed class ContractRulesTests
{
    private readonly KeyPair[] _k = Build.Keys(2);
    private ChainSpec Spec => Build.Spec(_k, balance: 100_000_000);
    private ChainRules Rules => new(Spec, ConsensusEngines.For(Spec), ContractKinds.All);

    [Fact]
    public void A_deploy_pays_only_the_gas_it_used_and_the_contract_keeps_the_amount()
    {
        var state = new StateOverlay(Spec.GenesisState());
        var tx = ContractTx.Deploy(_k[0], 0, "function init() storage.set('x', 1) end", gas: 1_000_000, amount: 500);
        var outcome = new TxOutcome();
        Assert.True(Rules.Apply(state, tx, 1, 0, outcome).IsOk);
        Assert.True(outcome.Success, outcome.Error);
        var used = outcome.Contract!.GasUsed;
        Assert.Equal(used, outcome.FeePaid);
        var contract = ContractState.ContractAddress(_k[0].Address, 0);
        Assert.Equal(contract, outcome.Contract.Created);
        Assert.Equal(100_000_000UL - used - 500, state.Get(_k[0].Address).Balance);
        Assert.Equal(500UL, state.Get(contract).Balance);
    }

    [Fact]
    public void A_failed_deploy_leaves_no_contract_returns_the_amount_and_still_pays_its_gas()
    {
        var state = new StateOverlay(Spec.GenesisState());
        var tx = ContractTx.Deploy(_k[0], 0, "function init() storage.set('x', 1) error('no') end", gas: 1_000_000, amount: 500);
        var outcome = new TxOutcome();
        Assert.True(Rules.Apply(state, tx, 1, 0, outcome).IsOk);
        Assert.False(outcome.Success);
        Assert.Contains("no", outcome.Error);
        var contract = ContractState.ContractAddress(_k[0].Address, 0);
        Assert.Null(ContractState.CodeHashOf(state, contract));
        Assert.Equal(0UL, state.Get(contract).Balance);
        Assert.Equal(100_000_000UL - outcome.FeePaid!.Value, state.Get(_k[0].Address).Balance);
        Assert.Equal(1UL, state.Get(_k[0].Address).Nonce);
    }

    [Theory]
    [InlineData("fee", "the fee must be gas limit")]
    [InlineData("gas over max", "above the chain's maximum")]
    [InlineData("gas under base", "below this transaction's base cost")]
    [InlineData("recipient on deploy", "a deploy has no recipient")]
    [InlineData("no recipient on invoke", "names the contract as its recipient")]
    [InlineData("truncated payload", "contract payload")]
    public void A_malformed_contract_transaction_is_refused_before_it_runs(string what, string says)
    {
        var code = "function init() end"u8.ToArray();
        var tx = what switch
        {
            "fee" => Transaction.Create(_k[0], "test-chain", TxKind.Deploy, 0, 5, Address.Zero, 0, ContractPayload.Deploy(1_000_000, code, [])),
            "gas over max" => ContractTx.Deploy(_k[0], 0, "function init() end", gas: Spec.Contracts.MaxGas + 1),
            "gas under base" => ContractTx.Deploy(_k[0], 0, "function init() end", gas: 100),
            "recipient on deploy" => Transaction.Create(_k[0], "test-chain", TxKind.Deploy, 0, 1_000_000, _k[1].Address, 0, ContractPayload.Deploy(1_000_000, code, [])),
            "no recipient on invoke" => Transaction.Create(_k[0], "test-chain", TxKind.Invoke, 0, 1_000_000, Address.Zero, 0, ContractPayload.Invoke(1_000_000, "f", [])),
            _ => Transaction.Create(_k[0], "test-chain", TxKind.Invoke, 0, 1_000_000, _k[1].Address, 0, [0, 0, 0]),
        };
        var state = new StateOverlay(Spec.GenesisState());
        var r = Rules.Apply(state, tx, 1);
        Assert.False(r.IsOk);
        Assert.Contains(says, r.Detail);
        Assert.Empty(state.Changes);
    }

    [Fact]
    public void A_chain_whose_spec_disables_contracts_refuses_them_as_an_unsupported_kind()
    {
        var spec = Spec with { Contracts = new ContractSpec { Enabled = false } };
        var r = new ChainRules(spec, ConsensusEngines.For(spec), ContractKinds.All).CheckStateless(ContractTx.Deploy(_k[0], 0, "function init() end"));
        Assert.Equal(TxError.UnsupportedKind, r.Error);
    }

    [Theory]
    [InlineData("""{"gasPrice": 0}""")]
    [InlineData("""{"gasPrice": 100000000000000, "maxGas": 1000000000}""")]
    [InlineData("""{"callDepth": 100}""")]
    [InlineData("""{"memoryBytes": 10}""")]
    [InlineData("""{"codeBytes": 10000000}""")]
    public void Contract_limits_outside_their_range_make_the_spec_invalid(string contracts)
    {
        var spec = System.Text.Json.JsonSerializer.Deserialize<ChainSpec>(Spec.ToJson(), ChainSpec.Json)! with
        {
            Contracts = System.Text.Json.JsonSerializer.Deserialize<ContractSpec>(contracts, ChainSpec.Json)!,
        };
        Assert.Throws<FormatException>(() => ChainSpec.FromJson(spec.ToJson()));
    }

    [Fact]
    public void The_contract_limits_are_part_of_the_genesis_hash()
    {
        var other = Spec with { Contracts = new ContractSpec { GasPrice = 2 } };
        Assert.NotEqual(Spec.GenesisBlock().Hash, other.GenesisBlock().Hash);
    }
}
