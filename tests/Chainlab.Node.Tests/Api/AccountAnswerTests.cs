using Chainlab.Core.State;

namespace Chainlab.Node.Tests.Api;

public sealed class AccountAnswerTests
{
    [Fact]
    public async Task A_system_account_answers_its_data_and_the_value_it_makes_is_the_one_the_proof_commits_to()
    {
        await using var n = await TestNode.StartAsync();
        var answer = await n.GetJson($"/api/v1/accounts/{SystemAccounts.Authorities}?proof=true");
        var data = Convert.FromHexString(answer["data"]!.GetValue<string>());
        Assert.NotEmpty(data); // the authority set of this proof-of-authority chain
        var account = new Account(answer["balance"]!.GetValue<ulong>(), answer["nonce"]!.GetValue<ulong>(), answer["stake"]!.GetValue<ulong>(), data);
        Assert.Equal(answer["proof"]!["leafValue"]!.GetValue<string>(), account.ValueHash().ToString());

        var plain = await n.GetJson($"/api/v1/accounts/{n.Keys[0].Address}");
        Assert.Equal("", plain["data"]!.GetValue<string>());
    }
}
