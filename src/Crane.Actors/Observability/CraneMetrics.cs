using Prometheus;

namespace Crane.Actors.Observability;

/// <summary>Crane's Prometheus metrics, registered once in the process-wide prometheus-net registry.</summary>
public static class CraneMetrics
{
    /// <summary>
    /// Call first thing in a process: keeps prometheus-net's process and .NET runtime metrics, but not its adapters for
    /// EventCounters and System.Diagnostics.Metrics meters, whose names break Prometheus' naming rules (e.g. a gauge
    /// ending in _count), so that `promtool check metrics` on Crane's /metrics reports nothing.
    /// </summary>
    public static void UseCleanDefaults() =>
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true });

    public static readonly Gauge ReplicasDesired = Metrics.CreateGauge(
        "crane_workload_replicas_desired", "Replicas a workload wants.", "workload");

    public static readonly Gauge ReplicasReady = Metrics.CreateGauge(
        "crane_workload_replicas_ready", "Replicas of a workload that pass readiness.", "workload");

    public static readonly Counter SchedulingAttempts = Metrics.CreateCounter(
        "crane_scheduling_attempts_total", "Placement attempts by result (scheduled, unschedulable).", "result");

    public static readonly Histogram SchedulingDuration = Metrics.CreateHistogram(
        "crane_scheduling_duration_seconds", "Time to run the placement pipeline for one replica.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00001, 4, 10) });

    public static readonly Counter ContainerRestarts = Metrics.CreateCounter(
        "crane_container_restarts_total", "Containers replaced after they died or failed liveness.", "workload", "replica");

    public static readonly Gauge ReplicaReady = Metrics.CreateGauge(
        "crane_replica_ready", "1 when the replica passes readiness, else 0.", "workload", "replica", "node");

    public static readonly Counter ProbeTotal = Metrics.CreateCounter(
        "crane_probe_total", "Probe runs by result (success, failure).", "workload", "replica", "probe", "result");

    public static readonly Histogram ProbeDuration = Metrics.CreateHistogram(
        "crane_probe_duration_seconds", "Probe run time.", new HistogramConfiguration
        {
            LabelNames = ["workload", "probe"],
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14),
        });

    public static readonly Counter EventsTotal = Metrics.CreateCounter(
        "crane_events_total", "Events recorded by type and reason.", "type", "reason");

    public static readonly Gauge NodeCapacity = Metrics.CreateGauge(
        "crane_node_capacity", "Node capacity (cpu in cores, memory in bytes).", "node", "resource");

    public static readonly Gauge NodeAllocated = Metrics.CreateGauge(
        "crane_node_allocated", "Requests placed on a node (cpu in cores, memory in bytes).", "node", "resource");

    public static readonly Counter PolicyDecisions = Metrics.CreateCounter(
        "crane_policy_decisions_total", "Policy decisions by decision point (admission, scheduling, scaling) and outcome.", "kind", "decision");

    public static readonly Histogram ReconcileDuration = Metrics.CreateHistogram(
        "crane_reconcile_duration_seconds", "Time of one workload reconcile pass.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00001, 4, 10) });

    public static readonly Gauge AutoscalerDesiredReplicas = Metrics.CreateGauge(
        "crane_autoscaler_desired_replicas", "Replicas the autoscaler wants after stabilization, rate limits and min/max.", "workload");

    public static readonly Gauge AutoscalerCurrentMetric = Metrics.CreateGauge(
        "crane_autoscaler_current_metric_value", "The metric an autoscaled workload scales on (cpu/memory: percent of the request; custom: per-replica average).", "workload", "metric");

    public static readonly Gauge AutoscalerTargetMetric = Metrics.CreateGauge(
        "crane_autoscaler_target_metric_value", "The autoscaling target, in the unit of crane_autoscaler_current_metric_value.", "workload", "metric");

    public static readonly Counter ContainerCpuSeconds = Metrics.CreateCounter(
        "crane_container_cpu_seconds_total", "CPU time a replica's container used (user + system), from the container runtime.", "workload", "replica", "node");

    public static readonly Gauge ContainerMemoryWorkingSet = Metrics.CreateGauge(
        "crane_container_memory_working_set_bytes", "A replica container's working set: memory usage minus inactive file cache, as cAdvisor reports it.", "workload", "replica", "node");

    public static readonly Gauge ContainerSpecMemoryLimit = Metrics.CreateGauge(
        "crane_container_spec_memory_limit_bytes", "Memory limit of a replica's container (the spec's memory request).", "workload", "replica", "node");

    public static readonly Gauge ContainerSpecCpuCores = Metrics.CreateGauge(
        "crane_container_spec_cpu_cores", "CPU limit of a replica's container in cores (the spec's cpu request).", "workload", "replica", "node");
}
