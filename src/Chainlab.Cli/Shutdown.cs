using System.Runtime.InteropServices;

namespace Chainlab.Cli;

/// <summary>
/// A token cancelled by Ctrl+C or SIGTERM, so long-running commands stop cleanly. The only handler of those signals:
/// System.CommandLine's own is off (Invocation), so a command without one ends at once, as a command line tool does.
/// </summary>
public sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _term, _int;

    public Shutdown(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    private void Handle(PosixSignalContext ctx)
    {
        ctx.Cancel = true;
        Trace($"signal {ctx.Signal}");
        // Not here: cancelling runs the awaiting code inline, and the clean-up it does (stopping child processes and
        // waiting for them) should not run on the thread that handles signals (docs/RELIABILITY.md, Stopping).
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try { _cts.Cancel(); Trace("cancelled"); }
            catch (ObjectDisposedException) { } // the command had ended already
        });
    }

    /// <summary>With CHAINLAB_LAB_TRACE set, where the run's clean-up is (a test that stops a lesson shows it should it hang).</summary>
    public static void Trace(string what)
    {
        if (Environment.GetEnvironmentVariable("CHAINLAB_LAB_TRACE") is not null) Console.Error.WriteLine($"trace {DateTime.UtcNow:HH:mm:ss.fff}: {what}");
    }

    public CancellationToken Token => _cts.Token;

    public async Task WaitAsync()
    {
        try { await Task.Delay(Timeout.Infinite, _cts.Token); } catch (OperationCanceledException) { }
    }

    public void Dispose() { _term.Dispose(); _int.Dispose(); _cts.Dispose(); }
}
