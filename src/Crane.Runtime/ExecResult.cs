namespace Crane.Runtime;

/// <summary>Result of a command run inside a container: exit code and stdout + stderr combined.
/// A command that outlives its timeout yields exit code <see cref="TimedOutExitCode"/>.</summary>
public sealed record ExecResult(int ExitCode, string Output)
{
    public const int TimedOutExitCode = 124;
}
