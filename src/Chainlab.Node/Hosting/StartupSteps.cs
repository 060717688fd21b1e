using System.Diagnostics;

namespace Chainlab.Node.Hosting;

/// <summary>Runs the node's start-up as named steps, each logged with its duration; a failing step is logged by name.
/// Durations are measured on the stopwatch, not the injected clock: they report real work, and decide nothing.</summary>
internal sealed class StartupSteps(ILogger log)
{
    private readonly List<(string Step, double Ms)> _done = new();

    /// <summary>The steps run so far and how long each took.</summary>
    public IReadOnlyList<(string Step, double Ms)> Done => _done;

    public T Run<T>(string step, Func<T> work)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = work();
            Record(step, started);
            return result;
        }
        catch (Exception e)
        {
            log.LogError("Start-up step '{Step}' failed: {Message}", step, e.Message);
            throw;
        }
    }

    public void Run(string step, Action work) => Run(step, () => { work(); return 0; });

    private void Record(string step, long started)
    {
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _done.Add((step, ms));
        log.LogInformation("Start-up: {Step} in {Ms:0.0} ms", step, ms);
    }
}
