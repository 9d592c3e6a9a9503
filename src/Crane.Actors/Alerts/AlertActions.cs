using System.Collections.Immutable;
using System.Globalization;

namespace Crane.Actors.Alerts;

/// <summary>What Crane does about one alert.</summary>
public enum AlertAction { Restart, Reschedule, ScaleUp, ScaleDown, None }

/// <summary>
/// The action one alert asks for and its target. Restart and Reschedule name a workload and a replica, ScaleUp and
/// ScaleDown a workload only; None carries whatever workload and replica labels the alert had, for events and logs.
/// Reason explains the choice in one line.
/// </summary>
public sealed record AlertPlan(AlertAction Action, string? Workload, string? Replica, string Reason);

/// <summary>
/// The action an alert asks for, from its labels: a pure function of the alert.
/// </summary>
/// <remarks>
/// Decisions:
/// <list type="bullet">
/// <item>Label crane_action (restart, reschedule, scale_up, scale_down, none; exact, lowercase) wins over the
/// alertname's default; an unknown value does nothing rather than fall back to the default, since the rule's author
/// asked for something specific.</item>
/// <item>Defaults: InstanceDown and ContainerMemoryNearLimit restart the replica; HighLatency and
/// ContainerCpuSaturated scale up; CrashLooping (restarting does not fix a crash loop, the restart policy's back-off
/// handles it), ReplicasUnavailable (the workload actor already reconciles the count) and every other alertname do
/// nothing.</item>
/// <item>As in Prometheus, a label with an empty (or blank) value is the same as no label.</item>
/// <item>Scaling acts on the workload: a replica label on a scaling alert is not part of the target.</item>
/// </list>
/// </remarks>
public static class AlertActions
{
    public const string ActionLabel = "crane_action";
    public const string WorkloadLabel = "workload";
    public const string ReplicaLabel = "replica";

    private static readonly IReadOnlyDictionary<string, AlertAction> Defaults = new Dictionary<string, AlertAction>(StringComparer.Ordinal)
    {
        ["InstanceDown"] = AlertAction.Restart,
        ["HighLatency"] = AlertAction.ScaleUp,
        ["ContainerCpuSaturated"] = AlertAction.ScaleUp,
        ["ContainerMemoryNearLimit"] = AlertAction.Restart,
        ["CrashLooping"] = AlertAction.None,
        ["ReplicasUnavailable"] = AlertAction.None,
    };

    /// <summary>The crane_action spelling of an action: restart, reschedule, scale_up, scale_down or none.</summary>
    public static string LabelOf(AlertAction action) => action switch
    {
        AlertAction.Restart => "restart",
        AlertAction.Reschedule => "reschedule",
        AlertAction.ScaleUp => "scale_up",
        AlertAction.ScaleDown => "scale_down",
        AlertAction.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>The action for a crane_action value, or false when the value is not one of the five spellings.</summary>
    public static bool TryParseAction(string text, out AlertAction action)
    {
        foreach (var candidate in Enum.GetValues<AlertAction>())
        {
            if (LabelOf(candidate) == text)
            {
                action = candidate;
                return true;
            }
        }
        action = AlertAction.None;
        return false;
    }

    /// <summary>What to do about the alert: resolved alerts and alerts missing their target labels do nothing.</summary>
    public static AlertPlan Plan(Alert alert)
    {
        var name = alert.Name;
        var workload = Label(alert, WorkloadLabel);
        var replica = Label(alert, ReplicaLabel);

        if (!alert.Firing)
            return new(AlertAction.None, workload, replica, $"{name} resolved: resolved alerts do not act");

        AlertAction action;
        string source;
        if (Label(alert, ActionLabel) is { } requested)
        {
            if (!TryParseAction(requested, out action))
                return new(AlertAction.None, workload, replica,
                    $"{name}: unknown {ActionLabel} \"{requested}\" (expected restart, reschedule, scale_up, scale_down or none), doing nothing");
            source = $"label {ActionLabel}";
        }
        else if (Defaults.TryGetValue(name, out action))
        {
            source = $"default for {name}";
        }
        else
        {
            action = AlertAction.None;
            source = $"no default for {name}; set label {ActionLabel} to act";
        }

        var head = $"{name} → {LabelOf(action)} ({source})";
        switch (action)
        {
            case AlertAction.Restart or AlertAction.Reschedule:
                if (workload is null || replica is null)
                {
                    var missing = workload is null && replica is null ? "both are" : workload is null ? "workload is" : "replica is";
                    return new(AlertAction.None, workload, replica,
                        $"{head}, but {LabelOf(action)} needs labels {WorkloadLabel} and {ReplicaLabel}; {missing} missing");
                }
                return new(action, workload, replica, head);
            case AlertAction.ScaleUp or AlertAction.ScaleDown:
                if (workload is null)
                    return new(AlertAction.None, workload, replica, $"{head}, but {LabelOf(action)} needs label {WorkloadLabel}");
                return new(action, workload, null, head);
            default:
                return new(AlertAction.None, workload, replica, head);
        }
    }

    private static string? Label(Alert alert, string name) =>
        alert.Labels.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}

/// <summary>What the ledger says about one alert.</summary>
public enum AlertVerdict
{
    /// <summary>Carry out the plan: the ledger now remembers the incident and the action on its workload.</summary>
    Act,

    /// <summary>This incident (fingerprint and startsAt) was already decided: acted on, or found to need no action.</summary>
    Duplicate,

    /// <summary>The workload was acted on less than an interval ago; the incident is not remembered, so a later delivery may act.</summary>
    RateLimited,

    /// <summary>The plan does nothing (including every resolved alert).</summary>
    NoAction,
}

/// <summary>
/// The verdict on one alert, why, and the ledger to keep for the next alert. For RateLimited, NotBefore is when the
/// workload may be acted on again.
/// </summary>
public sealed record AlertDecision(AlertVerdict Verdict, string Reason, AlertLedger Next)
{
    public DateTimeOffset? NotBefore { get; init; }
}

/// <summary>
/// Immutable memory of the alerts Crane has handled, for idempotency (an incident is acted on at most once) and rate
/// limiting (at most one action per workload per interval). Each <see cref="Decide(AlertPlan, Alert, DateTimeOffset, TimeSpan)"/>
/// returns the next ledger; nothing reads a clock.
/// </summary>
/// <remarks>
/// Decisions:
/// <list type="bullet">
/// <item>An incident is fingerprint + startsAt. Alertmanager re-sends a firing group every repeat_interval, may deliver a
/// notification twice, and sends the same fingerprint with a new startsAt when the alert fires again after resolving:
/// that is a new incident.</item>
/// <item>A firing alert whose plan is None is remembered too, as decided: its re-sends are Duplicates, so the caller
/// reports "no action" once per incident rather than every repeat_interval. Resolved alerts are never remembered and
/// are always NoAction; they do not make the ledger forget the incident, so a late re-delivery of the firing
/// notification does not act again.</item>
/// <item>Order: resolved, duplicate, no action, rate limit, act. A duplicate is reported as such even when the workload
/// is also rate-limited.</item>
/// <item>Rate limit: at most one action per workload per interval (default 30 s), whatever the action and alertname,
/// counted from the last Act. An alert refused for the rate limit is not remembered: when Alertmanager delivers it
/// again after the interval (next group_interval if the group changed, else repeat_interval) and it still fires, it
/// acts. A storm of alerts for one workload thus causes one action per interval, and nothing that still fires is lost;
/// nothing is queued either, since by the next delivery the first action may have fixed it (and resolved alerts do not
/// act). A caller that wants an earlier second look can re-submit the alert at <see cref="AlertDecision.NotBefore"/>.
/// The interval is the caller's per call; zero disables the limit. An action time in the future of now (a clock that
/// went back) limits until that time plus the interval.</item>
/// <item>Bounds: an incident is forgotten once it has not been delivered for the retention (default 24 h; each
/// Duplicate refreshes it, so an alert re-sent every repeat_interval &lt; retention stays remembered however long it
/// fires), and the least recently delivered are forgotten beyond the capacity (default 10,000). A forgotten incident
/// delivered again counts as new (still subject to the rate limit). Workload action times are kept for the longer of
/// retention and interval, also up to the capacity.</item>
/// </list>
/// </remarks>
public sealed class AlertLedger
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(24);
    public const int DefaultCapacity = 10_000;

    /// <summary>An empty ledger with the default retention (24 h) and capacity (10,000).</summary>
    public static readonly AlertLedger Empty = new(DefaultRetention, DefaultCapacity, RecencyMap<Incident, Decided>.Empty, RecencyMap<string, Acted>.Empty);

    private readonly RecencyMap<Incident, Decided> _incidents;
    private readonly RecencyMap<string, Acted> _workloads;

    private AlertLedger(TimeSpan retention, int capacity, RecencyMap<Incident, Decided> incidents, RecencyMap<string, Acted> workloads)
    {
        Retention = retention;
        Capacity = capacity;
        _incidents = incidents;
        _workloads = workloads;
    }

    /// <summary>An empty ledger that forgets incidents not delivered for retention, and keeps at most capacity of them.</summary>
    public static AlertLedger Create(TimeSpan retention, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return new(retention, capacity, RecencyMap<Incident, Decided>.Empty, RecencyMap<string, Acted>.Empty);
    }

    public TimeSpan Retention { get; }

    public int Capacity { get; }

    /// <summary>How many incidents are remembered.</summary>
    public int Incidents => _incidents.Count;

    /// <summary>How many workloads have a remembered action.</summary>
    public int Workloads => _workloads.Count;

    /// <summary>Whether the incident (fingerprint and startsAt) is remembered as decided.</summary>
    public bool Remembers(string fingerprint, DateTimeOffset startsAt) => _incidents.TryGet(new(fingerprint, startsAt.UtcTicks), out _);

    /// <summary>When the workload was last acted on, if remembered.</summary>
    public DateTimeOffset? LastActionOn(string workload) => _workloads.TryGet(workload, out var acted) ? acted.At : null;

    /// <summary>Decide with the default interval of 30 s.</summary>
    public AlertDecision Decide(AlertPlan plan, Alert alert, DateTimeOffset now) => Decide(plan, alert, now, DefaultInterval);

    /// <summary>
    /// Whether to carry out plan (made from alert by <see cref="AlertActions.Plan"/>) at now, and the ledger that
    /// remembers the outcome. Entries past the retention or capacity are forgotten first.
    /// </summary>
    public AlertDecision Decide(AlertPlan plan, Alert alert, DateTimeOffset now, TimeSpan perWorkloadInterval)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentOutOfRangeException.ThrowIfLessThan(perWorkloadInterval, TimeSpan.Zero);
        if (plan.Action != AlertAction.None && plan.Workload is null)
            throw new ArgumentException($"a plan to {AlertActions.LabelOf(plan.Action)} must name its workload", nameof(plan));

        var workloadKeep = perWorkloadInterval > Retention ? perWorkloadInterval : Retention;
        var ledger = Trimmed(now, workloadKeep);
        var decision = ledger.DecideTrimmed(plan, alert, now, perWorkloadInterval);
        return decision with { Next = decision.Next.Trimmed(now, workloadKeep) };
    }

    // An incident that acted is forgotten only by age: a flood of other alerts must not make it act a second time.
    private AlertLedger Trimmed(DateTimeOffset now, TimeSpan workloadKeep) =>
        With(_incidents.Trim(now - Retention, Capacity, keep: d => d.Acted), _workloads.Trim(now - workloadKeep, Capacity));

    private AlertDecision DecideTrimmed(AlertPlan plan, Alert alert, DateTimeOffset now, TimeSpan perWorkloadInterval)
    {
        if (!alert.Firing)
            return new(AlertVerdict.NoAction, plan.Action == AlertAction.None ? plan.Reason : $"{alert.Name} resolved: resolved alerts do not act", this);

        var key = new Incident(alert.Fingerprint, alert.StartsAt.UtcTicks);
        var incident = $"{alert.Name} {alert.Fingerprint} (startsAt {Rfc3339.Format(alert.StartsAt)})";
        if (_incidents.TryGet(key, out var decided))
        {
            var earlier = decided.Acted
                ? $"already acted on at {Rfc3339.Format(decided.At)}: {Describe(decided.Plan)}"
                : $"already decided at {Rfc3339.Format(decided.At)}: no action ({decided.Plan.Reason})";
            return new(AlertVerdict.Duplicate, $"{incident} was {earlier}", With(_incidents.Touch(key, decided, now), _workloads));
        }

        if (plan.Action == AlertAction.None)
            return new(AlertVerdict.NoAction, plan.Reason, With(_incidents.Touch(key, new(false, plan, now), now), _workloads));

        var workload = plan.Workload!;
        if (_workloads.TryGet(workload, out var last) && now - last.At < perWorkloadInterval)
        {
            var notBefore = last.At + perWorkloadInterval;
            return new(AlertVerdict.RateLimited,
                $"{incident}: {workload} was acted on at {Rfc3339.Format(last.At)} ({Describe(last.Plan)} for {last.AlertName}); " +
                $"at most one action per {Seconds(perWorkloadInterval)} per workload, next from {Rfc3339.Format(notBefore)}",
                this)
            { NotBefore = notBefore };
        }

        return new(AlertVerdict.Act, $"{plan.Reason}: {Describe(plan)}",
            With(_incidents.Touch(key, new(true, plan, now), now), _workloads.Touch(workload, new(plan, alert.Name, now), now)));
    }

    private AlertLedger With(RecencyMap<Incident, Decided> incidents, RecencyMap<string, Acted> workloads) =>
        ReferenceEquals(incidents, _incidents) && ReferenceEquals(workloads, _workloads) ? this : new(Retention, Capacity, incidents, workloads);

    private static string Describe(AlertPlan plan) =>
        plan.Replica is null || plan.Action is AlertAction.ScaleUp or AlertAction.ScaleDown
            ? $"{AlertActions.LabelOf(plan.Action)} {plan.Workload}"
            : $"{AlertActions.LabelOf(plan.Action)} {plan.Workload}/{plan.Replica}";

    private static string Seconds(TimeSpan interval) =>
        interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private readonly record struct Incident(string Fingerprint, long StartsAtUtcTicks);

    private sealed record Decided(bool Acted, AlertPlan Plan, DateTimeOffset At);

    private sealed record Acted(AlertPlan Plan, string AlertName, DateTimeOffset At);
}

/// <summary>
/// An immutable map that remembers when each key was last touched and forgets the least recently touched first:
/// past a cut-off time, or beyond a capacity.
/// </summary>
internal sealed class RecencyMap<TKey, TValue> where TKey : notnull
{
    public static readonly RecencyMap<TKey, TValue> Empty =
        new(ImmutableDictionary<TKey, Slot>.Empty, ImmutableSortedDictionary<long, TKey>.Empty, 0);

    private readonly ImmutableDictionary<TKey, Slot> _slots;
    private readonly ImmutableSortedDictionary<long, TKey> _byTouch;
    private readonly long _nextTouch;

    private RecencyMap(ImmutableDictionary<TKey, Slot> slots, ImmutableSortedDictionary<long, TKey> byTouch, long nextTouch)
    {
        _slots = slots;
        _byTouch = byTouch;
        _nextTouch = nextTouch;
    }

    public int Count => _slots.Count;

    public bool TryGet(TKey key, out TValue value)
    {
        if (_slots.TryGetValue(key, out var slot))
        {
            value = slot.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Sets the value and makes the key the most recently touched, at the given time.</summary>
    public RecencyMap<TKey, TValue> Touch(TKey key, TValue value, DateTimeOffset at)
    {
        var byTouch = _slots.TryGetValue(key, out var old) ? _byTouch.Remove(old.Order) : _byTouch;
        return new(_slots.SetItem(key, new Slot(value, at, _nextTouch)), byTouch.Add(_nextTouch, key), _nextTouch + 1);
    }

    /// <summary>
    /// Forgets, least recently touched first, entries touched before the cut-off, then entries beyond the capacity
    /// except those <paramref name="keep"/> protects (they go by age only).
    /// </summary>
    public RecencyMap<TKey, TValue> Trim(DateTimeOffset forgetBefore, int capacity, Func<TValue, bool>? keep = null)
    {
        var slots = _slots;
        var byTouch = _byTouch;
        while (!byTouch.IsEmpty && slots[byTouch.First().Value].At < forgetBefore)
        {
            var oldest = byTouch.First();
            slots = slots.Remove(oldest.Value);
            byTouch = byTouch.Remove(oldest.Key);
        }

        if (slots.Count > capacity)
        {
            foreach (var (order, key) in byTouch)
            {
                if (slots.Count <= capacity)
                    break;
                if (keep?.Invoke(slots[key].Value) == true)
                    continue;
                slots = slots.Remove(key);
                byTouch = byTouch.Remove(order);
            }
        }

        return ReferenceEquals(slots, _slots) ? this : new(slots, byTouch, _nextTouch);
    }

    private readonly record struct Slot(TValue Value, DateTimeOffset At, long Order);
}
