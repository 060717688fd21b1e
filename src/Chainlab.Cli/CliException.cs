namespace Chainlab.Cli;

/// <summary>A failure reported as one line on stderr with a meaningful exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Exit codes (documented in the README).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Unreachable = 3;
    public const int Rejected = 4;
    public const int NotFound = 5;
    public const int Timeout = 6;
}
