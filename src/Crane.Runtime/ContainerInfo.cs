namespace Crane.Runtime;

public enum ContainerStatus
{
    Created,
    Running,
    Exited,
    Unknown,
}

/// <summary>A container as the runtime sees it now. <paramref name="HostPort"/> is the 127.0.0.1 port that
/// reaches the spec's port (the one named by the label crane.port when several are published);
/// <paramref name="HostPorts"/> maps every published container port to its 127.0.0.1 port;
/// <paramref name="ExitCode"/> is set once the container has exited.</summary>
public sealed record ContainerInfo(
    string Id,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    ContainerStatus Status,
    int? HostPort,
    int? ExitCode,
    DateTimeOffset? StartedAt,
    IReadOnlyDictionary<int, int>? HostPorts = null);
