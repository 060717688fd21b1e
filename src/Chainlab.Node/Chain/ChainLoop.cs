using System.Threading.Channels;

namespace Chainlab.Node.Chain;

/// <summary>
/// Runs chain work one item at a time: the only place state changes. Callers enqueue work and await its
/// result. The loop runs on the given scheduler (the thread pool, or a simulator's deterministic one).
/// </summary>
public sealed class ChainLoop : IAsyncDisposable
{
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _runner;

    public ChainLoop(TaskScheduler? scheduler = null)
    {
        scheduler ??= TaskScheduler.Default;
        var options = scheduler == TaskScheduler.Default ? TaskCreationOptions.LongRunning : TaskCreationOptions.DenyChildAttach;
        _runner = Task.Factory.StartNew(RunAsync, CancellationToken.None, options, scheduler).Unwrap();
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
