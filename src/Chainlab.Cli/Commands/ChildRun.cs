using System.Diagnostics;
using Chainlab.Cli.Processes;

namespace Chainlab.Cli.Commands;

/// <summary>A `chainlab` child process started from a running devnet (a scenario, a lesson, a challenge) and its last 300 output lines.</summary>
public sealed class ChildRun : IDisposable
{
    private readonly object _gate = new();
    private readonly List<string> _lines = new();
    private readonly Process _proc;

    public ChildRun(string[] args)
    {
        var psi = ChainlabProcess.Self(args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        _proc = Process.Start(psi) ?? throw new CliException("could not start chainlab " + args[0]);
        _proc.OutputDataReceived += (_, e) => Add(e.Data);
        _proc.ErrorDataReceived += (_, e) => Add(e.Data);
        _proc.BeginOutputReadLine();
        _proc.BeginErrorReadLine();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _lines.Add(line);
            if (_lines.Count > 300) _lines.RemoveAt(0);
        }
    }

    public bool Running => !_proc.HasExited;
    public int? ExitCode => _proc.HasExited ? _proc.ExitCode : null;
    public List<string> Lines { get { lock (_gate) return _lines.ToList(); } }

    /// <summary>
    /// Asks it to stop with SIGTERM (it stops its nodes as on Ctrl+C; SIGINT would not reach it if this devnet was
    /// started in the background without job control), and kills it if it has not within the time.
    /// </summary>
    public async Task StopAsync(TimeSpan within)
    {
        if (_proc.HasExited) return;
        Signals.Send(_proc.Id, Signals.Term);
        using var cts = new CancellationTokenSource(within);
        try { await _proc.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { try { _proc.Kill(true); } catch (InvalidOperationException) { } }
    }

    public void Dispose()
    {
        try { if (!_proc.HasExited) _proc.Kill(true); } catch (InvalidOperationException) { }
        _proc.Dispose();
    }
}
