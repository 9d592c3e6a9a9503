using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Actors.Alerts;

/// <summary>Registry key for the alert receiver singleton.</summary>
public sealed class AlertReceiverSingleton;

/// <summary>
/// Singleton: turns Alertmanager webhooks into restarts, reschedules and scale steps. Each alert is planned from its labels
/// (<see cref="AlertActions.Plan"/>), checked against the ledger (one action per incident, one per workload per interval),
/// and carried out through the WorkloadActor; a scale step passes the scaling policy. Every alert received and every
/// action taken, refused or failed is an event with the reason. The ledger lives in memory: after a failover an alert
/// still firing may act once more.
/// </summary>
public sealed class AlertReceiverActor : ReceiveActor
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private readonly Func<IActorRef> _workloads;
    private readonly IActorRef _policy;
    private readonly EventPublisher _events;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private AlertLedger _ledger = AlertLedger.Empty;

    public AlertReceiverActor(Func<IActorRef> workloads, IActorRef policy, EventPublisher events, TimeProvider time, TimeSpan interval)
    {
        _workloads = workloads;
        _policy = policy;
        _events = events;
        _time = time;
        _interval = interval;
        Receive<ReceiveAlerts>(OnAlerts);
    }

    public static Props Props(Func<IActorRef> workloads, IActorRef policy, EventPublisher events, TimeProvider time, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new AlertReceiverActor(workloads, policy, events, time, interval));

    private void OnAlerts(ReceiveAlerts message)
    {
        var parsed = AlertPayload.Parse(message.Body);
        if (parsed.Payload is not { } payload)
        {
            Sender.Tell(new AlertsHandled([], parsed.Error));
            return;
        }

        var outcomes = new List<AlertOutcome>();
        foreach (var alert in payload.Alerts)
        {
            var plan = AlertActions.Plan(alert);
            var decision = _ledger.Decide(plan, alert, _time.GetUtcNow(), _interval);
            _ledger = decision.Next;
            var status = alert.Firing ? "firing" : "resolved";
            var action = AlertActions.LabelOf(plan.Action);
            var target = plan.Workload is null ? "" : $" for {plan.Workload}{(plan.Replica is null ? "" : "/" + plan.Replica)}";
            var summary = alert.Annotations.TryGetValue("summary", out var s) ? $": {s}" : "";
            Publish(alert.Firing ? CraneEvent.Warning : CraneEvent.Normal, "AlertReceived", plan,
                $"{alert.Name} {status}{target}{summary} (fingerprint {alert.Fingerprint})");
            outcomes.Add(new AlertOutcome(alert.Name, alert.Fingerprint, status, action, decision.Verdict.ToString(), decision.Reason));
            if (decision.Verdict == AlertVerdict.Act)
            {
                _ = Execute(plan, $"alert {alert.Name}: {plan.Reason}");
            }
            else
            {
                Publish(CraneEvent.Normal, "AlertIgnored", plan, $"{alert.Name} {status}{target}: {action} not taken: {decision.Reason}");
            }
        }

        Sender.Tell(new AlertsHandled(outcomes, null));
    }

    /// <summary>Runs outside the actor (asks only); its outcome is an event.</summary>
    private async Task Execute(AlertPlan plan, string why)
    {
        var workloads = _workloads();
        try
        {
            var (acted, text) = plan.Action switch
            {
                AlertAction.Restart => Result(await workloads.Ask<object>(new RestartReplica(plan.Workload!, plan.Replica!, why), AskTimeout),
                    $"restarting replica {plan.Replica} of {plan.Workload} ({why})", plan),
                AlertAction.Reschedule => Result(await workloads.Ask<object>(new RescheduleReplica(plan.Workload!, plan.Replica!, why), AskTimeout),
                    $"moving replica {plan.Replica} of {plan.Workload} ({why})", plan),
                _ => await ScaleStep(workloads, plan, why),
            };
            Publish(acted ? CraneEvent.Normal : CraneEvent.Warning, acted ? "AlertActed" : "AlertActionFailed", plan, text);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            Publish(CraneEvent.Warning, "AlertActionFailed", plan, $"{AlertActions.LabelOf(plan.Action)} of {plan.Workload} got no answer: {ex.Message}");
        }
    }

    private static (bool, string) Result(object answer, string done, AlertPlan plan) => answer switch
    {
        WorkloadAck => (true, done),
        ReplicaNotFound => (false, $"{AlertActions.LabelOf(plan.Action)} failed: {plan.Workload} has no replica {plan.Replica}"),
        _ => (false, $"{AlertActions.LabelOf(plan.Action)} failed: workload {plan.Workload} not found"),
    };

    /// <summary>One replica up or down, within the autoscaling bounds when there are any, through the scaling policy.</summary>
    private async Task<(bool, string)> ScaleStep(IActorRef workloads, AlertPlan plan, string why)
    {
        if (await workloads.Ask<object>(new GetWorkload(plan.Workload!), AskTimeout) is not WorkloadView view)
            return (false, $"{AlertActions.LabelOf(plan.Action)} failed: workload {plan.Workload} not found");
        var step = plan.Action == AlertAction.ScaleUp ? 1 : -1;
        var (min, max) = view.Spec.Autoscaling is { } a ? (a.Min, a.Max) : (plan.Action == AlertAction.ScaleUp ? 0 : 1, SpecParser.MaxReplicas);
        var wanted = Math.Clamp(view.DesiredReplicas + step, Math.Min(min, view.DesiredReplicas), Math.Max(max, view.DesiredReplicas));
        if (wanted == view.DesiredReplicas)
            return (false, $"{AlertActions.LabelOf(plan.Action)} of {plan.Workload} not taken: already at {(step > 0 ? "max" : "min")} {view.DesiredReplicas}");

        var decision = await _policy.Ask<ScalingDecision>(new EvaluateScaling(plan.Workload!, SpecJson.Serialize(view.Spec), view.DesiredReplicas, wanted), AskTimeout);
        var allowed = decision.Available ? decision.Allowed : wanted;
        if (allowed == view.DesiredReplicas)
            return (false, $"{AlertActions.LabelOf(plan.Action)} of {plan.Workload} refused by policy: {string.Join("; ", decision.Reasons)}");
        if (await workloads.Ask<object>(new ScaleWorkload(plan.Workload!, allowed), AskTimeout) is not WorkloadAck)
            return (false, $"{AlertActions.LabelOf(plan.Action)} failed: workload {plan.Workload} not found");
        var limited = allowed != wanted ? $", limited from {wanted} by policy: {string.Join("; ", decision.Reasons)}" : "";
        return (true, $"scaled {plan.Workload} {view.DesiredReplicas} → {allowed}{limited} ({why})");
    }

    private void Publish(string type, string reason, AlertPlan plan, string message)
    {
        _log.Info("{0}: {1}", reason, message);
        _events.Publish(type, reason, plan.Workload is null ? "Alert" : "Workload", plan.Workload ?? "alertmanager", null, message,
            plan.Replica is null ? null : new Dictionary<string, string> { ["replica"] = plan.Replica });
    }
}
