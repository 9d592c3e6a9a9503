namespace Crane.Scheduling;

/// <summary>Ranks feasible nodes; the placer picks the highest score, ties broken by node name.</summary>
public interface IPlacementStrategy
{
    string Name { get; }

    /// <param name="feasible">All nodes that passed the filters; only valid for the duration of the call.</param>
    /// <returns>A score from 0 to 100, higher is better.</returns>
    double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible);
}

/// <summary>Scores every feasible node in one pass, for built-in strategies whose score depends on the whole set.</summary>
internal interface IBatchPlacementStrategy
{
    /// <param name="allNodes">The whole snapshot, feasible or not.</param>
    /// <param name="scores">One slot per feasible node, same order.</param>
    void ScoreAll(ReadOnlySpan<NodeSnapshot> allNodes, ReadOnlySpan<NodeSnapshot> feasible, PlacementRequest request, Span<double> scores);
}
