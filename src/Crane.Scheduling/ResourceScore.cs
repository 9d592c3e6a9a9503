namespace Crane.Scheduling;

/// <summary>The resource scores of kube-scheduler's NodeResourcesFit plugin, cpu and memory weighted equally.</summary>
internal static class ResourceScore
{
    /// <summary>MostAllocated: mean over cpu and memory of (allocated + requested) / capacity × 100.</summary>
    public static double MostAllocated(NodeSnapshot node, Resources requests)
    {
        var cpu = Fraction(node.Allocated.Cpu + requests.Cpu, node.Capacity.Cpu);
        var memory = Fraction((double)node.Allocated.Memory + requests.Memory, node.Capacity.Memory);
        return (cpu + memory) / 2 * 100;
    }

    /// <summary>LeastAllocated: mean over cpu and memory of (capacity − allocated − requested) / capacity × 100.</summary>
    public static double LeastAllocated(NodeSnapshot node, Resources requests)
    {
        var cpu = Fraction(node.Capacity.Cpu - node.Allocated.Cpu - requests.Cpu, node.Capacity.Cpu);
        var memory = Fraction((double)node.Capacity.Memory - node.Allocated.Memory - requests.Memory, node.Capacity.Memory);
        return (cpu + memory) / 2 * 100;
    }

    // As kube-scheduler: a resource the node has none of scores 0; overcommitted nodes are clamped into 0..1.
    private static double Fraction(double amount, double capacity) =>
        capacity <= 0 ? 0 : Math.Clamp(amount / capacity, 0, 1);
}
