using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Runtime;

namespace Crane.Actors.Nodes;

/// <summary>What a ReplicaActor needs from its node.</summary>
public sealed record ReplicaContext(
    string Node,
    IContainerRuntime Runtime,
    Prober Prober,
    IActorRef Workloads,
    EventPublisher Events,
    TimeProvider Time,
    Backoff Backoff,
    IReadOnlyDictionary<string, string> ExtraLabels);

/// <summary>The node tells a replica what the engine says about its container.</summary>
public sealed record ContainerExited(string ContainerId, int? ExitCode, string Why);

/// <summary>
/// Child of NodeActor, one per replica. Runs the container, probes it, replaces it when it dies
/// (fresh container from the image, same replica id) with exponential backoff, and reports every
/// change to its WorkloadActor. Modes: Starting, Running, BackingOff, Waiting (image missing), Stopping.
/// </summary>
public sealed class ReplicaActor : ReceiveActor, IWithTimers
{
    private sealed record ContainerUp(ContainerInfo Info, bool Adopted);

    private sealed record StartFailed(Exception Error);

    private sealed record RestartDue;

    private sealed record Heartbeat;

    private sealed record ProbeDue(string Kind);

    private sealed record ProbeDone(string Kind, string ContainerId, ProbeOutcome Outcome);

    private sealed record Removed;

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly Backoff ImageBackoff = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.MaxValue);

    private readonly string _workload;
    private readonly string _replicaId;
    private readonly long _generation;
    private readonly WorkloadSpec _spec;
    private readonly ReplicaContext _ctx;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cts = new();

    private ContainerInfo? _container;
    private ReplicaState _state = ReplicaState.Starting;
    private bool _ready;
    private bool _readySinceStart;
    private bool _aliveSinceStart;
    private int _restarts;
    private int _crashes;
    private int _imageFailures;
    private string? _message;
    private DateTimeOffset _runningSince;
    private readonly Dictionary<string, (int Successes, int Failures)> _probeRuns = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplicaActor(EnsureReplica ensure, ReplicaContext ctx, ContainerInfo? adopt)
    {
        _workload = ensure.Workload;
        _replicaId = ensure.ReplicaId;
        _generation = ensure.Generation;
        _spec = ensure.Spec;
        _ctx = ctx;
        _container = adopt;
        Starting();
    }

    public static Props Props(EnsureReplica ensure, ReplicaContext ctx, ContainerInfo? adopt) =>
        Akka.Actor.Props.Create(() => new ReplicaActor(ensure, ctx, adopt));

    public static string ContainerName(string workload, string replicaId) => $"crane-{workload}-{replicaId}";

    /// <summary>The container port to publish: the workload port, else 8080 when an http/tcp probe needs one.</summary>
    public static int? EffectivePort(WorkloadSpec spec)
    {
        if (spec.Port is not null)
            return spec.Port;
        var probes = new[] { spec.Health?.Liveness, spec.Health?.Readiness, spec.Health?.Startup };
        return probes.Any(p => p is { Type: "http" or "tcp" }) ? 8080 : null;
    }

    /// <summary>Ports that http/tcp probes name explicitly; they are published next to the workload port.</summary>
    private static IEnumerable<int> ProbePorts(WorkloadSpec spec) =>
        new[] { spec.Health?.Liveness, spec.Health?.Readiness, spec.Health?.Startup }
            .Where(p => p is { Type: "http" or "tcp", Port: not null })
            .Select(p => p!.Port!.Value)
            .Distinct();

    /// <summary>The 127.0.0.1 port that reaches the probe's container port (its own, else the workload's).</summary>
    private int? ProbeHostPort(ProbeSpec probe, ContainerInfo container)
    {
        var target = probe.Port ?? EffectivePort(_spec);
        if (target is null)
            return null;
        if (container.HostPorts is { } ports)
            return ports.TryGetValue(target.Value, out var host) ? host : null;
        return probe.Port is null ? container.HostPort : null;
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("heartbeat", new Heartbeat(), HeartbeatInterval);
        if (_container is { Status: ContainerStatus.Running } adopted)
        {
            Self.Tell(new ContainerUp(adopted, Adopted: true));
        }
        else if (_container is not null)
        {
            // Found dead while nobody watched (e.g. Crane was down): replace it like any crash.
            Replace(_container.Id);
        }
        else
        {
            Launch();
        }
    }

    protected override void PostStop()
    {
        _cts.Cancel();
        _cts.Dispose();
        CraneMetrics.ReplicaReady.RemoveLabelled(_workload, _replicaId, _ctx.Node);
        CraneMetrics.ContainerSpecMemoryLimit.RemoveLabelled(_workload, _replicaId, _ctx.Node);
        CraneMetrics.ContainerSpecCpuCores.RemoveLabelled(_workload, _replicaId, _ctx.Node);
    }

    private void Starting()
    {
        _state = ReplicaState.Starting;
        Receive<ContainerUp>(OnUp);
        Receive<StartFailed>(OnStartFailed);
        CommonHandlers();
    }

    private void Running()
    {
        _state = ReplicaState.Running;
        Receive<ContainerExited>(e => e.ContainerId == _container?.Id, OnExited);
        Receive<ProbeDue>(p => RunProbe(p.Kind));
        Receive<ProbeDone>(p => p.ContainerId == _container?.Id, OnProbe);
        Receive<ContainerCheck>(c => c.ListedAt > _runningSince, OnCheck);
        Receive<RestartContainer>(r => Kill($"restart requested: {r.Reason}"));
        CommonHandlers();
    }

    private void BackingOff()
    {
        _state = ReplicaState.BackOff;
        Receive<RestartDue>(_ =>
        {
            Become(Starting);
            Report();
            Replace(_container?.Id);
        });
        CommonHandlers();
    }

    private void Waiting()
    {
        _state = ReplicaState.Pending;
        Receive<RestartDue>(_ =>
        {
            Become(Starting);
            Report();
            Launch();
        });
        CommonHandlers();
    }

    private void Stopping()
    {
        _state = ReplicaState.Stopping;
        Receive<Removed>(_ =>
        {
            _ctx.Workloads.Tell(new ReplicaStopped(_workload, _replicaId, _ctx.Node));
            Context.Stop(Self);
        });
        Receive<EnsureReplica>(_ => Report());
        Receive<Heartbeat>(_ => Report());
        ReceiveAny(_ => { });
    }

    private void CommonHandlers()
    {
        Receive<EnsureReplica>(_ => Report());
        Receive<Heartbeat>(_ => Report());
        Receive<StopReplica>(OnStop);
        Receive<RestartContainer>(_ => { });
        Receive<ContainerExited>(_ => { });
        Receive<ProbeDone>(_ => { });
        Receive<ProbeDue>(_ => { });
        Receive<ContainerCheck>(_ => { });
        Receive<ContainerUp>(up => _ = _ctx.Runtime.RemoveAsync(up.Info.Id, StopGrace, CancellationToken.None));
        Receive<StartFailed>(_ => { });
        Receive<RestartDue>(_ => { });
    }

    private ContainerSpec BuildContainerSpec()
    {
        var labels = new Dictionary<string, string>(_ctx.ExtraLabels)
        {
            ["crane.managed"] = "true",
            ["crane.workload"] = _workload,
            ["crane.replica"] = _replicaId,
            ["crane.node"] = _ctx.Node,
            ["crane.generation"] = _generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var port = EffectivePort(_spec);
        if (port is not null)
            labels["crane.port"] = port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>(_spec.Env)
        {
            ["CRANE_WORKLOAD"] = _workload,
            ["CRANE_REPLICA"] = _replicaId,
            ["CRANE_NODE"] = _ctx.Node,
        };
        return new ContainerSpec(ContainerName(_workload, _replicaId), _spec.Image, _spec.Command, _spec.Args, env, labels,
            port, _spec.Resources.Cpu, _spec.Resources.Memory, ProbePorts(_spec).ToList());
    }

    private void Launch()
    {
        var spec = BuildContainerSpec();
        _ctx.Events.Publish(CraneEvent.Normal, "Pulling", "Replica", _replicaId, _ctx.Node, $"starting {_spec.Image}", WorkloadDetail());
        _ctx.Runtime.RunAsync(spec, _cts.Token).PipeTo(Self,
            success: info => new ContainerUp(info, Adopted: false),
            failure: ex => new StartFailed(ex));
    }

    private void Replace(string? oldContainerId)
    {
        var spec = BuildContainerSpec();
        var runtime = _ctx.Runtime;
        var ct = _cts.Token;
        async Task<ContainerInfo> ReplaceAsync()
        {
            if (oldContainerId is not null)
                await runtime.RemoveAsync(oldContainerId, StopGrace, ct);
            return await runtime.RunAsync(spec, ct);
        }

        ReplaceAsync().PipeTo(Self, success: info => new ContainerUp(info, Adopted: false), failure: ex => new StartFailed(ex));
    }

    private void OnUp(ContainerUp up)
    {
        var restarted = _container is not null && !up.Adopted && _container.Id != up.Info.Id;
        _container = up.Info;
        _runningSince = _ctx.Time.GetUtcNow();
        _ready = false;
        _imageFailures = 0;
        _probeRuns.Clear();
        _readySinceStart = false;
        _aliveSinceStart = false;
        Become(Running);
        if (up.Adopted)
        {
            _message = $"adopted running container {Short(up.Info.Id)}";
            _log.Info("Replica {0}/{1} adopted container {2}", _workload, _replicaId, Short(up.Info.Id));
        }
        else if (restarted)
        {
            _restarts++;
            CraneMetrics.ContainerRestarts.WithLabels(_workload, _replicaId).Inc();
            _message = $"restarted (restart {_restarts}) as container {Short(up.Info.Id)}";
            _ctx.Events.Publish(CraneEvent.Normal, "Restarted", "Replica", _replicaId, _ctx.Node, _message, WorkloadDetail());
        }
        else
        {
            _message = $"started container {Short(up.Info.Id)}";
            _ctx.Events.Publish(CraneEvent.Normal, "Started", "Replica", _replicaId, _ctx.Node,
                $"started container {Short(up.Info.Id)} on host port {up.Info.HostPort?.ToString() ?? "none"}", WorkloadDetail());
        }

        // The limits the container runs with (the spec's requests), for alert rules that compare usage against them.
        CraneMetrics.ContainerSpecMemoryLimit.WithLabels(_workload, _replicaId, _ctx.Node).Set(_spec.Resources.Memory);
        CraneMetrics.ContainerSpecCpuCores.WithLabels(_workload, _replicaId, _ctx.Node).Set(_spec.Resources.Cpu);
        StartProbing();
        Report();
    }

    private void OnStartFailed(StartFailed failed)
    {
        if (failed.Error is OperationCanceledException)
            return;
        if (failed.Error is ImageUnavailableException missing)
        {
            _imageFailures++;
            var delay = ImageBackoff.Delay(_imageFailures);
            _message = $"ImagePullFailed: {missing.Message}";
            if (_imageFailures == 1 || delay == ImageBackoff.Cap)
                _ctx.Events.Publish(CraneEvent.Warning, "ImagePullFailed", "Replica", _replicaId, _ctx.Node, $"{missing.Message}; retrying in {delay.TotalSeconds:0}s", WorkloadDetail());
            _container = null;
            Become(Waiting);
            Timers.StartSingleTimer("restart", new RestartDue(), delay);
            Report();
            return;
        }

        _log.Warning("Replica {0}/{1} failed to start: {2}", _workload, _replicaId, failed.Error.Message);
        _ctx.Events.Publish(CraneEvent.Warning, "Failed", "Replica", _replicaId, _ctx.Node, $"container failed to start: {failed.Error.Message}", WorkloadDetail());
        BackOff(ranFor: TimeSpan.Zero, why: $"start failed: {failed.Error.Message}");
    }

    private void OnExited(ContainerExited exited)
    {
        var ranFor = _ctx.Time.GetUtcNow() - _runningSince;
        SetReady(false);
        var policy = _spec.RestartPolicy;
        var succeeded = exited.ExitCode == 0;
        if (policy == "Never" || (policy == "OnFailure" && succeeded))
        {
            _message = $"container {exited.Why} (exit code {exited.ExitCode?.ToString() ?? "unknown"}); restartPolicy {policy}: not restarted";
            _ctx.Events.Publish(CraneEvent.Normal, "Completed", "Replica", _replicaId, _ctx.Node, _message, WorkloadDetail());
            Become(Waiting);
            _state = ReplicaState.Pending;
            Report();
            return;
        }

        _ctx.Events.Publish(CraneEvent.Warning, "ContainerDied", "Replica", _replicaId, _ctx.Node,
            $"container {Short(exited.ContainerId)} {exited.Why} (exit code {exited.ExitCode?.ToString() ?? "unknown"})", WorkloadDetail());
        BackOff(ranFor, $"container {exited.Why}");
    }

    private void OnCheck(ContainerCheck check)
    {
        var mine = check.Containers.FirstOrDefault(c => c.Id == _container!.Id);
        if (mine is null)
            OnExited(new ContainerExited(_container!.Id, null, "was removed"));
        else if (mine.Status != ContainerStatus.Running)
            OnExited(new ContainerExited(mine.Id, mine.ExitCode, "died"));
    }

    private void BackOff(TimeSpan ranFor, string why)
    {
        _crashes = _ctx.Backoff.NextCrashCount(_crashes, ranFor);
        var delay = _ctx.Backoff.Delay(_crashes);
        _message = $"{why}; back-off {delay.TotalSeconds:0.###}s before restart";
        _ctx.Events.Publish(CraneEvent.Warning, "BackOff", "Replica", _replicaId, _ctx.Node, _message, WorkloadDetail());
        Become(BackingOff);
        Timers.StartSingleTimer("restart", new RestartDue(), delay);
        Report();
    }

    private void OnStop(StopReplica stop)
    {
        Timers.CancelAll();
        SetReady(false);
        _cts.Cancel();
        _ctx.Events.Publish(CraneEvent.Normal, "Killing", "Replica", _replicaId, _ctx.Node, $"stopping: {stop.Reason}", WorkloadDetail());
        Become(Stopping);
        Report();
        var id = _container?.Id;
        var runtime = _ctx.Runtime;
        async Task RemoveAsync()
        {
            if (id is not null)
                await runtime.RemoveAsync(id, StopGrace, CancellationToken.None);
            // A start may have been in flight when the stop came: remove whatever carries the name.
            foreach (var leftover in await runtime.ListAsync(new Dictionary<string, string> { ["crane.replica"] = _replicaId, ["crane.workload"] = _workload }, CancellationToken.None))
                await runtime.RemoveAsync(leftover.Id, StopGrace, CancellationToken.None);
        }

        RemoveAsync().PipeTo(Self, success: () => new Removed(), failure: _ => new Removed());
    }

    private void StartProbing()
    {
        var health = _spec.Health;
        if (health?.Startup is { } startup)
        {
            Timers.StartSingleTimer("probe-startup", new ProbeDue("startup"), TimeSpan.FromSeconds(startup.InitialDelaySeconds));
            return;
        }

        StartLivenessAndReadiness();
    }

    private void StartLivenessAndReadiness()
    {
        var health = _spec.Health;
        if (health?.Liveness is { } liveness)
            Timers.StartSingleTimer("probe-liveness", new ProbeDue("liveness"), TimeSpan.FromSeconds(liveness.InitialDelaySeconds));
        if (health?.Readiness is { } readiness)
            Timers.StartSingleTimer("probe-readiness", new ProbeDue("readiness"), TimeSpan.FromSeconds(readiness.InitialDelaySeconds));
        else
            SetReady(true);
    }

    private ProbeSpec? ProbeOf(string kind) => kind switch
    {
        "startup" => _spec.Health?.Startup,
        "liveness" => _spec.Health?.Liveness,
        "readiness" => _spec.Health?.Readiness,
        _ => null,
    };

    private void RunProbe(string kind)
    {
        var probe = ProbeOf(kind);
        var container = _container;
        if (probe is null || container is null)
            return;
        _ctx.Prober.Run(probe, container.Id, ProbeHostPort(probe, container), _cts.Token)
            .PipeTo(Self, success: outcome => new ProbeDone(kind, container.Id, outcome));
    }

    private void OnProbe(ProbeDone done)
    {
        var probe = ProbeOf(done.Kind)!;
        var outcome = done.Outcome;
        CraneMetrics.ProbeTotal.WithLabels(_workload, _replicaId, done.Kind, outcome.Success ? "success" : "failure").Inc();
        CraneMetrics.ProbeDuration.WithLabels(_workload, done.Kind).Observe(outcome.Duration.TotalSeconds);
        var (successes, failures) = _probeRuns.GetValueOrDefault(done.Kind);
        (successes, failures) = outcome.Success ? (successes + 1, 0) : (0, failures + 1);
        _probeRuns[done.Kind] = (successes, failures);

        var warmingUp = done.Kind == "readiness" && !_readySinceStart;
        if (outcome.Success && !_aliveSinceStart)
        {
            // The app answered for the first time: liveness failures from before it listened are forgiven.
            _aliveSinceStart = true;
            if (done.Kind != "liveness")
                _probeRuns.Remove("liveness");
        }

        // A liveness probe that runs before the app first answered is not news: it counts toward the threshold (an app
        // that never answers is still restarted), but its event waits until it matters.
        var livenessWarmUp = done.Kind == "liveness" && !_aliveSinceStart && failures < probe.FailureThreshold;
        if (!outcome.Success && !warmingUp && !livenessWarmUp)
        {
            _ctx.Events.Publish(CraneEvent.Warning, "Unhealthy", "Replica", _replicaId, _ctx.Node,
                $"{done.Kind} probe failed ({failures}/{probe.FailureThreshold}): {outcome.Message}", WorkloadDetail());
        }

        switch (done.Kind)
        {
            case "startup" when outcome.Success:
                StartLivenessAndReadiness();
                return;
            case "startup" or "liveness" when failures >= probe.FailureThreshold:
                Kill($"{done.Kind} probe failed {failures} times");
                return;
            case "readiness" when outcome.Success && successes >= probe.SuccessThreshold:
                _readySinceStart = true;
                SetReady(true);
                break;
            case "readiness" when failures >= probe.FailureThreshold:
                SetReady(false);
                break;
        }

        var delay = warmingUp && !outcome.Success
            ? ProbeTiming.WarmUpRetry(failures, TimeSpan.FromSeconds(probe.PeriodSeconds))
            : TimeSpan.FromSeconds(probe.PeriodSeconds);
        Timers.StartSingleTimer("probe-" + done.Kind, new ProbeDue(done.Kind), delay);
    }

    private void Kill(string why)
    {
        SetReady(false);
        _ctx.Events.Publish(CraneEvent.Normal, "Killing", "Replica", _replicaId, _ctx.Node, $"{why}; container will be replaced", WorkloadDetail());
        Timers.Cancel("probe-liveness");
        Timers.Cancel("probe-readiness");
        Timers.Cancel("probe-startup");
        // As the kubelet does: the unhealthy container goes now; its replacement waits out the backoff.
        if (_container is { } doomed)
            _ = _ctx.Runtime.RemoveAsync(doomed.Id, StopGrace, CancellationToken.None);
        BackOff(_ctx.Time.GetUtcNow() - _runningSince, why);
    }

    private void SetReady(bool ready)
    {
        var changed = _ready != ready;
        _ready = ready;
        CraneMetrics.ReplicaReady.WithLabels(_workload, _replicaId, _ctx.Node).Set(ready ? 1 : 0);
        if (!changed)
            return;
        if (ready)
            _ctx.Events.Publish(CraneEvent.Normal, "Ready", "Replica", _replicaId, _ctx.Node, "replica is ready", WorkloadDetail());
        else if (_state == ReplicaState.Running)
            _ctx.Events.Publish(CraneEvent.Warning, "NotReady", "Replica", _replicaId, _ctx.Node, "replica is not ready", WorkloadDetail());
        Report();
    }

    private void Report() =>
        _ctx.Workloads.Tell(new ReplicaStatusReport(_workload, _replicaId, _ctx.Node, _generation, _state,
            _container?.Id, _container?.HostPort, _ready && _state == ReplicaState.Running, _restarts, _message));

    private Dictionary<string, string> WorkloadDetail() => new() { ["workload"] = _workload };

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
