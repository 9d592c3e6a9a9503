using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Actors.Workloads;

/// <summary>
/// One per workload (sharded, persistent). Owns the desired state and reconciles it: asks the
/// scheduler to place replicas, tells nodes to ensure or stop them, and rolls generations.
/// Observed replica status lives in memory only; nodes re-report it after a restart.
/// </summary>
public sealed class WorkloadActor : ReceivePersistentActor, IWithTimers
{
    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>The last report of a replica; RunningSince and ReadySince are when this actor first saw it running and when it last turned ready.</summary>
    private sealed record Observed(ReplicaStatusReport Report, DateTimeOffset At, DateTimeOffset? RunningSince, DateTimeOffset? ReadySince);

    private sealed record StoppingReplica(ReplicaRecord Record, string? Node, DateTimeOffset Since);

    private sealed record DrainDone(string ReplicaId, string Node, string Reason);

    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ScheduleRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan EnsureAfterSilence = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan EnsureResend = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StoppingTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AllocationSyncInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EndpointsResend = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AutoscaleResend = TimeSpan.FromSeconds(5);

    private readonly string _name;
    private readonly IActorRef _scheduler;
    private readonly IActorRef _loadBalancer;
    private readonly IActorRef _autoscaler;
    private readonly IActorRef _metrics;
    private readonly WorkloadSettings _settings;
    private readonly EventPublisher _events;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private WorkloadState _state = WorkloadState.Empty;
    private readonly Dictionary<string, Observed> _observed = new();
    private readonly Dictionary<string, string> _pendingReasons = new();
    private readonly Dictionary<string, DateTimeOffset> _scheduleSentAt = new();
    private readonly Dictionary<string, DateTimeOffset> _ensureSentAt = new();
    private readonly Dictionary<string, StoppingReplica> _stopping = new();
    private readonly Dictionary<string, StoppingReplica> _lost = new();
    private DateTimeOffset _lastAllocationSync = DateTimeOffset.MinValue;
    private WorkloadEndpoints? _lastEndpoints;
    private DateTimeOffset _lastEndpointsSent = DateTimeOffset.MinValue;
    private AutoscaleTarget? _lastAutoscaleTarget;
    private DateTimeOffset _lastAutoscaleSent = DateTimeOffset.MinValue;
    private WorkloadMetricsTargets? _lastMetricsTargets;
    private DateTimeOffset _lastMetricsTargetsSent = DateTimeOffset.MinValue;
    private AutoscalerView? _autoscalerStatus;

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => "workload-" + _name;

    public WorkloadActor(string name, WorkloadPeers peers, WorkloadSettings settings, EventPublisher events, TimeProvider time)
    {
        _name = name;
        _scheduler = peers.Scheduler;
        _loadBalancer = peers.LoadBalancer;
        _autoscaler = peers.Autoscaler;
        _metrics = peers.Metrics;
        _settings = settings;
        _events = events;
        _time = time;

        Recover<WorkloadApplied>(e => _state = _state.Apply(e));
        Recover<WorkloadScaled>(e => _state = _state.Apply(e));
        Recover<WorkloadRestarted>(e => _state = _state.Apply(e));
        Recover<ReplicaCreated>(e => _state = _state.Apply(e));
        Recover<ReplicaBound>(e => _state = _state.Apply(e));
        Recover<ReplicaRemoved>(e => _state = _state.Apply(e));
        Recover<ReplicaEvicting>(e => _state = _state.Apply(e));
        Recover<WorkloadDeleted>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<ApplyWorkload>(HandleApply);
        Command<ScaleWorkload>(HandleScale);
        Command<AutoscaleWorkload>(HandleAutoscale);
        Command<AutoscalerStatusReport>(r =>
        {
            if (_state.Spec?.Autoscaling is not null)
                _autoscalerStatus = r.Status;
        });
        Command<RestartWorkload>(HandleRestart);
        Command<DeleteWorkload>(HandleDelete);
        Command<GetWorkload>(_ =>
        {
            Sender.Tell(_state.Exists ? View() : new WorkloadNotFound(_name));
            PassivateIfEmpty();
        });
        Command<ReplicaStatusReport>(HandleReport);
        Command<ReplicaStopped>(HandleStopped);
        Command<ReplicaPlaced>(HandlePlaced);
        Command<ReplicaUnschedulable>(HandleUnschedulable);
        Command<Tick>(_ => Reconcile());
        Command<NodeLost>(HandleNodeLost);
        Command<EvacuateNode>(e => Evict(r => r.Node == e.Node, $"node {e.Node} is draining"));
        Command<RebalanceWorkload>(_ => Evict(_ => true, "rebalance requested"));
        Command<RestartReplica>(HandleRestartReplica);
        Command<RescheduleReplica>(r =>
        {
            if (_state.Exists && !_state.Replicas.TryGetValue(r.ReplicaId, out _))
                Sender.Tell(new ReplicaNotFound(_name, r.ReplicaId));
            else
                Evict(x => x.Id == r.ReplicaId, r.Reason);
        });
        Command<DrainDone>(d =>
        {
            if (_stopping.ContainsKey(d.ReplicaId))
                SendToNode(d.Node, new StopReplica(_name, d.ReplicaId, d.Reason));
        });
    }

    public static Props Props(string name, WorkloadPeers peers, WorkloadSettings settings, EventPublisher events, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new WorkloadActor(name, peers, settings, events, time));

    private DateTimeOffset Now => _time.GetUtcNow();

    private void OnRecovered()
    {
        Timers.StartPeriodicTimer("tick", Tick.Instance, TickInterval);
        if (_state.Exists)
        {
            _log.Info("Workload {0} recovered at generation {1} with {2} replicas", _name, _state.Generation, _state.Replicas.Count);
            SyncAllocations();
        }
    }

    private void HandleApply(ApplyWorkload cmd)
    {
        var spec = _state.Effective(cmd.Spec);
        if (!_state.Exists)
        {
            var generation = _state.Generation + 1;
            Persist(new WorkloadApplied(SpecJson.Serialize(spec), generation), e =>
            {
                _state = _state.Apply(e);
                _events.Normal("Applied", "Workload", _name, null, $"created generation {generation} with {spec.Replicas} replicas of {spec.Image}");
                Sender.Tell(new ApplyAccepted(_name, generation, Created: true, Changed: true));
                Reconcile();
            });
            return;
        }

        var current = _state.Spec!;
        if (current.TemplateDiffers(spec))
        {
            var generation = _state.Generation + 1;
            Persist(new WorkloadApplied(SpecJson.Serialize(spec), generation), e =>
            {
                _state = _state.Apply(e);
                _events.Normal("Applied", "Workload", _name, null, $"generation {generation}: rolling {spec.Replicas} replicas to {spec.Image}");
                Sender.Tell(new ApplyAccepted(_name, generation, Created: false, Changed: true));
                Reconcile();
            });
        }
        else if (SpecJson.Serialize(current) != SpecJson.Serialize(spec))
        {
            Persist(new WorkloadApplied(SpecJson.Serialize(spec), _state.Generation), e =>
            {
                var before = _state.Desired;
                _state = _state.Apply(e);
                if (spec.Autoscaling is null)
                    _autoscalerStatus = null;
                if (before != _state.Desired)
                    EmitScaled(before, _state.Desired, "applied spec");
                Sender.Tell(new ApplyAccepted(_name, _state.Generation, Created: false, Changed: true));
                Reconcile();
            });
        }
        else
        {
            Sender.Tell(new ApplyAccepted(_name, _state.Generation, Created: false, Changed: false));
        }
    }

    private void HandleScale(ScaleWorkload cmd)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new WorkloadNotFound(_name));
            PassivateIfEmpty();
            return;
        }

        var before = _state.Desired;
        if (before == cmd.Replicas)
        {
            Sender.Tell(new WorkloadAck(_name, _state.Generation));
            return;
        }

        Persist(new WorkloadScaled(cmd.Replicas), e =>
        {
            _state = _state.Apply(e);
            EmitScaled(before, cmd.Replicas, "manual");
            Sender.Tell(new WorkloadAck(_name, _state.Generation));
            Reconcile();
        });
    }

    /// <summary>The autoscaler's decision applies only while the count is still the one it decided from.</summary>
    private void HandleAutoscale(AutoscaleWorkload cmd)
    {
        if (!_state.Exists || _state.Spec!.Autoscaling is null || _state.Desired != cmd.From || cmd.From == cmd.To)
        {
            _log.Info("Ignoring autoscaler decision {0} → {1} for {2}: the desired count is {3}", cmd.From, cmd.To, _name, _state.Desired);
            return;
        }

        Persist(new WorkloadScaled(cmd.To), e =>
        {
            _state = _state.Apply(e);
            EmitScaled(cmd.From, cmd.To, cmd.Reason);
            Reconcile();
        });
    }

    private void EmitScaled(int from, int to, string why) =>
        _events.Normal(to > from ? "ScaledUp" : "ScaledDown", "Workload", _name, null, $"replicas {from} → {to} ({why})");

    private void HandleRestart(RestartWorkload cmd)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new WorkloadNotFound(_name));
            PassivateIfEmpty();
            return;
        }

        Persist(new WorkloadRestarted(_state.Generation + 1), e =>
        {
            _state = _state.Apply(e);
            _events.Normal("Restarting", "Workload", _name, null, $"rolling restart to generation {e.Generation}");
            Sender.Tell(new WorkloadAck(_name, _state.Generation));
            Reconcile();
        });
    }

    private void HandleDelete(DeleteWorkload cmd)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new WorkloadNotFound(_name));
            PassivateIfEmpty();
            return;
        }

        var replicas = _state.Replicas.Values.ToList();
        var events = replicas.Select(r => (object)new ReplicaRemoved(r.Id)).Append(new WorkloadDeleted(_state.Generation)).ToList();
        var replyTo = Sender;
        PersistAll(events, e =>
        {
            if (e is ReplicaRemoved removed && _state.Replicas.TryGetValue(removed.ReplicaId, out var record))
                BeginStop(record, "workload deleted");
            _state = _state.Apply(e);
            if (e is WorkloadDeleted)
            {
                _events.Normal("Deleted", "Workload", _name, null, $"deleted; stopping {replicas.Count} replicas");
                PublishEndpoints(force: true);
                PublishAutoscaleTarget();
                PublishMetricsTargets();
                _autoscalerStatus = null;
                CraneMetrics.ReplicasDesired.RemoveLabelled(_name);
                CraneMetrics.ReplicasReady.RemoveLabelled(_name);
                SyncAllocations();
                replyTo.Tell(new WorkloadAck(_name, _state.Generation));
            }
        });
    }

    private void HandleNodeLost(NodeLost msg)
    {
        var lost = _state.Replicas.Values.Where(r => r.Node == msg.Node).ToList();
        if (lost.Count == 0)
            return;
        PersistThen(lost.Select(r => (object)new ReplicaRemoved(r.Id)).ToList(), evt =>
        {
            var e = (ReplicaRemoved)evt;
            var record = _state.Replicas[e.ReplicaId];
            _state = _state.Apply(e);
            _observed.Remove(e.ReplicaId);
            _ensureSentAt.Remove(e.ReplicaId);
            _lost[e.ReplicaId] = new StoppingReplica(record, record.Node, Now);
            _events.Publish(CraneEvent.Warning, "Rescheduled", "Replica", e.ReplicaId, msg.Node,
                $"replica {e.ReplicaId} was on lost node {msg.Node}; a replacement is being scheduled", new Dictionary<string, string> { ["workload"] = _name });
        }, () =>
        {
            SyncAllocations();
            Reconcile();
        });
    }

    private void HandleRestartReplica(RestartReplica r)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new WorkloadNotFound(_name));
            PassivateIfEmpty();
            return;
        }

        if (!_state.Replicas.TryGetValue(r.ReplicaId, out var record) || record.Node is null)
        {
            Sender.Tell(new ReplicaNotFound(_name, r.ReplicaId));
            return;
        }

        SendToNode(record.Node, new RestartContainer(_name, r.ReplicaId, r.Reason));
        Sender.Tell(new WorkloadAck(_name, _state.Generation));
    }

    /// <summary>Marks replicas for a move; the rollout then starts each replacement before stopping the original.</summary>
    private void Evict(Func<ReplicaRecord, bool> which, string why)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new WorkloadNotFound(_name));
            PassivateIfEmpty();
            return;
        }

        var replyTo = Sender;
        var moving = _state.Replicas.Values.Where(r => !r.Evicting && which(r)).ToList();
        PersistThen(moving.Select(r => (object)new ReplicaEvicting(r.Id)).ToList(), e => _state = _state.Apply(e), () =>
        {
            if (moving.Count > 0)
                _events.Normal("Moving", "Workload", _name, null, $"{why}: moving {moving.Count} replica(s) one by one");
            replyTo.Tell(new WorkloadAck(_name, _state.Generation));
            Reconcile();
        });
    }

    private void HandleReport(ReplicaStatusReport report)
    {
        if (_stopping.TryGetValue(report.ReplicaId, out var stopping))
        {
            _observed[report.ReplicaId] = new Observed(report, Now, null, null);
            if (Now - stopping.Since > EnsureResend)
                SendToNode(report.Node, new StopReplica(_name, report.ReplicaId, "replica was removed"));
            return;
        }

        if (!_state.Replicas.TryGetValue(report.ReplicaId, out var record) || record.Node != report.Node)
        {
            // Fencing: only the node the replica is bound to may run it.
            _log.Info("Stopping replica {0} on {1}: not owned there (bound to {2})", report.ReplicaId, report.Node, record?.Node ?? "nothing");
            SendToNode(report.Node, new StopReplica(_name, report.ReplicaId, "not owned by this node"));
            PassivateIfEmpty();
            return;
        }

        var seen = _observed.GetValueOrDefault(report.ReplicaId);
        var previous = seen?.Report;
        var running = report.State == ReplicaState.Running;
        var runningSince = running ? (previous?.State == ReplicaState.Running ? seen!.RunningSince : Now) : null;
        var readySince = running && report.Ready ? (previous is { Ready: true, State: ReplicaState.Running } ? seen!.ReadySince : Now) : null;
        _observed[report.ReplicaId] = new Observed(report, Now, runningSince, readySince);
        if (previous?.Ready != report.Ready || previous?.State != report.State)
            Reconcile();
    }

    private void HandleStopped(ReplicaStopped msg)
    {
        _stopping.Remove(msg.ReplicaId);
        _observed.Remove(msg.ReplicaId);
        PassivateIfEmpty();
    }

    private void HandlePlaced(ReplicaPlaced msg)
    {
        _scheduleSentAt.Remove(msg.ReplicaId);
        if (!_state.Replicas.TryGetValue(msg.ReplicaId, out var record) || record.Node is not null)
        {
            // The replica went away while the scheduler was deciding: give the reservation back.
            SyncAllocations();
            return;
        }

        Persist(new ReplicaBound(msg.ReplicaId, msg.Node), e =>
        {
            _state = _state.Apply(e);
            _pendingReasons.Remove(e.ReplicaId);
            _events.Publish(CraneEvent.Normal, "Scheduled", "Replica", e.ReplicaId, e.Node,
                $"assigned {_name}/{e.ReplicaId} to {e.Node}", new Dictionary<string, string> { ["workload"] = _name });
            Ensure(_state.Replicas[e.ReplicaId]);
        });
    }

    private void HandleUnschedulable(ReplicaUnschedulable msg)
    {
        _scheduleSentAt[msg.ReplicaId] = Now;
        if (!_state.Replicas.ContainsKey(msg.ReplicaId))
            return;
        if (_pendingReasons.GetValueOrDefault(msg.ReplicaId) != msg.Reason)
        {
            _events.Publish(CraneEvent.Warning, "FailedScheduling", "Replica", msg.ReplicaId, null, msg.Reason,
                new Dictionary<string, string> { ["workload"] = _name });
        }
        _pendingReasons[msg.ReplicaId] = msg.Reason;
    }

    private void Reconcile()
    {
        if (!_state.Exists)
        {
            ExpireStopping();
            PassivateIfEmpty();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var snapshots = _state.Replicas.Values
            .Select(r => new ReplicaSnapshot(r.Id, r.Evicting ? -1 : r.Generation, r.Node is not null, IsReady(r)))
            .ToList();
        var step = Rollout.NextStep(_state.Generation, _state.Desired, snapshots);
        if (!step.IsEmpty)
        {
            var taken = new HashSet<string>(_state.Replicas.Keys.Concat(_stopping.Keys), StringComparer.Ordinal);
            var events = step.Remove.Select(id => (object)new ReplicaRemoved(id))
                .Concat(Enumerable.Range(0, step.Create).Select(_ => (object)new ReplicaCreated(ReplicaIds.New(taken, Random.Shared), _state.Generation)))
                .ToList();
            PersistThen(events, e =>
            {
                if (e is ReplicaRemoved removed && _state.Replicas.TryGetValue(removed.ReplicaId, out var record))
                    BeginStop(record, "scaled down or replaced by a newer generation");
                _state = _state.Apply(e);
            }, AfterStep);
            return;
        }

        AfterStep();
        CraneMetrics.ReconcileDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// Persists the events, applies each, then runs <paramref name="after"/> once (at once when there are none).
    /// Used instead of DeferAsync, which left the actor stashing forever when called from inside a defer handler.
    /// </summary>
    private void PersistThen(IReadOnlyList<object> events, Action<object> apply, Action after)
    {
        if (events.Count == 0)
        {
            after();
            return;
        }

        var applied = 0;
        PersistAll(events, e =>
        {
            apply(e);
            if (++applied == events.Count)
                after();
        });
    }

    private void AfterStep()
    {
        foreach (var record in _state.Replicas.Values)
        {
            if (record.Node is null)
                RequestPlacement(record);
            else if (NeedsEnsure(record))
                Ensure(record);
        }

        ExpireStopping();
        PublishEndpoints(force: Now - _lastEndpointsSent > EndpointsResend);
        PublishAutoscaleTarget();
        PublishMetricsTargets();
        if (Now - _lastAllocationSync > AllocationSyncInterval)
            SyncAllocations();
        CraneMetrics.ReplicasDesired.WithLabels(_name).Set(_state.Desired);
        CraneMetrics.ReplicasReady.WithLabels(_name).Set(_state.Replicas.Values.Count(IsReady));
    }

    private void RequestPlacement(ReplicaRecord record)
    {
        if (_scheduleSentAt.TryGetValue(record.Id, out var sent) && Now - sent < ScheduleRetry)
            return;
        _scheduleSentAt[record.Id] = Now;
        _scheduler.Tell(new ScheduleReplica(_name, record.Id, _state.Spec!));
    }

    private bool NeedsEnsure(ReplicaRecord record)
    {
        if (_ensureSentAt.TryGetValue(record.Id, out var sent) && Now - sent < EnsureResend)
            return false;
        return !_observed.TryGetValue(record.Id, out var seen) || Now - seen.At > EnsureAfterSilence;
    }

    private void Ensure(ReplicaRecord record)
    {
        _ensureSentAt[record.Id] = Now;
        SendToNode(record.Node!, new EnsureReplica(_name, record.Id, record.Generation, _state.Spec!));
    }

    private void BeginStop(ReplicaRecord record, string reason)
    {
        _scheduleSentAt.Remove(record.Id);
        _ensureSentAt.Remove(record.Id);
        _pendingReasons.Remove(record.Id);
        if (record.Node is null)
        {
            _observed.Remove(record.Id);
            return;
        }

        // A routed replica leaves the load balancer first and gets the drain period for in-flight requests.
        var routed = _lastEndpoints?.Endpoints.Any(e => e.ReplicaId == record.Id) == true;
        _stopping[record.Id] = new StoppingReplica(record, record.Node, Now);
        if (routed && _settings.Drain > TimeSpan.Zero)
        {
            PublishEndpoints(force: false);
            Timers.StartSingleTimer("drain-" + record.Id, new DrainDone(record.Id, record.Node, reason), _settings.Drain);
        }
        else
        {
            SendToNode(record.Node, new StopReplica(_name, record.Id, reason));
        }

        SyncAllocationsSoon();
    }

    private void ExpireStopping()
    {
        foreach (var id in _lost.Where(kv => Now - kv.Value.Since > StoppingTimeout).Select(kv => kv.Key).ToList())
            _lost.Remove(id);
        foreach (var (id, s) in _stopping.Where(kv => Now - kv.Value.Since > StoppingTimeout).ToList())
        {
            _log.Warning("Replica {0} on {1} did not confirm its stop; forgetting it (the node removes orphans)", id, s.Node);
            _stopping.Remove(id);
            _observed.Remove(id);
        }
    }

    /// <summary>Tells the load balancer the ready, routable replicas when they changed (or when forced, for a new LB incarnation).</summary>
    private void PublishEndpoints(bool force)
    {
        var routed = _state.Exists && _state.Spec!.Port is not null;
        var endpoints = routed
            ? _state.Replicas.Values
                .Where(r => IsReady(r) && !_stopping.ContainsKey(r.Id) && _observed[r.Id].Report.HostPort is not null)
                .OrderBy(r => r.Id, StringComparer.Ordinal)
                .Select(r => new ReplicaEndpoint(r.Id, "127.0.0.1", _observed[r.Id].Report.HostPort!.Value))
                .ToList()
            : [];
        var message = new WorkloadEndpoints(_name, routed, endpoints);
        if (!force && _lastEndpoints is not null && _lastEndpoints.Routed == routed && _lastEndpoints.Endpoints.SequenceEqual(endpoints))
            return;
        _lastEndpoints = message;
        _lastEndpointsSent = Now;
        _loadBalancer.Tell(message);
    }

    /// <summary>Tells the autoscaler what it scales (on change, and every few seconds for a new singleton incarnation).</summary>
    private void PublishAutoscaleTarget()
    {
        var spec = _state.Exists ? _state.Spec : null;
        if (spec?.Autoscaling is null && _lastAutoscaleTarget is not { Autoscaled: true })
            return;
        var replicas = _state.Replicas.Values
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .Select(r => _observed.TryGetValue(r.Id, out var o) && o.Report.Node == r.Node
                ? new AutoscaleReplica(r.Id, IsReady(r), o.RunningSince, o.ReadySince)
                : new AutoscaleReplica(r.Id, false, null, null))
            .ToList();
        var message = new AutoscaleTarget(_name, spec?.Autoscaling is null ? null : spec, _state.Desired, replicas);
        if (_lastAutoscaleTarget is { } last && Now - _lastAutoscaleSent < AutoscaleResend && last.Desired == message.Desired &&
            last.Replicas.SequenceEqual(message.Replicas) && SameSpec(last.Spec, message.Spec))
            return;
        _lastAutoscaleTarget = message;
        _lastAutoscaleSent = Now;
        _autoscaler.Tell(message);
    }

    private static bool SameSpec(WorkloadSpec? a, WorkloadSpec? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && SpecJson.Serialize(a) == SpecJson.Serialize(b));

    /// <summary>Tells the Prometheus owner where the running replicas serve /metrics (the workload's port).</summary>
    private void PublishMetricsTargets()
    {
        var endpoints = _state.Exists && _state.Spec!.Port is not null
            ? _state.Replicas.Values
                .Where(r => r.Node is not null && _observed.TryGetValue(r.Id, out var o) && o.Report.Node == r.Node &&
                            o.Report.State == ReplicaState.Running && o.Report.HostPort is not null)
                .OrderBy(r => r.Id, StringComparer.Ordinal)
                .Select(r => new MetricsEndpoint(r.Id, r.Node!, "127.0.0.1", _observed[r.Id].Report.HostPort!.Value))
                .ToList()
            : [];
        if (endpoints.Count == 0 && _lastMetricsTargets is not { Endpoints.Count: > 0 })
            return;
        if (_lastMetricsTargets is { } last && last.Endpoints.SequenceEqual(endpoints) && Now - _lastMetricsTargetsSent < EndpointsResend)
            return;
        _lastMetricsTargets = new WorkloadMetricsTargets(_name, endpoints);
        _lastMetricsTargetsSent = Now;
        _metrics.Tell(_lastMetricsTargets);
    }

    private void SyncAllocationsSoon() => _lastAllocationSync = DateTimeOffset.MinValue;

    private void SyncAllocations()
    {
        _lastAllocationSync = Now;
        var spec = _state.Spec;
        var allocations = _state.Replicas.Values
            .Where(r => r.Node is not null)
            .Select(r => new Allocation(r.Id, r.Node!, spec!.Resources.Cpu, spec.Resources.Memory))
            .ToList();
        var unbound = _state.Replicas.Values.Where(r => r.Node is null).Select(r => r.Id).ToList();
        _scheduler.Tell(new SyncAllocations(_name, allocations, unbound));
    }

    private void SendToNode(string node, NodeCommand message) => _scheduler.Tell(new ToNode(node, message));

    private bool IsReady(ReplicaRecord r) =>
        r.Node is not null && _observed.TryGetValue(r.Id, out var o) && o.Report.Node == r.Node && o.Report.Ready && o.Report.State == ReplicaState.Running;

    private void PassivateIfEmpty()
    {
        if (!_state.Exists && _stopping.Count == 0)
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private WorkloadView View()
    {
        var replicas = _state.Replicas.Values
            .OrderBy(r => r.Generation).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(r => ReplicaViewOf(r, stopping: false))
            .Concat(_stopping.Values.Select(s => ReplicaViewOf(s.Record, stopping: true)))
            .Concat(_lost.Values.Select(s => new ReplicaView(s.Record.Id, s.Record.Generation, s.Node, null, ReplicaState.Lost, false, null, 0, null,
                $"node {s.Node} was lost")))
            .ToList();
        return new WorkloadView(_name, _state.Generation, _state.Spec!, _state.Desired,
            _state.Replicas.Values.Count(IsReady), replicas)
        {
            Autoscaler = _autoscalerStatus,
        };
    }

    private ReplicaView ReplicaViewOf(ReplicaRecord r, bool stopping)
    {
        var report = _observed.TryGetValue(r.Id, out var o) && o.Report.Node == r.Node ? o.Report : null;
        var state = stopping ? ReplicaState.Stopping : report?.State ?? (r.Node is null ? ReplicaState.Pending : ReplicaState.Starting);
        var pending = r.Node is null ? _pendingReasons.GetValueOrDefault(r.Id) ?? "waiting for the scheduler"
            : report is { State: ReplicaState.Pending } ? report.Message : null;
        return new ReplicaView(r.Id, r.Generation, r.Node, report?.ContainerId, state, !stopping && (report?.Ready ?? false),
            report?.HostPort, report?.Restarts ?? 0, pending, report?.Message);
    }
}
