using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crane.Runtime;

/// <summary>
/// No containers at all: every run is instantly "running", state lives in memory, exec succeeds. For scale
/// experiments only (like kubemark's hollow nodes), never to prove runtime behaviour. Containers have no host
/// port. <see cref="Crash"/> makes one exit, as if it had died, to drive failure experiments.
/// <see cref="StatsAsync"/> reports zero CPU and memory for a running container (it uses nothing), null otherwise.
/// </summary>
public sealed class HollowRuntime : IContainerRuntime
{
    private readonly ConcurrentDictionary<string, ContainerInfo> _containers = new();
    private readonly ConcurrentDictionary<Guid, (IReadOnlyDictionary<string, string> Labels, Action<ContainerEvent> OnEvent)> _watchers = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public HollowRuntime(TimeProvider? time = null, ILogger? logger = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Name => "hollow";

    public Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task<ContainerInfo> RunAsync(ContainerSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        foreach (var leftover in _containers.Values.Where(c => c.Name == spec.Name).ToList())
        {
            await RemoveAsync(leftover.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        }

        var info = new ContainerInfo(
            $"hollow-{Guid.NewGuid():N}",
            spec.Name,
            new Dictionary<string, string>(spec.Labels),
            ContainerStatus.Running,
            HostPort: null,
            ExitCode: null,
            _time.GetUtcNow());
        _containers[info.Id] = info;
        Publish(info, "start");
        return info;
    }

    public Task RemoveAsync(string containerId, TimeSpan stopTimeout, CancellationToken ct)
    {
        if (_containers.TryRemove(containerId, out var info))
        {
            if (info.Status == ContainerStatus.Running)
            {
                Publish(info, "kill");
                Publish(info, "die", ("exitCode", "0"));
            }

            Publish(info, "destroy");
        }

        return Task.CompletedTask;
    }

    /// <summary>Lets a running hollow container exit with <paramref name="exitCode"/> and reports <c>die</c>.</summary>
    public bool Crash(string containerId, int exitCode = 137)
    {
        while (_containers.TryGetValue(containerId, out var info) && info.Status == ContainerStatus.Running)
        {
            var exited = info with { Status = ContainerStatus.Exited, ExitCode = exitCode };
            if (_containers.TryUpdate(containerId, exited, info))
            {
                Publish(exited, "die", ("exitCode", exitCode.ToString(CultureInfo.InvariantCulture)));
                return true;
            }
        }

        return false;
    }

    public Task<ContainerInfo?> InspectAsync(string containerId, CancellationToken ct) =>
        Task.FromResult(_containers.TryGetValue(containerId, out var info) ? info : null);

    public Task<ContainerStats?> StatsAsync(string containerId, CancellationToken ct) =>
        Task.FromResult(_containers.TryGetValue(containerId, out var info) && info.Status == ContainerStatus.Running
            ? new ContainerStats(0, 0, _time.GetUtcNow())
            : null);

    public Task<IReadOnlyList<ContainerInfo>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ContainerInfo>>(
            _containers.Values.Where(c => LabelSelector.Matches(c.Labels, labels)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList());

    public async Task WatchAsync(IReadOnlyDictionary<string, string> labels, Action<ContainerEvent> onEvent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        var key = Guid.NewGuid();
        _watchers[key] = (new Dictionary<string, string>(labels), onEvent);
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _watchers.TryRemove(key, out _);
        }
    }

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct) =>
        _containers.ContainsKey(containerId)
            ? Task.FromResult(new ExecResult(0, ""))
            : Task.FromException<ExecResult>(new InvalidOperationException($"container {containerId} not found"));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Publish(ContainerInfo info, string action, params (string Key, string Value)[] attributes)
    {
        var labels = new Dictionary<string, string>(info.Labels) { ["name"] = info.Name };
        foreach (var (key, value) in attributes)
        {
            labels[key] = value;
        }

        var containerEvent = new ContainerEvent(info.Id, action, labels);
        foreach (var (required, onEvent) in _watchers.Values)
        {
            if (!LabelSelector.Matches(info.Labels, required))
            {
                continue;
            }

            try
            {
                onEvent(containerEvent);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Container event handler failed for {Action} of {Id}", action, info.Id);
            }
        }
    }
}
