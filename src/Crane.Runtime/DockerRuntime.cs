using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crane.Runtime;

/// <summary>Runs containers on a Docker engine (API 1.41+): user-defined bridge network <c>crane</c>,
/// ports published on 127.0.0.1 only, <c>Init=true</c>, no restart policy (Crane restarts).</summary>
public sealed class DockerRuntime : IContainerRuntime
{
    public const string NetworkName = "crane";

    private static readonly Uri DefaultSocket = new("unix:///var/run/docker.sock");
    private static readonly TimeSpan PullTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ResubscribeDelay = TimeSpan.FromSeconds(1);
    private const int InspectParallelism = 8;

    private readonly DockerClient _client;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _networkLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _pulls = new(StringComparer.Ordinal);

    private readonly bool _allowPull;

    /// <param name="allowPull">Off by default: a pull reaches out of this machine, which Crane never does unless asked (--image-pull).</param>
    public DockerRuntime(Uri? endpoint = null, ILogger? logger = null, bool allowPull = false)
    {
        Endpoint = endpoint ?? DefaultSocket;
        _allowPull = allowPull;
        _logger = logger ?? NullLogger.Instance;
        _client = new DockerClientBuilder().WithEndpoint(Endpoint).Build();
    }

    public string Name => "docker";

    public Uri Endpoint { get; }

    /// <summary><c>DOCKER_HOST</c> when set, else <c>unix:///var/run/docker.sock</c>.</summary>
    public static Uri DefaultEndpoint()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return string.IsNullOrWhiteSpace(host) ? DefaultSocket : new Uri(host.Trim());
    }

    public async Task PrepareAsync(CancellationToken ct)
    {
        try
        {
            await _client.System.PingAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Docker engine at {Endpoint} does not answer: {ex.Message}", ex);
        }

        await EnsureNetworkAsync(ct).ConfigureAwait(false);
    }

    public async Task<ContainerInfo> RunAsync(ContainerSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await EnsureImageAsync(spec.Image, ct).ConfigureAwait(false);
        await ForceRemoveAsync(spec.Name, ct).ConfigureAwait(false);

        var created = await _client.Containers.CreateContainerAsync(CreateParameters(spec), ct).ConfigureAwait(false);
        try
        {
            await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A container that never started would linger as "Created" and confuse the next relist.
            await ForceRemoveAsync(created.ID, CancellationToken.None).ConfigureAwait(false);
            if (ex is DockerApiException api)
            {
                throw new InvalidOperationException($"container {spec.Name} failed to start: {EngineMessage(api)}", ex);
            }

            throw;
        }

        var info = await InspectAsync(created.ID, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"container {spec.Name} ({created.ID}) vanished right after start");
        _logger.LogInformation("Started container {Name} ({Id}) from {Image} on host port {HostPort}",
            spec.Name, ShortId(info.Id), spec.Image, info.HostPort);
        return info;
    }

    public async Task RemoveAsync(string containerId, TimeSpan stopTimeout, CancellationToken ct)
    {
        var waitSeconds = (uint)Math.Max(0, Math.Ceiling(stopTimeout.TotalSeconds));
        try
        {
            await _client.Containers.StopContainerAsync(
                containerId, new ContainerStopParameters { WaitBeforeKillSeconds = waitSeconds }, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            return;
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            // Already being removed by someone else; the force remove below settles it.
        }

        await ForceRemoveAsync(containerId, ct).ConfigureAwait(false);
    }

    public async Task<ContainerInfo?> InspectAsync(string containerId, CancellationToken ct)
    {
        try
        {
            var response = await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false);
            return ToInfo(response);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>One sample from the engine's stats collector, which answers at its next tick (up to 1 s, even
    /// with <c>one-shot</c>). The working set is usage minus inactive file pages, as <c>docker stats</c> and cAdvisor
    /// compute it: <c>total_inactive_file</c> on cgroup v1, <c>inactive_file</c> on v2.</summary>
    public async Task<ContainerStats?> StatsAsync(string containerId, CancellationToken ct)
    {
        ContainerStatsResponse? sample = null;
        try
        {
            await _client.Containers.GetContainerStatsAsync(
                containerId,
                new ContainerStatsParameters { Stream = false, OneShot = true },
                new SynchronousProgress<ContainerStatsResponse>(s => sample = s),
                ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }

        // A container that is not running yields an empty sample: no read time, no memory usage.
        if (sample is null || sample.Read == default || sample.MemoryStats?.Usage is not { } usage || sample.CPUStats?.CPUUsage is not { } cpu)
        {
            return null;
        }

        var memory = sample.MemoryStats.Stats;
        var inactiveFile = memory is null ? 0
            : memory.TryGetValue("total_inactive_file", out var v1) ? v1
            : memory.TryGetValue("inactive_file", out var v2) ? v2
            : 0;
        var workingSet = usage > inactiveFile ? usage - inactiveFile : 0;
        return new ContainerStats(
            cpu.TotalUsage / 1e9,
            (long)Math.Min(workingSet, long.MaxValue),
            new DateTimeOffset(DateTime.SpecifyKind(sample.Read, DateTimeKind.Utc)));
    }

    public async Task<IReadOnlyList<ContainerInfo>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var listed = await _client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilters(labels) }, ct).ConfigureAwait(false);

        // List lacks start time and exit code: inspect each, skipping the ones removed meanwhile.
        var infos = new ContainerInfo?[listed.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, listed.Count),
            new ParallelOptions { MaxDegreeOfParallelism = InspectParallelism, CancellationToken = ct },
            async (i, token) => infos[i] = await InspectAsync(listed[i].ID, token).ConfigureAwait(false)).ConfigureAwait(false);
        return infos.OfType<ContainerInfo>()
            .Where(i => LabelSelector.Matches(i.Labels, labels))
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task WatchAsync(IReadOnlyDictionary<string, string> labels, Action<ContainerEvent> onEvent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        string? since = null;
        while (!ct.IsCancellationRequested)
        {
            var filters = LabelFilters(labels);
            filters["type"] = new Dictionary<string, bool> { ["container"] = true };
            var progress = new SynchronousProgress<Message>(message =>
            {
                if (message.TimeNano is { } nanos)
                {
                    since = FormatSince(nanos);
                }

                if (message.Type != "container" || message.Actor?.ID is not { } id)
                {
                    return;
                }

                var attributes = message.Actor.Attributes is null
                    ? new Dictionary<string, string>()
                    : new Dictionary<string, string>(message.Actor.Attributes);
                try
                {
                    onEvent(new ContainerEvent(id, message.Action ?? "", attributes));
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Container event handler failed for {Action} of {Id}", message.Action, ShortId(id));
                }
            });

            try
            {
                // Resuming from the last event seen replays what happened while the stream was down.
                await _client.System.MonitorEventsAsync(
                    new ContainerEventsParameters { Filters = filters, Since = since }, progress, ct).ConfigureAwait(false);
                _logger.LogWarning("Docker event stream at {Endpoint} ended; resubscribing", Endpoint);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Docker event stream at {Endpoint} failed; resubscribing", Endpoint);
            }

            try
            {
                await Task.Delay(ResubscribeDelay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        ContainerExecCreateResponse exec;
        try
        {
            exec = await _client.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
            {
                Cmd = command.ToList(),
                AttachStdout = true,
                AttachStderr = true,
            }, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException ex)
        {
            throw new InvalidOperationException($"container {containerId} not found", ex);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            throw new InvalidOperationException($"cannot exec in container {containerId}: {EngineMessage(ex)}", ex);
        }

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var output = new StringBuilder();
        try
        {
            using var stream = await _client.Exec.StartContainerExecAsync(
                exec.ID, new ContainerExecStartParameters { Detach = false }, timeoutCts.Token).ConfigureAwait(false);
            // Reads on the hijacked socket do not all observe the token: disposing the stream ends them.
            await using var abort = timeoutCts.Token.Register(stream.Dispose);
            var buffer = new byte[8192];
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, timeoutCts.Token).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                var count = decoder.GetChars(buffer, 0, read.Count, chars, 0);
                output.Append(chars, 0, count);
            }
        }
        catch (Exception ex) when (timeoutCts.IsCancellationRequested && !ct.IsCancellationRequested
                                   && ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            output.Append(CultureInfo.InvariantCulture, $"\nexec timed out after {timeout.TotalSeconds:0.###}s");
            return new ExecResult(ExecResult.TimedOutExitCode, output.ToString());
        }

        var inspected = await _client.Exec.InspectContainerExecAsync(exec.ID, ct).ConfigureAwait(false);
        return new ExecResult((int)(inspected.ExitCode ?? -1), output.ToString());
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _networkLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task EnsureNetworkAsync(CancellationToken ct)
    {
        await _networkLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var networks = await CraneNetworksAsync(ct).ConfigureAwait(false);
            if (networks.Count == 0)
            {
                await _client.Networks.CreateNetworkAsync(new NetworksCreateParameters
                {
                    Name = NetworkName,
                    Driver = "bridge",
                    Labels = new Dictionary<string, string> { ["crane.managed"] = "true" },
                }, ct).ConfigureAwait(false);
                _logger.LogInformation("Created Docker network {Network}", NetworkName);
                networks = await CraneNetworksAsync(ct).ConfigureAwait(false);
            }

            // The engine does not refuse duplicate names: when two nodes raced, all keep the oldest.
            foreach (var duplicate in networks.OrderBy(n => n.Created).ThenBy(n => n.ID, StringComparer.Ordinal).Skip(1))
            {
                try
                {
                    await _client.Networks.DeleteNetworkAsync(duplicate.ID, ct).ConfigureAwait(false);
                }
                catch (DockerApiException ex)
                {
                    _logger.LogWarning("Could not remove duplicate network {Network} ({Id}): {Error}",
                        NetworkName, ShortId(duplicate.ID), EngineMessage(ex));
                }
            }
        }
        finally
        {
            _networkLock.Release();
        }
    }

    private async Task<List<NetworkResponse>> CraneNetworksAsync(CancellationToken ct)
    {
        var networks = await _client.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["name"] = new Dictionary<string, bool> { [NetworkName] = true },
            },
        }, ct).ConfigureAwait(false);
        // The name filter matches substrings.
        return networks.Where(n => n.Name == NetworkName).ToList();
    }

    private async Task EnsureImageAsync(string image, CancellationToken ct)
    {
        if (await ImagePresentAsync(image, ct).ConfigureAwait(false))
        {
            return;
        }

        if (!_allowPull)
            throw new ImageUnavailableException(image, $"image {image} is not present locally and pulling is off (start Crane with --image-pull to allow it)");

        // Replicas of one workload start together: they share one pull attempt instead of each starting one.
        var pull = _pulls.GetOrAdd(image, i => new Lazy<Task>(() => PullAsync(i)));
        try
        {
            await pull.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _pulls.TryRemove(new KeyValuePair<string, Lazy<Task>>(image, pull));
        }
    }

    private async Task PullAsync(string image)
    {
        _logger.LogInformation("Image {Image} not present; pulling", image);
        var (repository, tag) = SplitReference(image);
        var errors = new List<string>();
        using var pullCts = new CancellationTokenSource(PullTimeout);
        string reason;
        try
        {
            await _client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = repository, Tag = tag },
                null,
                new SynchronousProgress<JSONMessage>(m =>
                {
                    if (!string.IsNullOrEmpty(m.Error?.Message))
                    {
                        errors.Add(m.Error.Message);
                    }
                }),
                pullCts.Token).ConfigureAwait(false);
            if (errors.Count == 0 && await ImagePresentAsync(image, pullCts.Token).ConfigureAwait(false))
            {
                return;
            }

            reason = errors.Count > 0 ? string.Join("; ", errors) : "the pull finished but the image is still missing";
        }
        catch (OperationCanceledException)
        {
            reason = $"pull timed out after {PullTimeout.TotalSeconds:0}s";
        }
        catch (DockerApiException ex)
        {
            reason = EngineMessage(ex);
        }

        _logger.LogWarning("Image {Image} not present and cannot be pulled: {Reason}", image, reason);
        throw new ImageUnavailableException(image, $"image {image} not present and cannot be pulled: {reason}");
    }

    private async Task<bool> ImagePresentAsync(string image, CancellationToken ct)
    {
        try
        {
            await _client.Images.InspectImageAsync(image, ct).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task ForceRemoveAsync(string nameOrId, CancellationToken ct)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(
                nameOrId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            // "removal already in progress": wait until the engine is done with it.
            await WaitUntilGoneAsync(nameOrId, ct).ConfigureAwait(false);
        }
    }

    private async Task WaitUntilGoneAsync(string nameOrId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await InspectAsync(nameOrId, ct).ConfigureAwait(false) is not null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"container {nameOrId} is still being removed after 30s");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Processes (threads included) one container may have.</summary>
    public const long PidsLimit = 256;

    /// <summary>Size of one json-file log before it rotates; three are kept.</summary>
    public const string LogMaxSize = "10m";

    private static CreateContainerParameters CreateParameters(ContainerSpec spec)
    {
        var hostConfig = new HostConfig
        {
            Init = true,
            Privileged = false,
            SecurityOpt = ["no-new-privileges"],
            NetworkMode = NetworkName,
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            NanoCPUs = spec.Cpu > 0 ? (long)Math.Round(spec.Cpu * 1e9) : 0,
            Memory = spec.Memory > 0 ? spec.Memory : 0,
            // A fork bomb or a chatty app must not take the host down: bounded processes, bounded logs.
            PidsLimit = PidsLimit,
            LogConfig = new LogConfig { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = LogMaxSize, ["max-file"] = "3" } },
        };
        var parameters = new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            Env = spec.Env.Select(e => $"{e.Key}={e.Value}").ToList(),
            Labels = new Dictionary<string, string>(spec.Labels),
            HostConfig = hostConfig,
        };
        if (spec.Command is { Count: > 0 } command)
        {
            parameters.Entrypoint = command.ToList();
        }

        if (spec.Args is { Count: > 0 } args)
        {
            parameters.Cmd = args.ToList();
        }

        var ports = (spec.Port is { } main ? [main] : Array.Empty<int>()).Concat(spec.ExtraPorts ?? []).Distinct().ToList();
        if (ports.Count > 0)
        {
            parameters.ExposedPorts = ports.ToDictionary(p => $"{p}/tcp", _ => default(EmptyStruct));
            hostConfig.PortBindings = ports.ToDictionary(
                p => $"{p}/tcp",
                IList<PortBinding> (_) => [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }]);
        }

        return parameters;
    }

    private static ContainerInfo ToInfo(ContainerInspectResponse response)
    {
        var state = response.State;
        var status = state?.Status switch
        {
            "created" => ContainerStatus.Created,
            "running" => ContainerStatus.Running,
            "exited" or "dead" => ContainerStatus.Exited,
            _ => ContainerStatus.Unknown,
        };
        var labels = response.Config?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        var hostPorts = HostPorts(response);
        int? hostPort = labels.TryGetValue("crane.port", out var named) && int.TryParse(named, NumberStyles.None, CultureInfo.InvariantCulture, out var main)
            && hostPorts.TryGetValue(main, out var mainHost)
            ? mainHost
            : hostPorts.Count > 0 ? hostPorts.OrderBy(kv => kv.Key).First().Value : null;
        return new ContainerInfo(
            response.ID,
            (response.Name ?? "").TrimStart('/'),
            labels,
            status,
            hostPort,
            status == ContainerStatus.Exited && state is not null ? (int)state.ExitCode : null,
            ParseTime(state?.StartedAt),
            hostPorts);
    }

    /// <summary>Container port → published 127.0.0.1 port, from "8080/tcp" keys.</summary>
    private static Dictionary<int, int> HostPorts(ContainerInspectResponse response)
    {
        var result = new Dictionary<int, int>();
        foreach (var (key, bindings) in response.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>())
        {
            var slash = key.IndexOf('/');
            if (!int.TryParse(slash < 0 ? key : key[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var containerPort))
            {
                continue;
            }

            foreach (var binding in bindings ?? [])
            {
                if (int.TryParse(binding.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort) && hostPort > 0)
                {
                    result[containerPort] = hostPort;
                    break;
                }
            }
        }

        return result;
    }

    private static DateTimeOffset? ParseTime(string? value)
    {
        // The engine reports "0001-01-01T00:00:00Z" for containers that never started.
        if (string.IsNullOrEmpty(value) || value.StartsWith("0001-", StringComparison.Ordinal))
        {
            return null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;
    }

    private static Dictionary<string, IDictionary<string, bool>> LabelFilters(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0
            ? []
            : new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = labels.ToDictionary(l => $"{l.Key}={l.Value}", _ => true),
            };

    /// <summary>Splits <c>repo[:tag]</c> (a registry host may carry a port); digests stay in the repository.</summary>
    internal static (string Repository, string? Tag) SplitReference(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return (image, null);
        }

        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    private static string FormatSince(long unixNanos) =>
        string.Create(CultureInfo.InvariantCulture, $"{unixNanos / 1_000_000_000}.{unixNanos % 1_000_000_000:D9}");

    private static string EngineMessage(DockerApiException ex)
    {
        try
        {
            using var document = JsonDocument.Parse(ex.ResponseBody ?? "");
            if (document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { } text)
            {
                return text.Trim();
            }
        }
        catch (JsonException)
        {
        }

        return string.IsNullOrWhiteSpace(ex.ResponseBody) ? ex.Message : ex.ResponseBody.Trim();
    }

    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary><see cref="Progress{T}"/> posts to the thread pool and reorders; events must stay in order.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
