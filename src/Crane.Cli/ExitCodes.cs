namespace Crane.Cli;

/// <summary>The exit-code contract of every <c>crane</c> command.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The server (or, for <c>policy eval</c>, the local evaluator) said no: a 4xx/5xx answer, an invalid module.</summary>
    public const int Refused = 1;

    /// <summary>Bad flags, a missing file, an unusable --server URL: nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached: connection refused, DNS, TLS or a timeout.</summary>
    public const int Unreachable = 3;
}

/// <summary>A mistake in how the command was called, found before anything was sent (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The server at <see cref="Server"/> could not be reached or did not answer in time (exit code 3).</summary>
public sealed class ServerUnreachableException(Uri server, string reason, Exception? inner = null)
    : Exception($"cannot reach the Crane server at {server}: {reason}", inner)
{
    /// <summary>The --server URL that failed.</summary>
    public Uri Server { get; } = server;
}
