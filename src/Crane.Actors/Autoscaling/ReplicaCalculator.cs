using System.Globalization;
using Crane.Contracts.Specs;

namespace Crane.Actors.Autoscaling;

/// <summary>What a metric measures: cpu and memory as utilization of the request, custom as a per-replica average value.</summary>
public enum MetricKind { Cpu, Memory, Custom }

/// <summary>One metric to scale on: Target is a percent of Request for cpu/memory (usage in Request's unit), an average value per replica for custom.</summary>
public sealed record MetricTarget(MetricKind Kind, double Target, double Request = 0, string? Name = null)
{
    /// <summary>The name used in explanations: Name, else cpu, memory or custom.</summary>
    public string Label => Name ?? Kind.ToString().ToLowerInvariant();

    internal bool IsUtilization => Kind != MetricKind.Custom;

    /// <summary>The metric an autoscaling spec asks for, against the workload's requests (cpu in cores, memory in bytes).</summary>
    public static MetricTarget From(AutoscalingSpec spec, ResourceSpec resources) => spec.Metric switch
    {
        "cpu" => new(MetricKind.Cpu, spec.Target, resources.Cpu),
        "memory" => new(MetricKind.Memory, spec.Target, resources.Memory),
        "custom" => new(MetricKind.Custom, spec.Target),
        _ => throw new ArgumentException($"unknown autoscaling metric '{spec.Metric}'", nameof(spec)),
    };
}

/// <summary>One replica as the autoscaler sees it: Value is its usage (cpu cores, memory bytes) or custom value, null when there was none.</summary>
public sealed record ReplicaSample(string Replica, bool Ready, DateTimeOffset StartedAt, double? Value, DateTimeOffset? ReadySince = null);

/// <summary>The calculator's knobs, as the HPA controller's flags: tolerance, cpu initialization period and the metric's averaging window.</summary>
public sealed record ReplicaCalculatorSettings
{
    public static readonly ReplicaCalculatorSettings Default = new();

    /// <summary>No change while |1 − usage ratio| ≤ Tolerance.</summary>
    public double Tolerance { get; init; } = 0.1;

    /// <summary>For cpu, a replica started less than this ago is still initializing until it has been ready for a whole MetricWindow.</summary>
    public TimeSpan CpuInitializationPeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The range usage is averaged over (the PromQL rate window): a sample taken sooner after readiness still holds start-up cost.</summary>
    public TimeSpan MetricWindow { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>What one metric asks for and the numbers behind it; when Available is false, Desired is the current count and nothing should scale on it.</summary>
public sealed record ReplicaProposal(
    string Metric,
    int Desired,
    bool Available,
    double? Observed,
    double Target,
    int Ready,
    int Unready,
    int Missing,
    string Explanation);

/// <summary>The HPA replica math (Kubernetes' replica_calculator.go): desired replicas for one metric from per-replica samples, and the largest over several.</summary>
public static class ReplicaCalculator
{
    // Usage arrives as doubles, not Kubernetes' integer milli-units: absorb rounding noise at ceil and at the tolerance edge.
    private const double Epsilon = 1e-9;

    /// <summary>
    /// Desired replicas for one metric. Observed is the average utilization in percent of the request (cpu, memory) or the
    /// average value (custom) over ready replicas that have a value. Not-ready replicas (and, for cpu, replicas still
    /// initializing) count as 0 on a scale-up and are left out of a scale-down; replicas without a value count as 0 on a
    /// scale-up and as max(100 %, target) of the request (custom: the target) on a scale-down. The count stays when the
    /// ratio is within tolerance or when those assumptions would reverse the direction.
    /// </summary>
    public static ReplicaProposal Desired(int current, IReadOnlyList<ReplicaSample> samples, MetricTarget metric, DateTimeOffset now, ReplicaCalculatorSettings? settings = null)
    {
        settings ??= ReplicaCalculatorSettings.Default;
        if (!(metric.Target > 0))
            throw new ArgumentOutOfRangeException(nameof(metric), metric.Target, "the target must be positive");

        var label = metric.Label;
        var unit = metric.IsUtilization ? "%" : "";
        var ready = new List<double>();
        int unready = 0, missing = 0;
        foreach (var s in samples)
        {
            if (!s.Ready)
                unready++;
            else if (s.Value is not { } v || !double.IsFinite(v))
                missing++;
            else if (metric.Kind == MetricKind.Cpu && Initializing(s, now, settings))
                unready++;
            else
                ready.Add(v);
        }

        ReplicaProposal Result(int desired, double? observed, string explanation, bool available = true) =>
            new(label, desired, available, observed, metric.Target, ready.Count, unready, missing, explanation);

        if (metric.IsUtilization && !(metric.Request > 0))
            return Result(current, null, $"{label}: no {label} request to measure utilization against", available: false);
        if (ready.Count == 0)
            return Result(current, null, $"{label}: no metrics from ready replicas ({Counts(samples.Count, unready, missing)})", available: false);

        double Level(double sum, int count) => metric.IsUtilization ? sum / count / metric.Request * 100 : sum / count;
        bool Within(double r) => Math.Abs(1 - r) <= settings.Tolerance + Epsilon;
        var tolerance = $"within {Num(settings.Tolerance * 100)}% tolerance, keeping {current}";

        var sum = ready.Sum();
        var observed = Level(sum, ready.Count);
        var ratio = observed / metric.Target;
        var head = $"{label} {Num(observed)}{unit} of {Num(metric.Target)}{unit} target over {Replicas(ready.Count, "ready ")}";

        var scaleUpWithUnready = unready > 0 && ratio > 1;
        if (!scaleUpWithUnready && missing == 0)
        {
            if (unready > 0)
                head += $", {unready} not ready ignored";
            if (Within(ratio))
                return Result(current, observed, $"{head}: {tolerance}");
            var plain = CeilCount(ratio * ready.Count);
            return Result(plain, observed, $"{head}: ceil({Num(ratio)} × {ready.Count}) = {plain}");
        }

        var assumedSum = sum;
        var considered = ready.Count;
        var assumptions = new List<string>();
        if (missing > 0 && ratio < 1)
        {
            var fill = metric.IsUtilization ? metric.Request * Math.Max(100, metric.Target) / 100 : metric.Target;
            var fillText = metric.IsUtilization ? $"{Num(Math.Max(100, metric.Target))}%" : Num(metric.Target);
            assumedSum += missing * fill;
            considered += missing;
            assumptions.Add($"{missing} missing counted as {fillText}");
        }
        else if (missing > 0 && ratio > 1)
        {
            considered += missing;
            assumptions.Add($"{missing} missing counted as 0{unit}");
        }
        if (scaleUpWithUnready)
        {
            considered += unready;
            assumptions.Add($"{unready} not ready counted as 0{unit}");
        }
        else if (unready > 0)
        {
            assumptions.Add($"{unready} not ready ignored");
        }

        var newLevel = Level(assumedSum, considered);
        var newRatio = newLevel / metric.Target;
        var text = $"{head}; {string.Join(", ", assumptions)} → {Num(newLevel)}{unit} over {Replicas(considered)}";

        if (Within(newRatio))
            return Result(current, observed, $"{text}: {tolerance}");
        if ((ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
            return Result(current, observed, $"{text}: that reverses the direction, keeping {current}");

        var desired = CeilCount(newRatio * considered);
        var arithmetic = $"ceil({Num(newRatio)} × {considered}) = {desired}";
        if ((newRatio < 1 && desired > current) || (newRatio > 1 && desired < current))
            return Result(current, observed, $"{text}: {arithmetic} goes the other way, keeping {current}");
        return Result(desired, observed, $"{text}: {arithmetic}");
    }

    /// <summary>
    /// Several metrics as the HPA combines them: the largest available proposal wins; if none is available, or one is
    /// unavailable and the winner would scale down, the result is unavailable at the current count.
    /// </summary>
    public static ReplicaProposal Largest(int current, IReadOnlyList<ReplicaProposal> proposals)
    {
        if (proposals.Count == 0)
            throw new ArgumentException("at least one proposal is needed", nameof(proposals));

        ReplicaProposal? best = null;
        foreach (var p in proposals)
        {
            if (p.Available && (best is null || p.Desired > best.Desired))
                best = p;
        }

        var unavailable = proposals.Where(p => !p.Available).ToList();
        var unavailableText = string.Join("; ", unavailable.Select(p => p.Explanation));
        if (best is null)
            return unavailable[0] with { Desired = current, Explanation = unavailableText };
        if (unavailable.Count == 0)
            return best;
        if (best.Desired < current)
            return unavailable[0] with { Desired = current, Explanation = $"{unavailableText}; not scaling down to {best.Desired} on {best.Metric} while a metric is unavailable" };
        return best with { Explanation = $"{best.Explanation}; {unavailableText}" };
    }

    // Kubernetes: inside the initialization period a cpu sample counts only once a whole window was measured after readiness.
    private static bool Initializing(ReplicaSample s, DateTimeOffset now, ReplicaCalculatorSettings settings) =>
        now < s.StartedAt + settings.CpuInitializationPeriod &&
        now < (s.ReadySince ?? s.StartedAt) + settings.MetricWindow;

    private static int CeilCount(double x) =>
        x >= int.MaxValue ? int.MaxValue : Math.Max(0, (int)Math.Ceiling(x - Epsilon));

    private static string Counts(int total, int unready, int missing) =>
        $"{Replicas(total)}: {unready} not ready or initializing, {missing} missing";

    private static string Replicas(int n, string adjective = "") => n == 1 ? $"1 {adjective}replica" : $"{n} {adjective}replicas";

    internal static string Num(double x) =>
        x.ToString(Math.Abs(x) >= 100 ? "0.#" : "0.###", CultureInfo.InvariantCulture);
}
