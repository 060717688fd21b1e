using Chainlab.Node.Hosting;

namespace Chainlab.Node.Tests.Chain;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restarted_node_resumes_at_the_same_head_and_state_root()
    {
        var n = await TestNode.StartAsync();
        var dir = n.Dir;
        var spec = n.Spec;
        var time = n.Time;
        n.Node.Pool.Admit([n.Transfer(0, 1, 10, 0).Raw, n.Transfer(1, 2, 20, 0).Raw]);
        await n.ProduceAsync();
        n.Node.Pool.Admit([n.Transfer(0, 3, 5, 1).Raw]);
        await n.ProduceAsync();
        var head = n.Node.Chain.Head;
        var balance = n.Node.Chain.Account(n.Keys[3].Address);
        await n.DisposeAsync();

        var again = await TestNode.StartAsync(dir: dir, spec: spec, time: time);
        try
        {
            Assert.Equal(head.Hash, again.Node.Chain.Head.Hash);
            Assert.Equal(head.StateRoot, again.Node.Chain.Head.StateRoot);
            Assert.Equal(balance, again.Node.Chain.Account(again.Keys[3].Address));
            // And it keeps going from there.
            again.Node.Pool.Admit([again.Transfer(0, 1, 1, 2).Raw]);
            await again.ProduceAsync();
            Assert.Equal(head.Height + 1, again.Node.Chain.Head.Height);
        }
        finally { await again.DisposeAndDeleteAsync(); }
    }

    [Fact]
    public async Task A_second_node_on_the_same_folder_or_a_different_chain_is_refused_with_one_clear_line()
    {
        var n = await TestNode.StartAsync();
        try
        {
            var e = await Assert.ThrowsAsync<NodeStartException>(() => TestNode.StartAsync(dir: n.Dir));
            Assert.Contains("in use by another node", e.Message);
        }
        finally { await n.DisposeAsync(); }

        var other = TestNode.SpecFor(Build.Keys(1, seed: 5)[0], Build.Keys(2, seed: 6));
        var e2 = await Assert.ThrowsAsync<NodeStartException>(() => TestNode.StartAsync(dir: n.Dir, spec: other));
        Assert.Contains("differs", e2.Message);
        TempDir.Delete(n.Dir);
    }

    [Fact]
    public async Task A_damaged_account_table_is_detected_at_start()
    {
        var n = await TestNode.StartAsync();
        n.Node.Pool.Admit([n.Transfer(0, 1, 10, 0).Raw]);
        await n.ProduceAsync();
        var dir = n.Dir;
        var spec = n.Spec;
        await n.DisposeAsync();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, Chainlab.Node.Storage.ChainStores.DatabaseFileName)};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE accounts SET balance = balance + 1000000";
            cmd.ExecuteNonQuery();
        }
        var e = await Assert.ThrowsAsync<NodeStartException>(() => TestNode.StartAsync(dir: dir, spec: spec));
        Assert.Contains("damaged", e.Message);
        TempDir.Delete(dir);
    }
}
