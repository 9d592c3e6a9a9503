using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Contracts.Api;

/// <summary>The body of GET /api/v1/workloads/{name}.</summary>
public sealed record WorkloadView(
    string Name,
    long Generation,
    WorkloadSpec Spec,
    int DesiredReplicas,
    int ReadyReplicas,
    IReadOnlyList<ReplicaView> Replicas) : IWireMessage
{
    /// <summary>Where NGINX serves this workload; set by the API for workloads with a port.</summary>
    public LoadBalancerView? LoadBalancer { get; init; }

    /// <summary>Set for autoscaled workloads once the autoscaler has synced.</summary>
    public AutoscalerView? Autoscaler { get; init; }
}

/// <summary>Reach the workload at Url with header Host: Host, or at Url + PathPrefix.</summary>
public sealed record LoadBalancerView(string Url, string Host, string PathPrefix, int Endpoints);

public sealed record ReplicaView(
    string Id,
    long Generation,
    string? Node,
    string? ContainerId,
    ReplicaState State,
    bool Ready,
    int? HostPort,
    int Restarts,
    string? PendingReason,
    string? Message);

/// <summary>
/// The autoscaler's view of a workload, as an HPA status: the metric it scales on (current value in percent of the
/// request for cpu/memory, the per-replica average for custom), the count it wants, when it last scaled and its conditions.
/// </summary>
public sealed record AutoscalerView(
    string Metric,
    double? CurrentValue,
    double Target,
    int CurrentReplicas,
    int DesiredReplicas,
    DateTimeOffset? LastScaleTime,
    DateTimeOffset LastSyncTime,
    string Message,
    IReadOnlyList<AutoscalerConditionView> Conditions);

/// <summary>AbleToScale, ScalingActive, ScalingLimited or MetricsUnavailable, with a CamelCase reason.</summary>
public sealed record AutoscalerConditionView(string Type, bool Status, string Reason, string Message, DateTimeOffset LastTransitionTime);
