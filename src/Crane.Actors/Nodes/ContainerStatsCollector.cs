using Crane.Actors.Observability;
using Crane.Runtime;

namespace Crane.Actors.Nodes;

/// <summary>
/// The node's cAdvisor: a background loop reads CPU and memory of the node's running replica containers from the runtime
/// (Docker's stats API, all containers in parallel) and exports crane_container_cpu_seconds_total and
/// crane_container_memory_working_set_bytes labelled workload, replica and node; /metrics serves the latest values.
/// Not read on scrape: one Docker stats call waits for the engine's next 1 s sample, longer than a 1 s scrape timeout.
/// </summary>
public sealed class ContainerStatsCollector(IContainerRuntime runtime, string node, IReadOnlyDictionary<string, string> containerLabels, TimeSpan interval)
    : Microsoft.Extensions.Hosting.BackgroundService
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private HashSet<(string Workload, string Replica)> _exported = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            round.CancelAfter(RoundTimeout);
            try
            {
                await CollectAsync(round.Token);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever the runtime throws (engine gone, a slow round cut off), the last values stay and the next round retries.
            }

            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task CollectAsync(CancellationToken ct)
    {
        var containers = await runtime.ListAsync(NodeActor.NodeLabels(node, containerLabels), ct);
        var running = containers
            .Where(c => c.Status == ContainerStatus.Running && c.Labels.ContainsKey("crane.workload") && c.Labels.ContainsKey("crane.replica"))
            .ToList();
        var read = await Task.WhenAll(running.Select(async c => (Container: c, Stats: await runtime.StatsAsync(c.Id, ct))));

        lock (_gate)
        {
            var seen = new HashSet<(string, string)>();
            foreach (var (container, stats) in read)
            {
                if (stats is null)
                    continue;
                var workload = container.Labels["crane.workload"];
                var replica = container.Labels["crane.replica"];
                if (!seen.Add((workload, replica)))
                    continue;
                var cpu = CraneMetrics.ContainerCpuSeconds.WithLabels(workload, replica, node);
                // A replaced container (same replica) starts from zero: a counter reset, which rate() expects.
                if (stats.CpuSeconds < cpu.Value)
                {
                    CraneMetrics.ContainerCpuSeconds.RemoveLabelled(workload, replica, node);
                    cpu = CraneMetrics.ContainerCpuSeconds.WithLabels(workload, replica, node);
                }

                cpu.IncTo(stats.CpuSeconds);
                CraneMetrics.ContainerMemoryWorkingSet.WithLabels(workload, replica, node).Set(stats.MemoryWorkingSetBytes);
            }

            foreach (var (workload, replica) in _exported.Where(e => !seen.Contains(e)))
            {
                CraneMetrics.ContainerCpuSeconds.RemoveLabelled(workload, replica, node);
                CraneMetrics.ContainerMemoryWorkingSet.RemoveLabelled(workload, replica, node);
            }

            _exported = seen;
        }
    }
}
