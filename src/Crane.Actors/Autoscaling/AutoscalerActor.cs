using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Actors.Autoscaling;

/// <summary>Registry key for the autoscaler singleton.</summary>
public sealed class AutoscalerSingleton;

/// <summary>
/// Where the autoscaler reads a workload's metric, in the calculator's units: cores (cpu), bytes (memory) or the query's value
/// (custom). Crane's reader is Prometheus; a value set with an Error means nothing could be read (Prometheus down, a query it
/// refuses, a result of the wrong shape).
/// </summary>
public interface IMetricsReader
{
    Task<ReplicaValues> ReadAsync(string workload, AutoscalingSpec autoscaling, CancellationToken ct);
}

/// <summary>Reads the metric with the PromQL of <see cref="MetricQueries"/>; cpu usage is a rate over <paramref name="window"/>.</summary>
public sealed class PrometheusMetricsReader(PrometheusClient client, TimeSpan window) : IMetricsReader
{
    public async Task<ReplicaValues> ReadAsync(string workload, AutoscalingSpec autoscaling, CancellationToken ct)
    {
        var query = MetricQueries.For(autoscaling, workload, window);
        var result = await client.QueryAsync(query, ct);
        return result.Status switch
        {
            QueryStatus.Ok => ReplicaValues.From(result.Samples),
            QueryStatus.Invalid => ReplicaValues.Failed($"Prometheus refused the query {query}: {result.Error}"),
            _ => ReplicaValues.Failed($"Prometheus at {client.BaseUri} did not answer: {result.Error}"),
        };
    }
}

/// <summary>With --prometheus-url none there is nothing to read: every sync reports the metrics unavailable.</summary>
public sealed class NoMetricsReader : IMetricsReader
{
    public Task<ReplicaValues> ReadAsync(string workload, AutoscalingSpec autoscaling, CancellationToken ct) =>
        Task.FromResult(ReplicaValues.Failed("no Prometheus is configured (--prometheus-url none)"));
}

/// <summary>The autoscaler's knobs: how often each workload syncs, and the replica calculator's settings.</summary>
public sealed record AutoscalerSettings
{
    public static readonly AutoscalerSettings Default = new();

    /// <summary>Kubernetes' --horizontal-pod-autoscaler-sync-period default.</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(15);

    public ReplicaCalculatorSettings Calculator { get; init; } = ReplicaCalculatorSettings.Default;

    /// <summary>While metrics stay unavailable, the warning event repeats at most this often.</summary>
    public TimeSpan UnavailableEventInterval { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan PolicyTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Singleton: one <see cref="WorkloadAutoscaler"/> child per autoscaled workload, created and stopped as WorkloadActors report
/// their autoscaling spec (<see cref="AutoscaleTarget"/>). What the children remember (recommendations for the stabilization
/// windows, recent scale events) lives in memory, as in the Kubernetes controller: a new singleton starts with an empty history.
/// </summary>
public sealed class AutoscalerActor : ReceiveActor
{
    private readonly Dictionary<string, IActorRef> _children = new(StringComparer.Ordinal);
    private long _incarnation;

    public AutoscalerActor(AutoscalerSettings settings, IMetricsReader reader, Func<IActorRef> workloads, IActorRef policy, EventPublisher events, TimeProvider time)
    {
        Receive<AutoscaleTarget>(target =>
        {
            _children.TryGetValue(target.Workload, out var child);
            if (!target.Autoscaled)
            {
                if (child is not null)
                {
                    // A stopping child keeps its name until it has terminated: forget it now, so a target right after starts a new one.
                    _children.Remove(target.Workload);
                    Context.Stop(child);
                }

                return;
            }

            if (child is null)
            {
                child = Context.ActorOf(WorkloadAutoscaler.Props(target.Workload, settings, reader, workloads, policy, events, time),
                    $"{Uri.EscapeDataString(target.Workload)}-{++_incarnation}");
                _children[target.Workload] = child;
            }

            child.Forward(target);
        });
    }

    public static Props Props(AutoscalerSettings settings, IMetricsReader reader, Func<IActorRef> workloads, IActorRef policy, EventPublisher events, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new AutoscalerActor(settings, reader, workloads, policy, events, time));
}

/// <summary>
/// The HPA loop of one workload: every sync period, read the metric, compute the recommendation (<see cref="ReplicaCalculator"/>),
/// stabilize and bound it (<see cref="ScalingBehavior"/>), pass a change through the scaling policy and ask the WorkloadActor
/// to scale. Reports its status to the WorkloadActor after every sync. Metrics that cannot be read never scale down.
/// </summary>
public sealed class WorkloadAutoscaler : ReceiveActor, IWithTimers
{
    private sealed record Sync
    {
        public static readonly Sync Instance = new();
    }

    private sealed record Read(ReplicaValues Reading);

    private sealed record PolicyAnswered(int From, int To, string Explanation, Contracts.Messages.ScalingDecision Decision);

    private readonly string _workload;
    private readonly AutoscalerSettings _settings;
    private readonly IMetricsReader _reader;
    private readonly Func<IActorRef> _workloads;
    private readonly IActorRef _policy;
    private readonly EventPublisher _events;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, AutoscalerConditionView> _conditions = new(StringComparer.Ordinal);
    private AutoscaleTarget? _target;
    private ScalingHistory _history = ScalingHistory.Empty;
    private DateTimeOffset? _lastScale;
    private DateTimeOffset? _lastUnavailableEvent;
    private bool _metricsUnavailable;
    private bool _busy;
    private ReplicaProposal? _lastProposal;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkloadAutoscaler(string workload, AutoscalerSettings settings, IMetricsReader reader, Func<IActorRef> workloads, IActorRef policy,
        EventPublisher events, TimeProvider time)
    {
        _workload = workload;
        _settings = settings;
        _reader = reader;
        _workloads = workloads;
        _policy = policy;
        _events = events;
        _time = time;
        Receive<AutoscaleTarget>(t =>
        {
            // A fresh loop (new workload, seed restart, singleton failover) knows no earlier recommendations: it counts the
            // current replicas as one made now, so it waits out the stabilization windows before moving away from them.
            if (_target is null)
                _history = ScalingHistory.Empty.Record(t.Desired, Now);
            _target = t;
        });
        Receive<Sync>(_ => OnSync());
        Receive<Read>(OnRead);
        Receive<PolicyAnswered>(OnPolicyAnswered);
    }

    public static Props Props(string workload, AutoscalerSettings settings, IMetricsReader reader, Func<IActorRef> workloads, IActorRef policy,
        EventPublisher events, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new WorkloadAutoscaler(workload, settings, reader, workloads, policy, events, time));

    private DateTimeOffset Now => _time.GetUtcNow();

    protected override void PreStart() => Timers.StartPeriodicTimer("sync", Sync.Instance, _settings.SyncPeriod);

    protected override void PostStop()
    {
        CraneMetrics.AutoscalerDesiredReplicas.RemoveLabelled(_workload);
        if (_lastProposal is { } p)
        {
            CraneMetrics.AutoscalerCurrentMetric.RemoveLabelled(_workload, p.Metric);
            CraneMetrics.AutoscalerTargetMetric.RemoveLabelled(_workload, p.Metric);
        }
    }

    private void OnSync()
    {
        if (_busy || _target?.Spec?.Autoscaling is not { } autoscaling)
            return;
        _busy = true;
        _reader.ReadAsync(_workload, autoscaling, CancellationToken.None)
            .PipeTo(Self, success: r => new Read(r), failure: ex => new Read(ReplicaValues.Failed(ex.GetBaseException().Message)));
    }

    private void OnRead(Read read)
    {
        if (_target?.Spec is not { Autoscaling: { } autoscaling } spec)
        {
            _busy = false;
            return;
        }

        var now = Now;
        var current = _target.Desired;
        var metric = MetricTarget.From(autoscaling, spec.Resources);
        ReplicaProposal proposal;
        if (read.Reading.Error is { } error)
        {
            proposal = new ReplicaProposal(metric.Label, current, false, null, metric.Target, 0, 0, 0, $"{metric.Label}: metrics unavailable: {error}");
        }
        else
        {
            var samples = _target.Replicas
                .Select(r => new ReplicaSample(r.Id, r.Ready, r.StartedAt ?? now, read.Reading.For(r.Id), r.ReadySince))
                .ToList();
            proposal = ReplicaCalculator.Desired(current, samples, metric, now, _settings.Calculator);
        }

        var decision = ScalingBehavior.From(autoscaling).Next(_history, current, proposal.Available ? proposal.Desired : null, now);
        // A scale counts against the rate policies only once the policy allowed it and the WorkloadActor was asked (OnPolicyAnswered).
        _history = decision.HistoryBeforeScale;
        _lastProposal = proposal;
        ReportMetrics(proposal, decision.Desired);
        SetMetricsCondition(proposal, now);
        var explanation = $"{proposal.Explanation}; {decision.Explanation}";
        SetCondition(decision.AbleToScale, now);
        SetCondition(decision.ScalingLimited, now);

        if (decision.Desired == current)
        {
            Report(current, current, explanation, now);
            _busy = false;
            return;
        }

        var from = current;
        var to = decision.Desired;
        _policy.Ask<Contracts.Messages.ScalingDecision>(new EvaluateScaling(_workload, SpecJson.Serialize(spec), from, to), _settings.PolicyTimeout)
            .PipeTo(Self,
                success: d => new PolicyAnswered(from, to, explanation, d),
                failure: ex => new PolicyAnswered(from, to, explanation, new Contracts.Messages.ScalingDecision(false, to, [], ex.GetBaseException().Message)));
    }

    private void OnPolicyAnswered(PolicyAnswered answer)
    {
        _busy = false;
        var now = Now;
        var allowed = answer.To;
        var explanation = answer.Explanation;
        if (!answer.Decision.Available)
        {
            // As a manual scale: an engine that cannot answer does not stop the autoscaler.
            _events.Warning("PolicyUnavailable", "Workload", _workload, null,
                $"scaling policy could not answer ({answer.Decision.Error}); autoscaling {answer.From} → {answer.To} anyway");
        }
        else if (answer.Decision.Allowed != answer.To)
        {
            allowed = answer.Decision.Allowed;
            var reasons = string.Join("; ", answer.Decision.Reasons);
            explanation += $"; limited to {allowed} by policy: {reasons}";
            _events.Warning("ScalingLimited", "Workload", _workload, null, $"autoscaler {answer.From} → {answer.To} limited to {allowed} by policy: {reasons}");
            SetCondition(new AutoscalerCondition("AbleToScale", allowed != answer.From, allowed != answer.From ? "SucceededRescale" : "PolicyDenied",
                $"the scaling policy allows {allowed}: {reasons}"), now);
        }

        if (allowed != answer.From)
        {
            _lastScale = now;
            _history = _history.RecordScale(answer.From, allowed, now);
            _workloads().Tell(new AutoscaleWorkload(_workload, answer.From, allowed, $"autoscaler: {explanation}"));
        }

        Report(answer.From, allowed, explanation, now);
    }

    private void ReportMetrics(ReplicaProposal proposal, int desired)
    {
        CraneMetrics.AutoscalerDesiredReplicas.WithLabels(_workload).Set(desired);
        CraneMetrics.AutoscalerTargetMetric.WithLabels(_workload, proposal.Metric).Set(proposal.Target);
        if (proposal.Observed is { } observed)
            CraneMetrics.AutoscalerCurrentMetric.WithLabels(_workload, proposal.Metric).Set(observed);
        else
            CraneMetrics.AutoscalerCurrentMetric.RemoveLabelled(_workload, proposal.Metric);
    }

    private void SetMetricsCondition(ReplicaProposal proposal, DateTimeOffset now)
    {
        if (!proposal.Available)
        {
            SetCondition(new AutoscalerCondition("ScalingActive", false, "MetricsUnavailable",
                $"{proposal.Explanation}; not scaling down, retrying every {ReplicaCalculator.Num(_settings.SyncPeriod.TotalSeconds)} s"), now);
            if (!_metricsUnavailable || _lastUnavailableEvent is not { } last || now - last >= _settings.UnavailableEventInterval)
            {
                _events.Warning("MetricsUnavailable", "Workload", _workload, null,
                    $"{proposal.Explanation}; the autoscaler keeps the count (no scale-down) and retries every {ReplicaCalculator.Num(_settings.SyncPeriod.TotalSeconds)} s");
                _lastUnavailableEvent = now;
            }

            _metricsUnavailable = true;
            return;
        }

        SetCondition(new AutoscalerCondition("ScalingActive", true, "ValidMetricFound",
            $"the autoscaler was able to compute a replica count from {proposal.Metric}"), now);
        if (_metricsUnavailable)
            _events.Normal("MetricsAvailable", "Workload", _workload, null, $"{proposal.Metric} metrics are available again: {proposal.Explanation}");
        _metricsUnavailable = false;
        _lastUnavailableEvent = null;
    }

    private void SetCondition(AutoscalerCondition condition, DateTimeOffset now)
    {
        var since = _conditions.TryGetValue(condition.Type, out var old) && old.Status == condition.Status ? old.LastTransitionTime : now;
        _conditions[condition.Type] = new AutoscalerConditionView(condition.Type, condition.Status, condition.Reason, condition.Message, since);
    }

    private void Report(int current, int desired, string message, DateTimeOffset now)
    {
        var proposal = _lastProposal!;
        var view = new AutoscalerView(proposal.Metric, proposal.Observed, proposal.Target, current, desired, _lastScale, now, message,
            _conditions.Values.OrderBy(c => c.Type, StringComparer.Ordinal).ToList());
        _log.Debug("Autoscaler {0}: {1}", _workload, message);
        _workloads().Tell(new AutoscalerStatusReport(_workload, view));
    }
}
