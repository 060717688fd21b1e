using System.Diagnostics;

namespace Chainlab.TestSupport;

/// <summary>
/// What a user's Ctrl+C does to a process the test started: SIGINT, or SIGTERM where this test process was started
/// with SIGINT ignored. A job started in the background by a shell without job control (`nohup … &`, as a CI
/// runner may start the suite) ignores SIGINT, and every process it starts inherits that: a SIGINT would never
/// arrive. The commands take SIGTERM through the same handler (Cli/Shutdown.cs).
/// </summary>
public static class CtrlC
{
    /// <summary>Whether SIGINT reaches processes started from here (bit 2 of SigIgn in /proc/self/status is clear).</summary>
    public static bool Reaches()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:"));
        return line is null || (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) == 0;
    }

    /// <summary>Sends SIGINT to the process, or SIGTERM when SIGINT would be ignored; says which.</summary>
    public static string Send(int pid)
    {
        var signal = Reaches() ? "INT" : "TERM";
        Process.Start("kill", [$"-{signal}", pid.ToString()])!.WaitForExit();
        return "SIG" + signal;
    }
}
