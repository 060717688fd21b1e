using System.Threading.Channels;

namespace Chainlab.Node.Chain;

/// <summary>
/// Runs chain work one item at a time on a single task: the only place state changes.
/// Callers enqueue work and await its result.
/// </summary>
public sealed class ChainLoop : IAsyncDisposable
{
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _runner;

    public ChainLoop()
    {
        _runner = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private async Task RunAsync()
    {
        await foreach (var item in _work.Reader.ReadAllAsync()) item();
    }

    public Task<T> Run<T>(Func<T> work)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var item = () =>
        {
            try { tcs.SetResult(work()); }
            catch (Exception e) { tcs.SetException(e); }
        };
        if (!_work.Writer.TryWrite(item)) tcs.SetException(new ObjectDisposedException(nameof(ChainLoop)));
        return tcs.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await _runner;
    }
}
