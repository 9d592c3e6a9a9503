using System.Diagnostics;

namespace Crane.IntegrationTests;

/// <summary>
/// Polls <c>docker ps</c> (running containers only) for one workload of a cluster in the background and remembers
/// every moment at which a replica id had more than one running container: the "one owner per replica" claim
/// checked from the outside, during a failover.
/// </summary>
internal sealed class ReplicaContainerWatch : IAsyncDisposable
{
    private readonly CraneCluster _cluster;
    private readonly string _workload;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _violations = [];
    private string? _lastError;

    private ReplicaContainerWatch(CraneCluster cluster, string workload)
    {
        _cluster = cluster;
        _workload = workload;
        _loop = Task.Run(LoopAsync);
    }

    public static ReplicaContainerWatch Start(CraneCluster cluster, string workload) => new(cluster, workload);

    public int Samples { get; private set; }

    /// <summary>The most running containers of the workload seen at once.</summary>
    public int PeakRunning { get; private set; }

    /// <summary>Each sample where a replica id had more than one running container (at most 20 kept).</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_violations)
                return _violations.ToList();
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public string Summary() =>
        $"{Samples} docker ps samples, peak {PeakRunning} running containers, {Violations.Count} samples with a duplicated replica id" +
        (_lastError is null ? "" : $", last docker error: {_lastError}");

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var running = await ClusterConverge.RunningAsync(_cluster, _workload);
                Samples++;
                PeakRunning = Math.Max(PeakRunning, running.Count);
                var duplicated = running.GroupBy(c => c.Replica).Where(g => g.Count() > 1).ToList();
                if (duplicated.Count > 0)
                {
                    lock (_violations)
                    {
                        if (_violations.Count < 20)
                        {
                            _violations.Add($"{_clock.Elapsed.TotalSeconds:0.0}s: " + string.Join("; ",
                                duplicated.Select(g => $"replica {g.Key} x{g.Count()}: {ClusterConverge.DescribeRunning(g)}")));
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                _lastError = ex.Message;
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await StopAsync();
        _stop.Dispose();
    }
}
