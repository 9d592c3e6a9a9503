namespace Crane.Runtime;

public enum ContainerStatus
{
    Created,
    Running,
    Exited,
    Unknown,
}

/// <summary>A container as the runtime sees it now. <paramref name="HostPort"/> is the 127.0.0.1 port that
/// reaches the spec's port; <paramref name="ExitCode"/> is set once the container has exited.</summary>
public sealed record ContainerInfo(
    string Id,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    ContainerStatus Status,
    int? HostPort,
    int? ExitCode,
    DateTimeOffset? StartedAt);
