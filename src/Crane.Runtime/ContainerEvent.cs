namespace Crane.Runtime;

/// <summary>A lifecycle event as the engine names it (<c>start</c>, <c>die</c>, <c>oom</c>, <c>kill</c>,
/// <c>stop</c>, <c>destroy</c>, ...). <paramref name="Labels"/> holds the container's labels plus the engine's
/// own attributes of the event (such as <c>name</c>, <c>image</c>, <c>exitCode</c>).</summary>
public sealed record ContainerEvent(string ContainerId, string Action, IReadOnlyDictionary<string, string> Labels);
