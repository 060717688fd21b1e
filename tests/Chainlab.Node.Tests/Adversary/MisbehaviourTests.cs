using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Node.Adversary;
using Chainlab.Node.Tests.Network;

namespace Chainlab.Node.Tests.Adversary;

/// <summary>Nodes that break the rules on purpose, against honest ones: the honest ones ban them and the chain goes on.</summary>
[Collection(RealTimeNetwork.Name)]
public sealed class MisbehaviourTests : IAsyncLifetime
{
    private readonly LoopbackNodes _net = new();
    private readonly KeyPair[] _keys = Build.Keys(4, seed: 81);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Theory]
    [InlineData("invalid-tx")]
    [InlineData("flood-tx")]
    public async Task Honest_nodes_ban_a_misbehaving_peer_refuse_what_it_sends_and_keep_producing(string misbehaviour)
    {
        var spec = LoopbackNodes.SpecNow(_keys[0], _keys[1..], 250);
        var producer = await _net.StartAsync(spec, _keys[0], []);
        var follower = await _net.StartAsync(spec, null, [producer.Network!.Port]);
        // The attacker signs with a funded key, so that its overspends and replays look like real senders'.
        var attacker = await _net.StartAsync(spec, _keys[1], [producer.Network.Port, follower.Network!.Port], misbehave: [misbehaviour]);

        var status = await new HttpClient { BaseAddress = attacker.ApiUrl }.GetFromJsonAsync<JsonObject>("/api/v1/status");
        Assert.Equal(misbehaviour, status!["misbehaving"]![0]!.GetValue<string>());
        var honestStatus = await new HttpClient { BaseAddress = producer.ApiUrl }.GetFromJsonAsync<JsonObject>("/api/v1/status");
        Assert.Empty(honestStatus!["misbehaving"]!.AsArray());

        // A transfer by the attacker's key committed first, so that there is something to replay.
        var real = Build.Transfer(_keys[1], _keys[2].Address, 7, 0);
        Assert.True(producer.Pool.Admit([real.Raw])[0].Accepted);

        await Eventually.True(() => producer.Network.Stats.Peers.Bans >= 1 && follower.Network.Stats.Peers.Bans >= 1, $"both honest nodes banned the {misbehaviour} node", 60);
        var before = producer.Chain.Head.Height;
        await Eventually.True(() => producer.Chain.Head.Height >= before + 4 && follower.Chain.Head.Height >= before + 4, "the chain goes on", 30);
        Assert.Equal(1UL, producer.Chain.Account(_keys[1].Address).Nonce); // only the real transfer: nothing the attacker relayed got in
        Assert.Equal(1_000_000UL + 7, follower.Chain.Account(_keys[2].Address).Balance);
        Assert.DoesNotContain(producer.Network.Peers, p => p.Id == attacker.Network!.NodeId);
        Assert.DoesNotContain(follower.Network.Peers, p => p.Id == attacker.Network!.NodeId);
    }

    [Fact]
    public void An_unknown_misbehaviour_is_refused_with_the_known_names()
    {
        var e = Assert.Throws<ArgumentException>(() => Misbehaviours.Parse(["invalid-tx", "teleport"]));
        Assert.Contains("teleport", e.Message);
        Assert.Contains("flood-tx", e.Message);
        Assert.Empty(Misbehaviours.Parse([]));
    }
}
