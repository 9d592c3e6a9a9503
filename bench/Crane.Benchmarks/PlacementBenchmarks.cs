using BenchmarkDotNet.Attributes;
using Crane.Scheduling;

namespace Crane.Benchmarks;

/// <summary>One <see cref="Placer.Place"/> per operation over a seeded random cluster.</summary>
[MemoryDiagnoser]
public class PlacementBenchmarks
{
    private const long Gi = 1L << 30;
    private static readonly string[] Zones = ["a", "b", "c", "d"];
    private static readonly string[] Workloads = ["web", "api", "worker", "cache", "db"];

    private NodeSnapshot[] _nodes = [];
    private Placer _placer = null!;
    private PlacementRequest _binpack = null!;
    private PlacementRequest _spread = null!;

    [Params(1000, 5000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261125);
        var dockerOnly = new HashSet<string>(StringComparer.Ordinal) { "docker" };
        var dockerAndProcess = new HashSet<string>(StringComparer.Ordinal) { "docker", "process" };
        _nodes = new NodeSnapshot[Nodes];
        for (var i = 0; i < Nodes; i++)
        {
            var cpu = (double)(2 << random.Next(4));
            var memory = (4L << random.Next(4)) * Gi;
            var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var workload in Workloads)
            {
                if (random.Next(3) == 0)
                {
                    replicas[workload] = random.Next(1, 4);
                }
            }

            _nodes[i] = new NodeSnapshot(
                $"node-{i:D5}",
                new Resources(cpu, memory),
                new Resources(Math.Round(cpu * random.NextDouble(), 1), (long)(memory * random.NextDouble())),
                new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["zone"] = Zones[random.Next(Zones.Length)],
                    ["disk"] = random.Next(2) == 0 ? "ssd" : "hdd",
                    ["cores"] = cpu.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                random.Next(10) == 0 ? dockerAndProcess : dockerOnly,
                Cordoned: random.Next(100) == 0,
                replicas);
        }

        _placer = new Placer(StrategyRegistry.CreateDefault());
        _binpack = new PlacementRequest("web", new Resources(0.5, Gi), [new Constraint("disk", ConstraintOperator.In, ["ssd"])], Strategy: "binpack");
        _spread = new PlacementRequest("web", new Resources(0.5, Gi), [new Constraint("zone", ConstraintOperator.NotIn, ["d"])], Strategy: "spread", SpreadKey: "zone");
    }

    [Benchmark]
    public PlacementResult BinPack() => _placer.Place(_nodes, _binpack);

    [Benchmark]
    public PlacementResult Spread() => _placer.Place(_nodes, _spread);
}
