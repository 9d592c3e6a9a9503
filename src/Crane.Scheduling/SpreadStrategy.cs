using System.Runtime.InteropServices;

namespace Crane.Scheduling;

/// <summary>
/// <c>spread</c>: spread the replicas of a workload, then prefer the emptiest node.
/// <para>
/// score = (2 × replicaScore + 1 × leastAllocated) / 3, the weights kube-scheduler gives PodTopologySpread (2)
/// and NodeResourcesFit (1) by default, so spreading wins over free capacity unless replica counts are equal.
/// </para>
/// <para>
/// replicaScore = 100 × (max − count) / (max − min), where count is the number of replicas of the workload on the
/// node, or, with a SpreadKey, on all nodes of the snapshot sharing the node's value of that label; min and max are
/// taken over the feasible nodes; when all counts are equal every node gets 100. A feasible node without the
/// SpreadKey label belongs to no group and gets 0 (as kube-scheduler scores nodes without the topology key).
/// </para>
/// <para>leastAllocated = mean over cpu and memory of (capacity − allocated − requested) / capacity × 100.</para>
/// </summary>
public sealed class SpreadStrategy : IPlacementStrategy, IBatchPlacementStrategy
{
    public const string StrategyName = "spread";
    internal const double ReplicaWeight = 2;
    internal const double ResourceWeight = 1;

    private const double NoGroup = -1;

    public string Name => StrategyName;

    /// <remarks>
    /// Sees only <paramref name="feasible"/>, so groups count the replicas on those nodes; the <see cref="Placer"/>
    /// counts them over the whole snapshot, including full or cordoned nodes.
    /// </remarks>
    public double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible)
    {
        var nodes = new List<NodeSnapshot>(feasible.Count + 1);
        nodes.AddRange(feasible);
        var index = nodes.IndexOf(node);
        if (index < 0)
        {
            nodes.Add(node);
            index = nodes.Count - 1;
        }

        var span = CollectionsMarshal.AsSpan(nodes);
        var scores = new double[span.Length];
        ((IBatchPlacementStrategy)this).ScoreAll(span, span, request, scores);
        return scores[index];
    }

    void IBatchPlacementStrategy.ScoreAll(
        ReadOnlySpan<NodeSnapshot> allNodes, ReadOnlySpan<NodeSnapshot> feasible, PlacementRequest request, Span<double> scores)
    {
        var spreadKey = string.IsNullOrEmpty(request.SpreadKey) ? null : request.SpreadKey;
        var groups = spreadKey is null ? null : CountByGroup(allNodes, request.Workload, spreadKey);

        // First pass: the replica count of each feasible node (or of its group) goes into scores.
        var min = double.MaxValue;
        var max = double.MinValue;
        for (var i = 0; i < feasible.Length; i++)
        {
            var count = ReplicaCount(feasible[i], request.Workload, spreadKey, groups);
            scores[i] = count;
            if (count != NoGroup)
            {
                min = Math.Min(min, count);
                max = Math.Max(max, count);
            }
        }

        for (var i = 0; i < feasible.Length; i++)
        {
            var count = scores[i];
            var replicaScore = count == NoGroup ? 0 : max == min ? 100 : 100 * (max - count) / (max - min);
            var resourceScore = ResourceScore.LeastAllocated(feasible[i], request.Requests);
            scores[i] = (ReplicaWeight * replicaScore + ResourceWeight * resourceScore) / (ReplicaWeight + ResourceWeight);
        }
    }

    private static Dictionary<string, int>? CountByGroup(ReadOnlySpan<NodeSnapshot> allNodes, string workload, string spreadKey)
    {
        Dictionary<string, int>? groups = null;
        foreach (var node in allNodes)
        {
            if (node.ReplicasByWorkload.TryGetValue(workload, out var replicas) && replicas > 0
                && node.Labels.TryGetValue(spreadKey, out var group))
            {
                groups ??= new Dictionary<string, int>(StringComparer.Ordinal);
                CollectionsMarshal.GetValueRefOrAddDefault(groups, group, out _) += replicas;
            }
        }

        return groups;
    }

    private static double ReplicaCount(NodeSnapshot node, string workload, string? spreadKey, Dictionary<string, int>? groups)
    {
        if (spreadKey is null)
        {
            return node.ReplicasByWorkload.TryGetValue(workload, out var replicas) ? replicas : 0;
        }

        if (!node.Labels.TryGetValue(spreadKey, out var group))
        {
            return NoGroup;
        }

        return groups is not null && groups.TryGetValue(group, out var inGroup) ? inGroup : 0;
    }
}
