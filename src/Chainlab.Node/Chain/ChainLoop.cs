using Chainlab.Node.Common;
namespace Chainlab.Node.Chain;

/// <summary>
/// Runs chain work one item at a time: the only place state changes. Callers enqueue work and await its
/// result. The loop runs on the given scheduler (the thread pool, or a simulator's deterministic one).
/// </summary>
public sealed class ChainLoop : IAsyncDisposable
{
    private readonly WorkQueue<Action> _work = new();
    private readonly Task _runner;

    public ChainLoop(TaskScheduler? scheduler = null)
    {
        scheduler ??= TaskScheduler.Default;
        var options = scheduler == TaskScheduler.Default ? TaskCreationOptions.LongRunning : TaskCreationOptions.DenyChildAttach;
        _runner = Task.Factory.StartNew(RunAsync, CancellationToken.None, options, scheduler).Unwrap();
    }

    private async Task RunAsync()
    {
        while (await _work.WaitToReadAsync())
            while (_work.TryRead(out var item)) item();
    }

    public Task<T> Run<T>(Func<T> work)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var item = () =>
        {
            try { tcs.SetResult(work()); }
            catch (Exception e) { tcs.SetException(e); }
        };
        if (!_work.TryWrite(item)) tcs.SetException(new ObjectDisposedException(nameof(ChainLoop)));
        return tcs.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _work.Complete();
        await _runner;
    }
}
