using Crane.Contracts.Messages;
using Crane.Scheduling;

namespace Crane.Actors.Scheduling;

/// <summary>
/// The scheduling policy as a placement filter: the SchedulerActor asks the policy engine first
/// (asynchronously) and applies its answer right before it runs the pure pipeline. A policy that could
/// not answer (error, budget exceeded, timeout) rejects every node: scheduling fails closed.
/// </summary>
public sealed class PolicyFilter : INodeFilter
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Denied { get; private set; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Why the policy could not answer the current placement; null when it did.</summary>
    public string? Unavailable { get; private set; }

    public string Name => "policy";

    public void Apply(SchedulingDecision decision)
    {
        Denied = decision.Available ? decision.Denied : new Dictionary<string, IReadOnlyList<string>>();
        Unavailable = decision.Available ? null : decision.Error ?? "no answer";
    }

    public string? Reject(NodeSnapshot node, PlacementRequest request) =>
        Unavailable is { } error ? $"scheduling policy could not be evaluated ({error})"
        : Denied.TryGetValue(node.Name, out var reasons) && reasons.Count > 0 ? "policy: " + reasons[0]
        : null;
}
