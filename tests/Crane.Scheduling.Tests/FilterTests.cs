using Crane.Scheduling;
using static Crane.Scheduling.Tests.Build;

namespace Crane.Scheduling.Tests;

public sealed class FilterTests
{
    private static readonly Placer Placer = new(StrategyRegistry.CreateDefault());

    [Theory]
    // Node: 2 cpu / 4Gi capacity, 1 cpu / 1Gi allocated → free 1 cpu (1000m) / 3Gi (3221225472 bytes).
    [InlineData(1.0, 3 * Gi, null)]
    [InlineData(0.999, 3 * Gi - 1, null)]
    [InlineData(1.0, 3 * Gi + 1, "0/1 nodes available: 1 insufficient memory (requested 3221225473)")]
    [InlineData(1.001, 3 * Gi, "0/1 nodes available: 1 insufficient cpu (requested 1001m)")]
    [InlineData(2.0, 4 * Gi, "0/1 nodes available: 1 insufficient cpu (requested 2); 1 insufficient memory (requested 4Gi)")]
    [InlineData(0.0, 0L, null)]
    public void CapacityMinusAllocatedMustCoverTheRequest(double cpu, long memory, string? expectedMessage)
    {
        NodeSnapshot[] nodes = [Node("n1", cpu: 2, memory: 4 * Gi, allocatedCpu: 1, allocatedMemory: 1 * Gi)];

        var result = Placer.Place(nodes, Request(cpu, memory));

        AssertOutcome(expectedMessage, result);
    }

    [Fact]
    public void CpuIsComparedInMillicoresSoFloatingPointSumsStillFit()
    {
        // 0.1 + 0.2 = 0.30000000000000004 in doubles; 1 − that < 0.7, but 1000m − 300m = 700m fits.
        NodeSnapshot[] nodes = [Node("n1", cpu: 1, allocatedCpu: 0.1 + 0.2)];

        Assert.IsType<Placed>(Placer.Place(nodes, Request(cpu: 0.7, memory: 0)));
    }

    [Fact]
    public void OvercommittedNodeIsRejectedForAnyPositiveRequest()
    {
        NodeSnapshot[] nodes = [Node("n1", cpu: 2, memory: 4 * Gi, allocatedCpu: 3, allocatedMemory: 5 * Gi)];

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(cpu: 0.001, memory: 1)));

        Assert.Equal("0/1 nodes available: 1 insufficient cpu (requested 1m); 1 insufficient memory (requested 1)", result.Message);
    }

    [Theory]
    [InlineData("zone In b,c", "zone=b", null)]
    [InlineData("zone In b,c", "zone=a", "constraint zone In [b, c] not met")]
    [InlineData("zone In b", "", "constraint zone In [b] not met")]
    [InlineData("zone In b", "zone=B", "constraint zone In [b] not met")]
    [InlineData("zone NotIn b", "zone=a", null)]
    [InlineData("zone NotIn b", "zone=b", "constraint zone NotIn [b] not met")]
    [InlineData("zone NotIn b", "", null)]
    [InlineData("gpu Exists", "gpu=nvidia", null)]
    [InlineData("gpu Exists", "gpu=", null)]
    [InlineData("gpu Exists", "zone=a", "constraint gpu Exists not met")]
    [InlineData("gpu DoesNotExist", "zone=a", null)]
    [InlineData("gpu DoesNotExist", "gpu=nvidia", "constraint gpu DoesNotExist not met")]
    [InlineData("cores Gt 4", "cores=8", null)]
    [InlineData("cores Gt 4", "cores=4", "constraint cores Gt [4] not met")]
    [InlineData("cores Gt 4", "cores=2", "constraint cores Gt [4] not met")]
    [InlineData("cores Gt 4", "", "constraint cores Gt [4] not met")]
    [InlineData("cores Gt -2", "cores=-1", null)]
    [InlineData("cores Gt 4", "cores=many", "constraint cores Gt [4] not met: label value is not an integer")]
    [InlineData("cores Gt 4", "cores=4.5", "constraint cores Gt [4] not met: label value is not an integer")]
    [InlineData("cores Lt 4", "cores=2", null)]
    [InlineData("cores Lt 4", "cores=4", "constraint cores Lt [4] not met")]
    [InlineData("cores Lt 4", "", "constraint cores Lt [4] not met")]
    [InlineData("cores Lt 4", "cores=", "constraint cores Lt [4] not met: label value is not an integer")]
    [InlineData("cores Gt four", "cores=8", "constraint cores Gt [four] invalid: needs exactly one integer value")]
    [InlineData("cores Lt 1,2", "cores=0", "constraint cores Lt [1, 2] invalid: needs exactly one integer value")]
    public void ConstraintsFollowNodeAffinityOperators(string constraint, string labels, string? expectedReason)
    {
        NodeSnapshot[] nodes = [Node("n1", labels: labels)];

        var result = Placer.Place(nodes, Request(constraints: Constraint(constraint)));

        AssertOutcome(expectedReason is null ? null : $"0/1 nodes available: 1 {expectedReason}", result);
    }

    [Fact]
    public void AllConstraintsMustHold()
    {
        NodeSnapshot[] nodes =
        [
            Node("a-ssd", labels: "zone=a,disk=ssd"),
            Node("b-hdd", labels: "zone=b,disk=hdd"),
            Node("b-ssd", labels: "zone=b,disk=ssd,cores=16"),
        ];

        var result = Placer.Place(nodes, Request(constraints: [Constraint("zone In b"), Constraint("disk In ssd"), Constraint("cores Gt 8")]));

        Assert.Equal("b-ssd", Assert.IsType<Placed>(result).Node);
    }

    [Fact]
    public void RepeatedConstraintCountsEachNodeOnce()
    {
        NodeSnapshot[] nodes = [Node("n1", labels: "zone=a")];

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(constraints: [Constraint("zone In b"), Constraint("zone In b")])));

        Assert.Equal([new RejectionReason("constraint zone In [b] not met", 1)], result.Reasons);
    }

    [Theory]
    [InlineData(false, "docker", "docker", null)]
    [InlineData(true, "docker", "docker", "0/1 nodes available: 1 node cordoned")]
    [InlineData(false, "docker", "process", "0/1 nodes available: 1 runtime process not supported")]
    [InlineData(false, "docker,process", "process", null)]
    [InlineData(false, "", "docker", "0/1 nodes available: 1 runtime docker not supported")]
    [InlineData(true, "docker", "process", "0/1 nodes available: 1 node cordoned; 1 runtime process not supported")]
    public void CordonedNodesAndMissingRuntimesAreRejected(bool cordoned, string runtimes, string runtime, string? expectedMessage)
    {
        NodeSnapshot[] nodes = [Node("n1", runtimes: runtimes, cordoned: cordoned)];

        var result = Placer.Place(nodes, Request(runtime: runtime));

        AssertOutcome(expectedMessage, result);
    }

    [Fact]
    public void ExtraFilterReasonIsReportedAlongsideBuiltInReasons()
    {
        var policy = new DenyLabelFilter("env", "prod", "policy: prod nodes reserved for tier=critical");
        var placer = new Placer(StrategyRegistry.CreateDefault(), extraFilters: [policy]);
        NodeSnapshot[] nodes =
        [
            Node("prod1", labels: "env=prod"),
            Node("prod2", labels: "env=prod", allocatedMemory: 8 * Gi),
            Node("dev1", labels: "env=dev", cordoned: true),
        ];

        var result = Assert.IsType<Unschedulable>(placer.Place(nodes, Request()));

        Assert.Equal(
            "0/3 nodes available: 2 policy: prod nodes reserved for tier=critical; 1 insufficient memory (requested 2Gi); 1 node cordoned",
            result.Message);
        Assert.Equal(["prod1", "prod2", "dev1"], policy.Seen);
    }

    [Fact]
    public void ExtraFilterThatPassesLeavesPlacementToTheStrategy()
    {
        var placer = new Placer(StrategyRegistry.CreateDefault(), extraFilters: [new DenyLabelFilter("env", "prod", "policy: prod nodes reserved")]);
        NodeSnapshot[] nodes = [Node("prod1", labels: "env=prod"), Node("dev1", labels: "env=dev", allocatedCpu: 3)];

        var result = placer.Place(nodes, Request());

        Assert.Equal("dev1", Assert.IsType<Placed>(result).Node);
    }

    [Fact]
    public void TwoExtraFiltersGivingTheSameReasonCountANodeOnce()
    {
        var deny = new DenyLabelFilter("env", "prod", "policy: denied");
        var placer = new Placer(StrategyRegistry.CreateDefault(), extraFilters: [deny, deny]);

        var result = Assert.IsType<Unschedulable>(placer.Place([Node("prod1", labels: "env=prod")], Request()));

        Assert.Equal([new RejectionReason("policy: denied", 1)], result.Reasons);
    }

    private static void AssertOutcome(string? expectedMessage, PlacementResult result)
    {
        if (expectedMessage is null)
        {
            Assert.Equal("n1", Assert.IsType<Placed>(result).Node);
        }
        else
        {
            Assert.Equal(expectedMessage, Assert.IsType<Unschedulable>(result).Message);
        }
    }

    private sealed class DenyLabelFilter(string key, string value, string reason) : INodeFilter
    {
        public string Name => "deny-label";

        public List<string> Seen { get; } = [];

        public string? Reject(NodeSnapshot node, PlacementRequest request)
        {
            Seen.Add(node.Name);
            return node.Labels.TryGetValue(key, out var v) && v == value ? reason : null;
        }
    }
}
