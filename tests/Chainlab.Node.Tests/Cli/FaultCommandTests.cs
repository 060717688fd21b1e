using Chainlab.Cli.Devnets;
using Chainlab.Cli;
using Chainlab.Cli.Commands;

namespace Chainlab.Node.Tests.Cli;

/// <summary>The misbehave fault (restart a devnet node breaking the rules, or honest again) is checked before anything restarts.</summary>
public sealed class FaultCommandTests
{
    [Theory]
    [InlineData(new[] { 3 }, new[] { "double-signing" }, "unknown misbehaviour 'double-signing'")]
    [InlineData(new int[0], new[] { "invalid-tx" }, "misbehave needs the nodes it acts on")]
    [InlineData(new[] { 5 }, new[] { "invalid-tx" }, "no node 5 in this devnet (1..4)")]
    public void A_misbehave_command_naming_a_wrong_misbehaviour_or_node_is_refused_with_why(int[] nodes, string[] names, string says)
    {
        var e = Assert.Throws<CliException>(() => DevnetFaults.Validate(new FaultCommand("misbehave", nodes, Misbehave: names), 4));
        Assert.Contains(says, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void A_misbehave_command_says_what_it_does()
    {
        DevnetFaults.Validate(new FaultCommand("misbehave", [2], Misbehave: ["invalid-tx", "flood-tx"]), 4);
        Assert.Equal("restart node 2 misbehaving: invalid-tx, flood-tx", new FaultCommand("misbehave", [2], Misbehave: ["invalid-tx", "flood-tx"]).ToString());
        Assert.Equal("restart node 2 honest", new FaultCommand("misbehave", [2], Misbehave: []).ToString());
    }
}
