namespace Crane.Runtime;

/// <summary>Runs containers for one node: Docker, local processes or hollow (in-memory) ones.</summary>
public interface IContainerRuntime : IAsyncDisposable
{
    /// <summary><c>docker</c>, <c>process</c> or <c>hollow</c>.</summary>
    string Name { get; }

    /// <summary>Checks the runtime answers and creates what it needs (Docker: the <c>crane</c> network).</summary>
    Task PrepareAsync(CancellationToken ct);

    /// <summary>Creates and starts a container; a leftover container with the same name is removed first.</summary>
    /// <exception cref="ImageUnavailableException">The image is missing and cannot be pulled.</exception>
    Task<ContainerInfo> RunAsync(ContainerSpec spec, CancellationToken ct);

    /// <summary>Stops (SIGTERM, then SIGKILL after <paramref name="stopTimeout"/>) and removes; a missing
    /// container is not an error.</summary>
    Task RemoveAsync(string containerId, TimeSpan stopTimeout, CancellationToken ct);

    /// <summary>The container's current state, or null when it is gone.</summary>
    Task<ContainerInfo?> InspectAsync(string containerId, CancellationToken ct);

    /// <summary>The container's current CPU and memory usage, or null when it is gone or not running.</summary>
    Task<ContainerStats?> StatsAsync(string containerId, CancellationToken ct);

    /// <summary>All containers, stopped ones included, that carry every given label.</summary>
    Task<IReadOnlyList<ContainerInfo>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct);

    /// <summary>Reports lifecycle events of containers carrying every given label until <paramref name="ct"/>
    /// is cancelled; reconnects after engine errors, so events are delivered at least once.</summary>
    Task WatchAsync(IReadOnlyDictionary<string, string> labels, Action<ContainerEvent> onEvent, CancellationToken ct);

    /// <summary>Runs a command inside the container and returns its exit code and combined output.</summary>
    Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct);
}
