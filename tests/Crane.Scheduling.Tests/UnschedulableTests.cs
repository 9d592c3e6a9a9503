using Crane.Scheduling;
using static Crane.Scheduling.Tests.Build;

namespace Crane.Scheduling.Tests;

public sealed class UnschedulableTests
{
    private static readonly Placer Placer = new(StrategyRegistry.CreateDefault());

    [Fact]
    public void ReasonsAreCountedPerNodeAndMostCommonFirst()
    {
        // Three zone-b nodes with 4Gi cannot take 8Gi; two zone-a nodes have memory but fail zone In [b].
        NodeSnapshot[] nodes =
        [
            Node("b1", memory: 4 * Gi, labels: "zone=b"),
            Node("b2", memory: 4 * Gi, labels: "zone=b"),
            Node("b3", memory: 4 * Gi, labels: "zone=b"),
            Node("a1", memory: 16 * Gi, labels: "zone=a"),
            Node("a2", memory: 16 * Gi, labels: "zone=a"),
        ];

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(memory: 8 * Gi, constraints: Constraint("zone In b"))));

        Assert.Equal(
            [new RejectionReason("insufficient memory (requested 8Gi)", 3), new RejectionReason("constraint zone In [b] not met", 2)],
            result.Reasons);
        Assert.Equal(5, result.TotalNodes);
        Assert.Equal("0/5 nodes available: 3 insufficient memory (requested 8Gi); 2 constraint zone In [b] not met", result.Message);
    }

    [Fact]
    public void NodeFailingSeveralFiltersCountsUnderEachReason()
    {
        // n1 fails four filters, n2 one; counts sum to 5 over 2 nodes. Equal counts are ordered by text.
        NodeSnapshot[] nodes =
        [
            Node("n1", memory: 1 * Gi, labels: "zone=a", runtimes: "process", cordoned: true),
            Node("n2", memory: 1 * Gi, labels: "zone=b"),
        ];

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(memory: 2 * Gi, constraints: Constraint("zone In b"))));

        Assert.Equal(
            [
                new RejectionReason("insufficient memory (requested 2Gi)", 2),
                new RejectionReason("constraint zone In [b] not met", 1),
                new RejectionReason("node cordoned", 1),
                new RejectionReason("runtime docker not supported", 1),
            ],
            result.Reasons);
        Assert.Equal(
            "0/2 nodes available: 2 insufficient memory (requested 2Gi); 1 constraint zone In [b] not met; 1 node cordoned; 1 runtime docker not supported",
            result.Message);
    }

    [Fact]
    public void NoNodesIsItsOwnReason()
    {
        var result = Assert.IsType<Unschedulable>(Placer.Place([], Request()));

        Assert.Equal([new RejectionReason("no nodes registered", 0)], result.Reasons);
        Assert.Equal(0, result.TotalNodes);
        Assert.Equal("0/0 nodes available: no nodes registered", result.Message);
    }

    [Theory]
    [InlineData(0.5, 256 * Mi, "insufficient cpu (requested 500m)", "insufficient memory (requested 256Mi)")]
    [InlineData(2, 8 * Gi, "insufficient cpu (requested 2)", "insufficient memory (requested 8Gi)")]
    [InlineData(1.5, 1536 * Mi, "insufficient cpu (requested 1500m)", "insufficient memory (requested 1536Mi)")]
    [InlineData(0.25, 64 * Ki, "insufficient cpu (requested 250m)", "insufficient memory (requested 64Ki)")]
    [InlineData(0.0004, 1000, "insufficient cpu (requested 0)", "insufficient memory (requested 1000)")]
    public void RequestedAmountsAreWrittenAsInSpecs(double cpu, long memory, string cpuReason, string memoryReason)
    {
        // A node with nothing free rejects any request with memory; cpu under half a millicore rounds to 0 and fits.
        NodeSnapshot[] nodes = [Node("n1", cpu: 0, memory: 0)];

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(cpu, memory)));

        Assert.Contains(new RejectionReason(memoryReason, 1), result.Reasons);
        Assert.Equal(cpu >= 0.0005, result.Reasons.Contains(new RejectionReason(cpuReason, 1)));
    }

    [Fact]
    public void MessageWithoutReasonsStillNamesTheTotal()
    {
        Assert.Equal("0/3 nodes available", new Unschedulable([], 3).Message);
    }

    [Fact]
    public void UnschedulableComparesReasonsByValue()
    {
        NodeSnapshot[] nodes = [Node("n1", cordoned: true), Node("n2", memory: 1 * Gi)];

        var first = Placer.Place(nodes, Request());
        var second = Placer.Place(nodes.Reverse().ToArray(), Request());

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, new Unschedulable([new RejectionReason("node cordoned", 1)], 2));
    }
}
