namespace Crane.IntegrationTests;

/// <summary>Allocation bookkeeping needs a seed whose only workloads are the test's own.</summary>
[Collection(OwnCraneCollection.Name)]
public sealed class SchedulingTests
{
    private const long Mi = 1024 * 1024;
    private static readonly CraneProcessOptions SmallNode = new() { CapacityCpu = "2", CapacityMemory = "1Gi" };

    /// <summary>The scheduler reserves a replica's requests when it places it, so the node view is current as soon as replicas run.</summary>
    private static readonly TimeSpan LedgerLag = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Nodes_ShowCapacity_AndAllocatedEqualToTheRunningReplicasRequests()
    {
        await using var crane = await CraneProcess.StartAsync(SmallNode);
        var name = Specs.UniqueName("alloc");
        await crane.Api.ApplyOkAsync(Specs.Demo(name, 3, cpu: "0.25", memory: "64Mi"));
        await Converge.AllReadyAsync(crane, name, 3);

        // 3 replicas x (0.25 cpu, 64Mi) = 0.75 cpu, 192Mi.
        var node = await NodeWhen(crane, n => n.Allocated.Memory == 3 * 64 * Mi && Math.Abs(n.Allocated.Cpu - 0.75) < 1e-6 && n.Replicas == 3,
            "allocated should be 0.75 cpu / 192Mi / 3 replicas once the 3 replicas run");
        Assert.Equal("Ready", node.Status);
        Assert.Equal(2, node.Capacity.Cpu);
        Assert.Equal(1024 * Mi, node.Capacity.Memory);
        Assert.Contains("docker", node.Runtimes);

        await crane.Api.ScaleAsync(name, 1);
        await Converge.AllReadyAsync(crane, name, 1);
        await Converge.ContainerCountAsync(crane, name, 1);
        // 1 replica x (0.25 cpu, 64Mi).
        await NodeWhen(crane, n => n.Allocated.Memory == 64 * Mi && Math.Abs(n.Allocated.Cpu - 0.25) < 1e-6 && n.Replicas == 1,
            "allocated should drop to 0.25 cpu / 64Mi / 1 replica after scaling to 1");
    }

    [Fact]
    public async Task Scheduler_DoesNotPlaceMoreMemoryThanTheNodeHas()
    {
        await using var crane = await CraneProcess.StartAsync(SmallNode);
        var first = Specs.UniqueName("fill");
        var second = Specs.UniqueName("spill");

        // 2 x 400Mi of a 1Gi node leaves 224Mi: neither replica of the second workload (400Mi each) fits.
        await crane.Api.ApplyOkAsync(Specs.Demo(first, 2, memory: "400Mi"));
        await Wait.Until(
            () => crane.Api.GetExistingWorkloadAsync(first),
            w => w.Replicas.Count == 2 && w.Replicas.All(r => r.Node is not null),
            Wait.Converge,
            $"both replicas of {first} should be placed",
            w => w.Describe());

        await crane.Api.ApplyOkAsync(Specs.Demo(second, 2, memory: "400Mi"));
        var settled = await Wait.Until(
            () => crane.Api.GetExistingWorkloadAsync(second),
            w => w.Replicas.Count == 2 && w.Replicas.All(r => r.Node is not null || r.PendingReason?.Contains("insufficient memory", StringComparison.Ordinal) == true),
            Wait.Converge,
            $"each replica of {second} should be placed or refused for memory",
            w => w.Describe());

        var placed = settled.Replicas.Where(r => r.Node is not null).ToList();
        Assert.True(placed.Count == 0,
            $"the node has 1Gi and {first} already holds 800Mi, yet {placed.Count} more 400Mi replicas were placed: {settled.Describe()}; " +
            $"nodes: {string.Join("; ", (await crane.Api.NodesAsync()).Select(n => n.Describe()))}");
    }

    private static Task<NodeDto> NodeWhen(CraneProcess crane, Func<NodeDto, bool> condition, string message) =>
        Wait.Until(
            async () => (await crane.Api.NodesAsync()).Single(n => n.Name == crane.NodeName),
            condition,
            LedgerLag,
            message,
            n => n.Describe());
}
