using System.Runtime.InteropServices;

namespace Chainlab.Cli.Processes;

/// <summary>
/// Sends a POSIX signal to a process with kill(2), in this process, rather than by starting a `kill` process for
/// each signal: stopping a devnet then depends on nothing but the signal (a lesson's Ctrl+C hung now and then while
/// stopping its nodes; docs/RELIABILITY.md, Stopping).
/// </summary>
public static partial class Signals
{
    // Linux numbering (x86-64 and arm64 alike).
    public const int Int = 2, Kill = 9, Term = 15, Cont = 18, Stop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int sig);

    /// <summary>Sends the signal; false when the process is gone (or may not be signalled).</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>A signal by its name as `kill -NAME` takes it (INT, TERM, STOP, CONT, KILL).</summary>
    public static int Named(string name) => name switch
    {
        "INT" => Int,
        "TERM" => Term,
        "STOP" => Stop,
        "CONT" => Cont,
        "KILL" or "9" => Kill,
        _ => throw new ArgumentException($"no signal {name}"),
    };
}
