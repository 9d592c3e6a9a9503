namespace Crane.Scheduling;

/// <summary>A feasibility check run after the built-in ones (cordon, runtime, resources, constraints).</summary>
public interface INodeFilter
{
    string Name { get; }

    /// <returns>null when the node is feasible, otherwise the reason shown to the user.</returns>
    string? Reject(NodeSnapshot node, PlacementRequest request);
}
