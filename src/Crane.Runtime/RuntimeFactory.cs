using Microsoft.Extensions.Logging;

namespace Crane.Runtime;

public static class RuntimeFactory
{
    public static readonly IReadOnlyList<string> Names = ["docker", "process", "hollow"];

    /// <summary>Creates the runtime chosen by <c>--runtime</c>. The process runtime keeps its state under
    /// <c>&lt;dataDir&gt;/processes</c>; the Docker one uses <paramref name="dockerEndpoint"/> or
    /// <see cref="DockerRuntime.DefaultEndpoint"/>.</summary>
    public static IContainerRuntime Create(string name, Uri? dockerEndpoint, string dataDir, ILogger? logger, bool allowPull = false) =>
        name.Trim().ToLowerInvariant() switch
        {
            "docker" => new DockerRuntime(dockerEndpoint ?? DockerRuntime.DefaultEndpoint(), logger, allowPull),
            "process" => new ProcessRuntime(Path.Combine(dataDir, "processes"), logger),
            "hollow" => new HollowRuntime(logger: logger),
            _ => throw new ArgumentException(
                $"unknown runtime '{name}'; expected one of {string.Join(", ", Names)}", nameof(name)),
        };
}
