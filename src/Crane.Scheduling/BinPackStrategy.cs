namespace Crane.Scheduling;

/// <summary><c>binpack</c>: fill the fullest node first (kube-scheduler MostAllocated).</summary>
public sealed class BinPackStrategy : IPlacementStrategy, IBatchPlacementStrategy
{
    public const string StrategyName = "binpack";

    public string Name => StrategyName;

    public double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible) =>
        ResourceScore.MostAllocated(node, request.Requests);

    void IBatchPlacementStrategy.ScoreAll(
        ReadOnlySpan<NodeSnapshot> allNodes, ReadOnlySpan<NodeSnapshot> feasible, PlacementRequest request, Span<double> scores)
    {
        for (var i = 0; i < feasible.Length; i++)
        {
            scores[i] = ResourceScore.MostAllocated(feasible[i], request.Requests);
        }
    }
}
