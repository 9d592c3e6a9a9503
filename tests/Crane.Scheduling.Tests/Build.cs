using Crane.Scheduling;

namespace Crane.Scheduling.Tests;

/// <summary>Compact builders so table rows stay on one line: labels "zone=a,disk=ssd", replicas "web=2,api=1".</summary>
internal static class Build
{
    public const long Ki = 1L << 10;
    public const long Mi = 1L << 20;
    public const long Gi = 1L << 30;

    public static NodeSnapshot Node(
        string name,
        double cpu = 4,
        long memory = 8 * Gi,
        double allocatedCpu = 0,
        long allocatedMemory = 0,
        string labels = "",
        string runtimes = "docker",
        bool cordoned = false,
        string replicas = "") =>
        new(
            name,
            new Resources(cpu, memory),
            new Resources(allocatedCpu, allocatedMemory),
            Pairs(labels),
            runtimes.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal),
            cordoned,
            Pairs(replicas).ToDictionary(p => p.Key, p => int.Parse(p.Value, System.Globalization.CultureInfo.InvariantCulture)));

    public static PlacementRequest Request(
        double cpu = 1,
        long memory = 2 * Gi,
        string workload = "web",
        string? strategy = null,
        string? spreadKey = null,
        string runtime = "docker",
        params Constraint[] constraints) =>
        new(workload, new Resources(cpu, memory), constraints, runtime, strategy, spreadKey);

    /// <summary>"zone In a,b" → Constraint("zone", In, ["a", "b"]); "gpu Exists" → no values.</summary>
    public static Constraint Constraint(string text)
    {
        var parts = text.Split(' ', 3);
        var values = parts.Length > 2 ? parts[2].Split(',') : [];
        return new Constraint(parts[0], Enum.Parse<ConstraintOperator>(parts[1]), values);
    }

    /// <summary>Places one replica and returns the new snapshot, as the scheduler's view would after the start.</summary>
    public static NodeSnapshot[] WithReplica(NodeSnapshot[] nodes, string nodeName, PlacementRequest request) =>
        nodes.Select(n => n.Name != nodeName
            ? n
            : n with
            {
                Allocated = n.Allocated + request.Requests,
                ReplicasByWorkload = new Dictionary<string, int>(n.ReplicasByWorkload)
                {
                    [request.Workload] = n.ReplicasByWorkload.GetValueOrDefault(request.Workload) + 1,
                },
            }).ToArray();

    private static Dictionary<string, string> Pairs(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal);
}
