namespace Chainlab.TestSupport;

/// <summary>Waiting for something other processes or threads do, with a deadline and a message that says what never happened.</summary>
public static class Eventually
{
    /// <summary>Polls the condition every 50 ms until it holds; fails the test after the deadline.</summary>
    public static async Task True(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Polls an asynchronous condition every 100 ms until it holds; fails the test after the deadline.</summary>
    public static async Task True(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Checks that the condition keeps holding for the whole period (polled every 20 ms), for claims that
    /// something does not happen; fails the test the moment it breaks.
    /// </summary>
    public static async Task Holds(Func<bool> condition, string what, TimeSpan period)
    {
        var until = DateTime.UtcNow + period;
        do
        {
            if (!condition()) Assert.Fail($"stopped holding within {period.TotalMilliseconds:0} ms: {what}");
            await Task.Delay(20);
        } while (DateTime.UtcNow < until);
        Assert.True(condition(), $"stopped holding at the end of {period.TotalMilliseconds:0} ms: {what}");
    }

    /// <summary>The asynchronous form of <see cref="Holds(Func{bool}, string, TimeSpan)"/>, polled every 250 ms.</summary>
    public static async Task Holds(Func<Task<bool>> condition, string what, TimeSpan period)
    {
        var until = DateTime.UtcNow + period;
        do
        {
            if (!await condition()) Assert.Fail($"stopped holding within {period.TotalMilliseconds:0} ms: {what}");
            await Task.Delay(250);
        } while (DateTime.UtcNow < until);
    }
}
