using Crane.Scheduling;
using static Crane.Scheduling.Tests.Build;

namespace Crane.Scheduling.Tests;

public sealed class StrategyScoreTests
{
    [Theory]
    // cpu (0+1)/4 = 0.25, memory (0+2)/8 = 0.25 → mean 0.25 × 100 = 25
    [InlineData(4, 8 * Gi, 0, 0, 1, 2 * Gi, 25)]
    // cpu (2+1)/4 = 0.75, memory (4+2)/8 = 0.75 → 75
    [InlineData(4, 8 * Gi, 2, 4 * Gi, 1, 2 * Gi, 75)]
    // cpu (3+1)/4 = 1.0, memory (0+2)/8 = 0.25 → (1 + 0.25)/2 × 100 = 62.5
    [InlineData(4, 8 * Gi, 3, 0, 1, 2 * Gi, 62.5)]
    // exact fill: cpu 4/4, memory 8/8 → 100
    [InlineData(4, 8 * Gi, 3, 6 * Gi, 1, 2 * Gi, 100)]
    // no cpu capacity scores 0 for cpu: (0 + 4/8)/2 × 100 = 25
    [InlineData(0, 8 * Gi, 0, 0, 0, 4 * Gi, 25)]
    // overcommitted node is clamped: cpu min(6/4, 1) = 1, memory 2/8 = 0.25 → 62.5
    [InlineData(4, 8 * Gi, 5, 0, 1, 2 * Gi, 62.5)]
    public void BinPackScoreIsMostAllocated(double cpu, long memory, double allocatedCpu, long allocatedMemory, double requestCpu, long requestMemory, double expected)
    {
        var node = Node("n", cpu, memory, allocatedCpu, allocatedMemory);

        var score = new BinPackStrategy().Score(node, Request(requestCpu, requestMemory), [node]);

        Assert.Equal(expected, score, 9);
    }

    [Theory]
    // one node, so replicaScore = 100 (all counts equal); leastAllocated: cpu (4−0−1)/4 = 0.75, memory (8−0−2)/8 = 0.75 → 75
    // spread = (2 × 100 + 1 × 75) / 3 = 91.667
    [InlineData(4, 8 * Gi, 0, 0, 1, 2 * Gi, 91.666666667)]
    // leastAllocated: cpu (4−2−1)/4 = 0.25, memory (8−4−2)/8 = 0.25 → 25; spread = (200 + 25)/3 = 75
    [InlineData(4, 8 * Gi, 2, 4 * Gi, 1, 2 * Gi, 75)]
    // leastAllocated: cpu (4−3−1)/4 = 0, memory (8−0−2)/8 = 0.75 → 37.5; spread = (200 + 37.5)/3 = 79.167
    [InlineData(4, 8 * Gi, 3, 0, 1, 2 * Gi, 79.166666667)]
    public void SpreadResourcePartIsLeastAllocated(double cpu, long memory, double allocatedCpu, long allocatedMemory, double requestCpu, long requestMemory, double expected)
    {
        var node = Node("n", cpu, memory, allocatedCpu, allocatedMemory);

        var score = new SpreadStrategy().Score(node, Request(requestCpu, requestMemory), [node]);

        Assert.Equal(expected, score, 6);
    }

    // All nodes 4 cpu / 8Gi, empty, request 1 cpu / 2Gi → leastAllocated = 75 everywhere.
    // Replicas of "web": a1 (zone a) 2, a2 (zone a) 0, b1 (zone b) 1, c1 (zone c) 0, x1 (no zone label) 0;
    // "api" replicas on c1 do not count.
    private static readonly NodeSnapshot[] ZonedNodes =
    [
        Node("a1", labels: "zone=a", replicas: "web=2"),
        Node("a2", labels: "zone=a"),
        Node("b1", labels: "zone=b", replicas: "web=1"),
        Node("c1", labels: "zone=c", replicas: "api=5"),
        Node("x1"),
    ];

    [Theory]
    // With SpreadKey zone, groups: a = 2, b = 1, c = 0 → min 0, max 2; replicaScore = 100 × (2 − count) / 2.
    // a1, a2: replicaScore 0 → (2×0 + 75)/3 = 25; b1: 50 → (100 + 75)/3 = 58.333; c1: 100 → (200 + 75)/3 = 91.667;
    // x1 has no zone label → replicaScore 0 → 25.
    [InlineData("zone", "a1", 25)]
    [InlineData("zone", "a2", 25)]
    [InlineData("zone", "b1", 58.333333333)]
    [InlineData("zone", "c1", 91.666666667)]
    [InlineData("zone", "x1", 25)]
    // Without a key, each node is its own group: a1 = 2, b1 = 1, others 0 → min 0, max 2.
    // a1: 0 → 25; b1: 50 → 58.333; a2, c1, x1: 100 → 91.667.
    [InlineData(null, "a1", 25)]
    [InlineData(null, "a2", 91.666666667)]
    [InlineData(null, "b1", 58.333333333)]
    [InlineData(null, "c1", 91.666666667)]
    [InlineData(null, "x1", 91.666666667)]
    public void SpreadCombinesReplicaSpreadAndLeastAllocated(string? spreadKey, string node, double expected)
    {
        var request = Request(spreadKey: spreadKey);

        var score = new SpreadStrategy().Score(ZonedNodes.Single(n => n.Name == node), request, ZonedNodes);

        Assert.Equal(expected, score, 6);
    }

    [Theory]
    // score = 100 / (1 + total replicas of all workloads)
    [InlineData("", 100)]
    [InlineData("web=1", 50)]
    [InlineData("web=1,api=2", 25)]
    [InlineData("web=0", 100)]
    public void FewestReplicasScoresByTotalReplicas(string replicas, double expected)
    {
        var node = Node("n", replicas: replicas);

        var score = new FewestReplicasStrategy().Score(node, Request(), [node]);

        Assert.Equal(expected, score, 9);
    }
}
