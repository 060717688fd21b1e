using Chainlab.Cli.Processes;

namespace Chainlab.Node.Tests.Hardening;

/// <summary>Issue 11, item 8: a node's log in a devnet has a size bound.</summary>
public sealed class RotatingLogTests : IDisposable
{
    private readonly string _dir = TestNode.NewDir();
    public void Dispose() { TempDir.Delete(_dir); }

    [Fact]
    public void A_log_past_its_limit_moves_aside_once_and_the_disk_holds_at_most_two_limits()
    {
        var path = Path.Combine(_dir, "node1.log");
        using (var log = new RotatingLog(path, maxBytes: 10_000))
            for (var i = 0; i < 2_000; i++) log.WriteLine($"12:00:00.000 info: line {i:D5} of a flood of bad requests");
        Assert.InRange(new FileInfo(path).Length, 1, 10_000);
        Assert.InRange(new FileInfo(path + ".1").Length, 1, 10_000);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
        Assert.EndsWith("line 01999 of a flood of bad requests", File.ReadAllLines(path)[^1]);
    }
}
