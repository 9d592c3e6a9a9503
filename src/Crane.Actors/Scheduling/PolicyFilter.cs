using Crane.Scheduling;

namespace Crane.Actors.Scheduling;

/// <summary>
/// The scheduling policy as a placement filter: the SchedulerActor asks the policy engine first
/// (asynchronously) and sets <see cref="Denied"/> right before it runs the pure pipeline.
/// </summary>
public sealed class PolicyFilter : INodeFilter
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Denied { get; set; } = new Dictionary<string, IReadOnlyList<string>>();

    public string Name => "policy";

    public string? Reject(NodeSnapshot node, PlacementRequest request) =>
        Denied.TryGetValue(node.Name, out var reasons) && reasons.Count > 0 ? "policy: " + reasons[0] : null;
}
