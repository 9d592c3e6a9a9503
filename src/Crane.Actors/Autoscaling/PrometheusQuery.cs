using System.Globalization;
using System.Text;
using Crane.Actors.Monitoring;
using Crane.Contracts.Specs;

namespace Crane.Actors.Autoscaling;

/// <summary>The PromQL each autoscaling metric runs: one series per replica of a workload, labelled replica.</summary>
public static class MetricQueries
{
    public const string WorkloadLabel = "workload";
    public const string ReplicaLabel = "replica";

    /// <summary>Cpu cores per replica, averaged over window.</summary>
    public static string Cpu(string workload, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be positive");
        return $"sum by ({ReplicaLabel}) (rate(crane_container_cpu_seconds_total{{{WorkloadLabel}={Quote(workload)}}}[{PrometheusConfig.Duration(window)}]))";
    }

    /// <summary>Working-set bytes per replica.</summary>
    public static string Memory(string workload) =>
        $"max by ({ReplicaLabel}) (crane_container_memory_working_set_bytes{{{WorkloadLabel}={Quote(workload)}}})";

    /// <summary>The query for one metric: cpu over window, memory, or customQuery as the user wrote it.</summary>
    public static string For(MetricKind kind, string workload, TimeSpan window, string? customQuery = null) => kind switch
    {
        MetricKind.Cpu => Cpu(workload, window),
        MetricKind.Memory => Memory(workload),
        MetricKind.Custom => string.IsNullOrWhiteSpace(customQuery)
            ? throw new ArgumentException("a custom metric needs a query", nameof(customQuery))
            : customQuery,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown metric kind"),
    };

    /// <summary>The query an autoscaling spec asks for (metric cpu, memory or custom with autoscaling.query).</summary>
    public static string For(AutoscalingSpec spec, string workload, TimeSpan window) => spec.Metric switch
    {
        "cpu" => For(MetricKind.Cpu, workload, window),
        "memory" => For(MetricKind.Memory, workload, window),
        "custom" => For(MetricKind.Custom, workload, window, spec.Query),
        _ => throw new ArgumentException($"unknown autoscaling metric '{spec.Metric}'", nameof(spec)),
    };

    /// <summary>A PromQL double-quoted string literal: backslash, quote and control characters escaped.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case < ' ' or '\u007f': sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }

        return sb.Append('"').ToString();
    }
}

/// <summary>
/// A query result as the replica calculator takes it. Series labelled replica give PerReplica; a result of exactly one
/// series without a replica label (or a scalar) is WorkloadWide: that value is every replica's value, so it must already
/// be the per-replica average, as custom queries like <c>sum(rate(x[1m])) / count(up{workload="w"})</c> compute it.
/// An empty result gives no values (the calculator counts the replicas as missing); any other shape is an Error.
/// Values are kept as Prometheus sent them, NaN and ±Inf included: the calculator treats those as missing.
/// </summary>
public sealed record ReplicaValues(IReadOnlyDictionary<string, double> PerReplica, double? WorkloadWide, string? Error)
{
    public const string ShapeError = "query must return one series per replica (label replica) or a single value";

    public static readonly ReplicaValues None = new(new Dictionary<string, double>(StringComparer.Ordinal), null, null);

    /// <summary>The value for one replica: the workload-wide value if there is one, else its own, else null.</summary>
    public double? For(string replica) =>
        Error is not null ? null : WorkloadWide ?? (PerReplica.TryGetValue(replica, out var v) ? v : null);

    public static ReplicaValues From(IReadOnlyList<QuerySample> samples)
    {
        if (samples.Count == 0)
            return None;
        if (samples.Count == 1 && !samples[0].Labels.ContainsKey(MetricQueries.ReplicaLabel))
            return None with { WorkloadWide = samples[0].Value };

        var perReplica = new Dictionary<string, double>(StringComparer.Ordinal);
        var unlabelled = 0;
        foreach (var sample in samples)
        {
            if (!sample.Labels.TryGetValue(MetricQueries.ReplicaLabel, out var replica))
                unlabelled++;
            else if (!perReplica.TryAdd(replica, sample.Value))
                return Failed($"{ShapeError}; it returned several series for replica {replica}, aggregate them, e.g. sum by (replica) (...)");
        }

        return unlabelled == 0
            ? None with { PerReplica = perReplica }
            : Failed(string.Create(CultureInfo.InvariantCulture, $"{ShapeError}; it returned {samples.Count} series, {unlabelled} without a replica label"));
    }

    public static ReplicaValues Failed(string error) => None with { Error = error };
}
