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
}
