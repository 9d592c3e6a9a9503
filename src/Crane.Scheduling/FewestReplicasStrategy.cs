namespace Crane.Scheduling;

/// <summary>
/// <c>fewest-replicas</c>: prefer the node running the fewest replicas of any workload (Swarm-like), written only
/// against the public <see cref="IPlacementStrategy"/> as a model for custom strategies.
/// score = 100 / (1 + total replicas on the node): 0 replicas → 100, 1 → 50, 3 → 25.
/// </summary>
public sealed class FewestReplicasStrategy : IPlacementStrategy
{
    public const string StrategyName = "fewest-replicas";

    public string Name => StrategyName;

    public double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible)
    {
        var total = 0;
        foreach (var replicas in node.ReplicasByWorkload.Values)
        {
            total += replicas;
        }

        return 100.0 / (1 + total);
    }
}
