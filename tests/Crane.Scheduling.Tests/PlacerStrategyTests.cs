using Crane.Scheduling;
using static Crane.Scheduling.Tests.Build;

namespace Crane.Scheduling.Tests;

public sealed class PlacerStrategyTests
{
    private static readonly Placer Placer = new(StrategyRegistry.CreateDefault());

    // Request 1 cpu / 2Gi on 4 cpu / 8Gi nodes:
    // empty  (0 / 0)       binpack: cpu 1/4,   memory 2/8   → 25;   spread leastAllocated: 75
    // half   (2 / 4Gi)     binpack: cpu 3/4,   memory 6/8   → 75;   spread: 25
    // almost (3.5 / 7Gi)   infeasible: 0.5 cpu and 1Gi free
    // tight  (3 / 6Gi)     binpack: cpu 4/4,   memory 8/8   → 100;  spread: 0
    [Theory]
    [InlineData("binpack", "empty,half,almost", "half", 75)]
    [InlineData("binpack", "empty,half,almost,tight", "tight", 100)]
    [InlineData("binpack", "empty", "empty", 25)]
    // spread: no replicas anywhere → replicaScore 100 for all; empty = (200 + 75)/3 = 91.667
    [InlineData("spread", "empty,half,almost,tight", "empty", 91.666666667)]
    // half = (200 + 25)/3 = 75
    [InlineData("spread", "half,almost,tight", "half", 75)]
    public void StrategyPicksExpectedNode(string strategy, string nodeNames, string expected, double expectedScore)
    {
        var catalogue = new Dictionary<string, NodeSnapshot>
        {
            ["empty"] = Node("empty"),
            ["half"] = Node("half", allocatedCpu: 2, allocatedMemory: 4 * Gi),
            ["almost"] = Node("almost", allocatedCpu: 3.5, allocatedMemory: 7 * Gi),
            ["tight"] = Node("tight", allocatedCpu: 3, allocatedMemory: 6 * Gi),
        };
        var nodes = nodeNames.Split(',').Select(n => catalogue[n]).ToArray();

        var result = Placer.Place(nodes, Request(strategy: strategy));

        var placed = Assert.IsType<Placed>(result);
        Assert.Equal(expected, placed.Node);
        Assert.Equal(expectedScore, placed.Score, 6);
    }

    [Fact]
    public void SpreadPrefersTheZoneWithFewerReplicasOverFreeCapacity()
    {
        // big (zone a, 16 cpu / 32Gi, 1 web replica): leastAllocated cpu 15/16, memory 30/32 → 93.75; group a = 1 → replicaScore 0
        //   spread = (2×0 + 93.75)/3 = 31.25
        // small (zone b, 2 cpu / 4Gi, no replicas): leastAllocated cpu 1/2, memory 2/4 → 50; group b = 0 → replicaScore 100
        //   spread = (200 + 50)/3 = 83.333
        NodeSnapshot[] nodes =
        [
            Node("big", cpu: 16, memory: 32 * Gi, labels: "zone=a", replicas: "web=1"),
            Node("small", cpu: 2, memory: 4 * Gi, labels: "zone=b"),
        ];

        var placed = Assert.IsType<Placed>(Placer.Place(nodes, Request(strategy: "spread", spreadKey: "zone")));

        Assert.Equal("small", placed.Node);
        Assert.Equal(83.333333333, placed.Score, 6);
    }

    [Fact]
    public void SpreadCountsReplicasOnNodesThatCannotTakeMore()
    {
        // a-full holds 2 web replicas and has no room; its zone still counts 2, so b1 (1 replica) beats a-free (0).
        NodeSnapshot[] nodes =
        [
            Node("a-full", labels: "zone=a", allocatedCpu: 4, allocatedMemory: 8 * Gi, replicas: "web=2"),
            Node("a-free", labels: "zone=a"),
            Node("b1", labels: "zone=b", replicas: "web=1"),
        ];

        var placed = Assert.IsType<Placed>(Placer.Place(nodes, Request(strategy: "spread", spreadKey: "zone")));

        Assert.Equal("b1", placed.Node);
    }

    [Theory]
    // Zone a has two large nodes, so free capacity alone would put every replica there;
    // replica spreading (weight 2) keeps the zones level: after 6 placements 2 per zone.
    [InlineData(6, "zone", "a=2,b=2,c=2")]
    [InlineData(7, "zone", "a=3,b=2,c=2")]
    // Without a key, replicas spread per node: 4 nodes, 8 replicas → 2 each, zone a gets 4.
    [InlineData(8, null, "a=4,b=2,c=2")]
    public void SpreadDistributesReplicasOfOneWorkload(int replicas, string? spreadKey, string expectedPerZone)
    {
        NodeSnapshot[] nodes =
        [
            Node("a1", cpu: 32, memory: 64 * Gi, labels: "zone=a"),
            Node("a2", cpu: 32, memory: 64 * Gi, labels: "zone=a"),
            Node("b1", cpu: 8, memory: 16 * Gi, labels: "zone=b"),
            Node("c1", cpu: 8, memory: 16 * Gi, labels: "zone=c"),
        ];
        var request = Request(cpu: 0.5, memory: 512 * Mi, strategy: "spread", spreadKey: spreadKey);

        for (var i = 0; i < replicas; i++)
        {
            var placed = Assert.IsType<Placed>(Placer.Place(nodes, request));
            nodes = WithReplica(nodes, placed.Node, request);
        }

        var perZone = nodes
            .GroupBy(n => n.Labels["zone"])
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}={g.Sum(n => n.ReplicasByWorkload.GetValueOrDefault("web"))}");
        Assert.Equal(expectedPerZone, string.Join(',', perZone));
    }

    [Fact]
    public void BinPackFillsOneNodeBeforeTheNext()
    {
        NodeSnapshot[] nodes = [Node("n1", cpu: 2, memory: 4 * Gi), Node("n2", cpu: 2, memory: 4 * Gi)];
        var request = Request(cpu: 1, memory: 2 * Gi, strategy: "binpack");
        var order = new List<string>();

        for (var i = 0; i < 4; i++)
        {
            var placed = Assert.IsType<Placed>(Placer.Place(nodes, request));
            order.Add(placed.Node);
            nodes = WithReplica(nodes, placed.Node, request);
        }

        // First placement ties at 50 on both → n1 by name; then n1 at 100 beats n2 at 50.
        Assert.Equal(["n1", "n1", "n2", "n2"], order);
        Assert.IsType<Unschedulable>(Placer.Place(nodes, request));
    }

    [Theory]
    [InlineData("binpack", "b,a,C,a2", "C")]
    [InlineData("binpack", "a2,C,a,b", "C")]
    [InlineData("spread", "b,a,a2", "a")]
    [InlineData("spread", "a2,b,a", "a")]
    [InlineData("fewest-replicas", "node-10,node-9,node-1", "node-1")]
    public void EqualScoresGoToTheOrdinallySmallestName(string strategy, string names, string expected)
    {
        // Identical nodes score the same; ordinal order puts "C" (0x43) before "a" (0x61) and "node-10" before "node-9".
        var nodes = names.Split(',').Select(n => Node(n)).ToArray();
        var request = Request(strategy: strategy);

        var first = Assert.IsType<Placed>(Placer.Place(nodes, request));
        var again = Assert.IsType<Placed>(Placer.Place(nodes.Reverse().ToArray(), request));

        Assert.Equal(expected, first.Node);
        Assert.Equal(first, again);
    }

    [Fact]
    public void RequestWithoutStrategyUsesThePlacerDefault()
    {
        NodeSnapshot[] nodes = [Node("empty"), Node("half", allocatedCpu: 2, allocatedMemory: 4 * Gi)];

        var spreadByDefault = Assert.IsType<Placed>(new Placer(StrategyRegistry.CreateDefault()).Place(nodes, Request()));
        var binpackByDefault = Assert.IsType<Placed>(new Placer(StrategyRegistry.CreateDefault(), "binpack").Place(nodes, Request(strategy: "")));

        Assert.Equal("empty", spreadByDefault.Node);
        Assert.Equal("half", binpackByDefault.Node);
        Assert.Equal("spread", new Placer(StrategyRegistry.CreateDefault()).DefaultStrategy);
    }

    [Fact]
    public void DefaultRegistryHoldsBinPackSpreadAndFewestReplicas()
    {
        var registry = StrategyRegistry.CreateDefault();

        Assert.Equal(["binpack", "fewest-replicas", "spread"], registry.Names.Order(StringComparer.Ordinal));
        Assert.True(registry.TryGet("spread", out var spread));
        Assert.IsType<SpreadStrategy>(spread);
        Assert.False(registry.TryGet("Spread", out _));
    }

    [Fact]
    public void FewestReplicasPicksTheLeastBusyNode()
    {
        // busy: 3 replicas → 100/4 = 25; quiet: 1 → 50; the empty node is cordoned.
        NodeSnapshot[] nodes =
        [
            Node("busy", replicas: "web=1,api=2"),
            Node("quiet", replicas: "db=1"),
            Node("idle", cordoned: true),
        ];

        var placed = Assert.IsType<Placed>(Placer.Place(nodes, Request(strategy: "fewest-replicas")));

        Assert.Equal(new Placed("quiet", 50), placed);
    }

    [Fact]
    public void CustomStrategyIsChosenByNameAndSeesOnlyFeasibleNodes()
    {
        var registry = StrategyRegistry.CreateDefault();
        var gold = new PreferLabelStrategy("prefer-gold", "tier", "gold");
        registry.Register(gold);
        var placer = new Placer(registry);
        NodeSnapshot[] nodes =
        [
            Node("a-silver", labels: "tier=silver"),
            Node("b-gold", labels: "tier=gold", allocatedCpu: 3),
            Node("c-gold-full", labels: "tier=gold", allocatedCpu: 4),
        ];

        var byName = Assert.IsType<Placed>(placer.Place(nodes, Request(strategy: "prefer-gold")));
        var byDefault = Assert.IsType<Placed>(placer.Place(nodes, Request()));

        Assert.Equal(new Placed("b-gold", 100), byName);
        Assert.Equal(["a-silver", "b-gold"], gold.LastFeasible);
        Assert.Equal("a-silver", byDefault.Node);
        Assert.Contains("prefer-gold", registry.Names);
    }

    [Fact]
    public void CustomStrategyCanBeTheClusterDefault()
    {
        var registry = new StrategyRegistry();
        registry.Register(new PreferLabelStrategy("prefer-gold", "tier", "gold"));
        NodeSnapshot[] nodes = [Node("a", labels: "tier=silver"), Node("b", labels: "tier=gold")];

        var placed = Assert.IsType<Placed>(new Placer(registry, "prefer-gold").Place(nodes, Request()));

        Assert.Equal("b", placed.Node);
    }

    [Fact]
    public void RegisteringATakenNameFails()
    {
        var registry = StrategyRegistry.CreateDefault();

        var error = Assert.Throws<InvalidOperationException>(() => registry.Register(new PreferLabelStrategy("spread", "tier", "gold")));

        Assert.Contains("\"spread\"", error.Message);
    }

    [Fact]
    public void PlacerRejectsAnUnregisteredDefaultStrategy()
    {
        var error = Assert.Throws<ArgumentException>(() => new Placer(StrategyRegistry.CreateDefault(), "most-free"));

        Assert.Contains("most-free", error.Message);
    }

    [Theory]
    [InlineData(3, "0/3 nodes available: 3 unknown strategy \"most-free\"")]
    [InlineData(0, "0/0 nodes available: unknown strategy \"most-free\"")]
    public void UnknownStrategyIsUnschedulableOnEveryNode(int nodeCount, string expectedMessage)
    {
        var nodes = Enumerable.Range(1, nodeCount).Select(i => Node($"n{i}")).ToArray();

        var result = Assert.IsType<Unschedulable>(Placer.Place(nodes, Request(strategy: "most-free")));

        Assert.Equal([new RejectionReason("unknown strategy \"most-free\"", nodeCount)], result.Reasons);
        Assert.Equal(nodeCount, result.TotalNodes);
        Assert.Equal(expectedMessage, result.Message);
    }

    [Fact]
    public void NaNScoreFromACustomStrategyRanksLast()
    {
        var registry = new StrategyRegistry();
        registry.Register(new DelegateStrategy("nan-for-a", n => n.Name == "a" ? double.NaN : 1));
        NodeSnapshot[] nodes = [Node("a"), Node("b")];

        var placed = Assert.IsType<Placed>(new Placer(registry, "nan-for-a").Place(nodes, Request()));

        Assert.Equal("b", placed.Node);
    }

    private sealed class PreferLabelStrategy(string name, string key, string value) : IPlacementStrategy
    {
        public string Name => name;

        public IReadOnlyList<string> LastFeasible { get; private set; } = [];

        public double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible)
        {
            LastFeasible = feasible.Select(n => n.Name).ToArray();
            return node.Labels.TryGetValue(key, out var v) && v == value ? 100 : 0;
        }
    }

    private sealed class DelegateStrategy(string name, Func<NodeSnapshot, double> score) : IPlacementStrategy
    {
        public string Name => name;

        public double Score(NodeSnapshot node, PlacementRequest request, IReadOnlyList<NodeSnapshot> feasible) => score(node);
    }
}
