using System.Runtime.InteropServices;

namespace Chainlab.Cli;

/// <summary>A token cancelled by Ctrl+C or SIGTERM, so long-running commands stop cleanly.</summary>
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
        _cts.Cancel();
    }

    public CancellationToken Token => _cts.Token;

    public async Task WaitAsync()
    {
        try { await Task.Delay(Timeout.Infinite, _cts.Token); } catch (OperationCanceledException) { }
    }

    public void Dispose() { _term.Dispose(); _int.Dispose(); _cts.Dispose(); }
}
