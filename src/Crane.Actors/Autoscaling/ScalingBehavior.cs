using System.Globalization;
using Crane.Contracts.Specs;

namespace Crane.Actors.Autoscaling;

/// <summary>How several rate policies combine: Max allows the biggest change (default), Min the smallest, Disabled none.</summary>
public enum SelectPolicy { Max, Min, Disabled }

/// <summary>A rate policy's unit: replicas, or percent of the replicas at the start of the period.</summary>
public enum RatePolicyType { Pods, Percent }

/// <summary>What held a decision back from the stabilized recommendation (the ScalingLimited condition).</summary>
public enum ScalingLimit { None, Max, Min, ScaleUpRate, ScaleDownRate }

/// <summary>At most Value replicas (or percent) added or removed per Period, as an HPA scaling policy.</summary>
public sealed record RatePolicy(RatePolicyType Type, int Value, TimeSpan Period);

/// <summary>One direction's rules with defaults applied: stabilization window, policy selection and rate policies (none: no rate limit).</summary>
public sealed record ScalingRules(TimeSpan StabilizationWindow, SelectPolicy Select, IReadOnlyList<RatePolicy> Policies)
{
    public TimeSpan LongestPeriod => Policies.Count == 0 ? TimeSpan.Zero : Policies.Max(p => p.Period);

    /// <summary>The rules a spec asks for, each field it leaves out taken from <paramref name="defaults"/> (as Kubernetes defaults them).</summary>
    public static ScalingRules From(ScalingRulesSpec? spec, ScalingRules defaults) => spec is null ? defaults : new(
        spec.StabilizationWindowSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.StabilizationWindow,
        spec.SelectPolicy is { } select ? ParseSelect(select) : SelectPolicy.Max,
        spec.Policies.Count > 0 ? spec.Policies.Select(ToPolicy).ToList() : defaults.Policies);

    internal string Describe() => Select == SelectPolicy.Disabled
        ? "selectPolicy Disabled"
        : $"{string.Join(", ", Policies.Select(Describe))}; select {Select}";

    private static string Describe(RatePolicy p) =>
        $"{p.Value}{(p.Type == RatePolicyType.Pods ? " pods" : "%")} per {ReplicaCalculator.Num(p.Period.TotalSeconds)} s";

    private static SelectPolicy ParseSelect(string value) => value switch
    {
        "Max" => SelectPolicy.Max,
        "Min" => SelectPolicy.Min,
        "Disabled" => SelectPolicy.Disabled,
        _ => throw new ArgumentException($"unknown selectPolicy '{value}'", nameof(value)),
    };

    private static RatePolicy ToPolicy(ScalingPolicySpec p) => new(
        p.Type switch
        {
            "Pods" => RatePolicyType.Pods,
            "Percent" => RatePolicyType.Percent,
            _ => throw new ArgumentException($"unknown scaling policy type '{p.Type}'", nameof(p)),
        },
        p.Value,
        TimeSpan.FromSeconds(p.PeriodSeconds));
}

/// <summary>A status condition as the HPA reports it: type, whether it holds, a CamelCase reason and a message.</summary>
public sealed record AutoscalerCondition(string Type, bool Status, string Reason, string Message);

/// <summary>One autoscaler step's outcome: the replicas to run, the history to keep for the next step, and why.</summary>
public sealed record ScalingDecision(
    int Current,
    int Desired,
    int? Recommendation,
    int Stabilized,
    ScalingLimit LimitedBy,
    ScalingHistory History,
    string Explanation)
{
    /// <summary>History with this step's recommendation but not its scale: for a caller that records the scale only once it happened.</summary>
    public ScalingHistory HistoryBeforeScale { get; init; } = History;

    /// <summary>AbleToScale: whether stabilization held the recommendation back (False only when scaling is disabled at zero replicas).</summary>
    public AutoscalerCondition AbleToScale => Current == 0
        ? new("AbleToScale", false, "ScalingDisabled", "scaling is disabled since the replica count is zero")
        : Recommendation is { } r && r != Stabilized
            ? r >= Current
                ? new("AbleToScale", true, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
                : new("AbleToScale", true, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
            : new("AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");

    /// <summary>ScalingLimited: whether min/max or a rate policy held the count back, with the Kubernetes reason.</summary>
    public AutoscalerCondition ScalingLimited => LimitedBy switch
    {
        ScalingLimit.Max => new("ScalingLimited", true, "TooManyReplicas", "the desired replica count is more than the maximum replica count"),
        ScalingLimit.Min => new("ScalingLimited", true, "TooFewReplicas", "the desired replica count is less than the minimum replica count"),
        ScalingLimit.ScaleUpRate => new("ScalingLimited", true, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"),
        ScalingLimit.ScaleDownRate => new("ScalingLimited", true, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"),
        _ => new("ScalingLimited", false, "DesiredWithinRange", "the desired count is within the acceptable range"),
    };
}

/// <summary>The HPA's bounds and behavior after the replica math (Kubernetes' horizontal.go): stabilization windows, rate policies, min/max.</summary>
public sealed record ScalingBehavior(int Min, int Max, ScalingRules ScaleUp, ScalingRules ScaleDown)
{
    /// <summary>Kubernetes' scale-up default: no window; add max(4 pods, 100 %) per 15 s.</summary>
    public static readonly ScalingRules DefaultScaleUp = new(TimeSpan.Zero, SelectPolicy.Max,
        [new(RatePolicyType.Pods, 4, TimeSpan.FromSeconds(15)), new(RatePolicyType.Percent, 100, TimeSpan.FromSeconds(15))]);

    /// <summary>Kubernetes' scale-down default: 300 s window; remove up to 100 % per 15 s.</summary>
    public static readonly ScalingRules DefaultScaleDown = new(TimeSpan.FromSeconds(300), SelectPolicy.Max,
        [new(RatePolicyType.Percent, 100, TimeSpan.FromSeconds(15))]);

    /// <summary>Bounds and behavior of an autoscaling spec, Kubernetes' defaults where it is silent.</summary>
    public static ScalingBehavior From(AutoscalingSpec spec) => new(
        spec.Min,
        spec.Max,
        ScalingRules.From(spec.Behavior?.ScaleUp, DefaultScaleUp),
        ScalingRules.From(spec.Behavior?.ScaleDown, DefaultScaleDown));

    /// <summary>
    /// The replicas to run now, given the combined recommendation (null when metrics were unavailable: only min/max
    /// apply). Stabilizes against the recommendations in the windows (scale-up: lowest, scale-down: highest), then limits
    /// by the rate policies and min/max. The returned history records the recommendation and, when the count changes,
    /// the scale event: keep it for the next step.
    /// </summary>
    public ScalingDecision Next(ScalingHistory history, int current, int? recommendation, DateTimeOffset now)
    {
        var pruned = history.Prune(
            now,
            Longest(ScaleUp.StabilizationWindow, ScaleDown.StabilizationWindow),
            Longest(ScaleUp.LongestPeriod, ScaleDown.LongestPeriod));

        // As Kubernetes: bounds first and without the metrics; zero replicas means the user switched scaling off.
        if (current == 0)
            return new(0, 0, recommendation, 0, ScalingLimit.None, pruned, "scaling is disabled while the replica count is 0");
        if (current > Max)
            return new(current, Max, recommendation, current, ScalingLimit.Max, pruned.RecordScale(current, Max, now), $"current {current} is above max {Max}") { HistoryBeforeScale = pruned };
        if (current < Min)
            return new(current, Min, recommendation, current, ScalingLimit.Min, pruned.RecordScale(current, Min, now), $"current {current} is below min {Min}") { HistoryBeforeScale = pruned };
        if (recommendation is not { } rec)
            return new(current, current, null, current, ScalingLimit.None, pruned, $"no recommendation, keeping {current}");

        var lowestUp = rec;
        var highestDown = rec;
        foreach (var r in pruned.Recommendations)
        {
            if (r.At > now - ScaleUp.StabilizationWindow)
                lowestUp = Math.Min(lowestUp, r.Replicas);
            if (r.At > now - ScaleDown.StabilizationWindow)
                highestDown = Math.Max(highestDown, r.Replicas);
        }
        var stabilized = Math.Min(Math.Max(current, lowestUp), highestDown);
        var recorded = pruned.Record(rec, now);

        var desired = stabilized;
        var limit = ScalingLimit.None;
        if (stabilized > current)
        {
            var rateLimit = Math.Max(current, UpLimit(current, recorded, now));
            if (Max > rateLimit)
                (desired, limit) = stabilized > rateLimit ? (rateLimit, ScalingLimit.ScaleUpRate) : (stabilized, ScalingLimit.None);
            else if (stabilized > Max)
                (desired, limit) = (Max, ScalingLimit.Max);
        }
        else if (stabilized < current)
        {
            var rateLimit = Math.Min(current, DownLimit(current, recorded, now));
            if (Min < rateLimit)
                (desired, limit) = stabilized < rateLimit ? (rateLimit, ScalingLimit.ScaleDownRate) : (stabilized, ScalingLimit.None);
            else if (stabilized < Min)
                (desired, limit) = (Min, ScalingLimit.Min);
        }

        return new(current, desired, rec, stabilized, limit, recorded.RecordScale(current, desired, now), Explain(current, rec, stabilized, desired, limit))
        {
            HistoryBeforeScale = recorded,
        };
    }

    // Kubernetes' calculateScaleUpLimitWithScalingRules, in integers: percent rounds up so a small target still grows.
    private int UpLimit(int current, ScalingHistory history, DateTimeOffset now)
    {
        if (ScaleUp.Select == SelectPolicy.Disabled)
            return current;
        long? result = null;
        foreach (var p in ScaleUp.Policies)
        {
            long start = PeriodStart(current, history, now - p.Period);
            var proposed = p.Type == RatePolicyType.Pods ? start + p.Value : CeilDiv(start * (100L + p.Value), 100);
            result = result is not { } r ? proposed : ScaleUp.Select == SelectPolicy.Min ? Math.Min(r, proposed) : Math.Max(r, proposed);
        }
        return result is { } limit ? (int)Math.Clamp(limit, int.MinValue, int.MaxValue) : int.MaxValue;
    }

    // Kubernetes' calculateScaleDownLimitWithBehaviors: percent truncates, so at least one replica can go.
    private int DownLimit(int current, ScalingHistory history, DateTimeOffset now)
    {
        if (ScaleDown.Select == SelectPolicy.Disabled)
            return current;
        long? result = null;
        foreach (var p in ScaleDown.Policies)
        {
            long start = PeriodStart(current, history, now - p.Period);
            var proposed = p.Type == RatePolicyType.Pods ? start - p.Value : start * (100L - p.Value) / 100;
            result = result is not { } r ? proposed : ScaleDown.Select == SelectPolicy.Min ? Math.Max(r, proposed) : Math.Min(r, proposed);
        }
        return result is { } limit ? (int)Math.Clamp(limit, int.MinValue, int.MaxValue) : int.MinValue;
    }

    private static int PeriodStart(int current, ScalingHistory history, DateTimeOffset periodStart) =>
        current - history.AddedAfter(periodStart) + history.RemovedAfter(periodStart);

    private string Explain(int current, int rec, int stabilized, int desired, ScalingLimit limit)
    {
        var text = $"recommended {rec}";
        if (stabilized != rec)
        {
            var (rules, direction, which) = rec >= current ? (ScaleUp, "up", "lowest") : (ScaleDown, "down", "highest");
            text += $", held at {stabilized} by the {ReplicaCalculator.Num(rules.StabilizationWindow.TotalSeconds)} s scale-{direction} stabilization window ({which} recent recommendation)";
        }
        return limit switch
        {
            ScalingLimit.Max => $"{text}, limited to {desired} by max",
            ScalingLimit.Min => $"{text}, limited to {desired} by min",
            ScalingLimit.ScaleUpRate => $"{text}, limited to {desired} by the scale-up rate ({ScaleUp.Describe()})",
            ScalingLimit.ScaleDownRate => $"{text}, limited to {desired} by the scale-down rate ({ScaleDown.Describe()})",
            _ => text,
        };
    }

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : a / b;

    private static TimeSpan Longest(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
