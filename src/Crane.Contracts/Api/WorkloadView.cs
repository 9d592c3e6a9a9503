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
